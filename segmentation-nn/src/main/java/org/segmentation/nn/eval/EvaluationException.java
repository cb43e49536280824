package org.segmentation.nn.eval;

import org.segmentation.core.segment.Segmenter;

/**
 * A segmenter misbehaved during an evaluation: it threw, returned nothing, returned labels of the wrong size, or
 * labels its declared {@link Segmenter.Output} does not allow. The message names the segmenter and the image.
 * Problems reading the data are not wrapped: they arrive as the dataset's own exception, which names the file.
 */
public class EvaluationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A problem described by {@code message}, caused by {@code cause} (may be null). */
    public EvaluationException(String message, Throwable cause) {
        super(message, cause);
    }
}
