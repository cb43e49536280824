package org.segmentation.nn.eval;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import org.segmentation.core.segment.SegmenterInput;

/**
 * The scores of one segmenter on one image.
 *
 * @param index the image's index in the dataset
 * @param id the image's name (file name, or {@code #index} for generated data)
 * @param width image width in pixels
 * @param height image height in pixels
 * @param millis wall time of the segmenter's {@code segment} call, in milliseconds, without the conversion of
 *     the image to 8-bit views (see {@link SegmenterInput})
 * @param metrics the scores that apply to this segmenter and image; NaN where a score is undefined
 */
public record ImageResult(int index, String id, int width, int height, double millis, Map<Metric, Double> metrics) {
    /** Copies the metrics into an unmodifiable map in {@link Metric} order. */
    public ImageResult {
        metrics = Collections.unmodifiableMap(metrics.isEmpty() ? new EnumMap<>(Metric.class)
                : new EnumMap<>(metrics));
    }

    /** The value of {@code metric}, or NaN if it does not apply. */
    public double get(Metric metric) {
        Double v = metrics.get(metric);
        return v == null ? Double.NaN : v;
    }
}
