package org.segmentation.nn.spark;

import java.io.IOException;
import java.io.Serializable;
import org.segmentation.classic.segment.ClassicSegmenters;
import org.segmentation.core.segment.Segmenter;

/**
 * Makes, on an executor, the {@link Segmenter} that {@link SparkSegmentation} runs: called once per partition, so
 * that a segmenter with work buffers or a loaded model is built once and used for every image of the partition
 * (a segmenter is used from one thread). The factory itself is serialised into each task, so it should hold
 * settings, not a model: a trained network is shipped with {@link ModelBytes#broadcast} and rebuilt by
 * {@link ModelBytes#segmenterFactory}.
 *
 * <p>A classic algorithm with its config is a lambda that builds the config on the executor:
 * <pre>{@code
 * SegmenterFactory split = () -> ClassicSegmenters.splitTouching(new SplitConfig());
 * }</pre>
 */
@FunctionalInterface
public interface SegmenterFactory extends Serializable {
    /**
     * A new segmenter.
     *
     * @throws IOException if what it needs (a model's files) cannot be read
     */
    Segmenter create() throws IOException;

    /**
     * The channels an image is decoded to before segmenting ({@code ConvertImage.toUnitPlanar}): 1 or 3, or 0 for
     * the file's own (1 for gray, 3 for colour and palette images). A model's factory returns the model's, so that
     * an image is read exactly as {@code TrainedUNet.segment(Path)} reads it.
     */
    default int channels() {
        return 0;
    }

    /**
     * A classic algorithm registered in {@link ClassicSegmenters#registry()} under {@code name}, with its default
     * settings.
     *
     * @throws IllegalArgumentException naming the unknown name and listing the known ones
     */
    static SegmenterFactory classic(String name) {
        ClassicSegmenters.registry().create(name); // fails here, on the driver, for an unknown name
        return () -> ClassicSegmenters.registry().create(name);
    }
}
