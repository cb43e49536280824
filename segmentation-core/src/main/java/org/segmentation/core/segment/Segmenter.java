package org.segmentation.core.segment;

import java.util.Objects;
import java.util.function.Function;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.RgbU8;

/**
 * One way to segment an image, whatever the method: a classic algorithm with its config
 * ({@code org.segmentation.classic.segment.ClassicSegmenters}), a trained network
 * ({@code org.segmentation.nn.predict.ModelSegmenter}) or a user's own code ({@link #of}). It turns one image into
 * a {@link LabelMap} of the image's size and says what its labels mean ({@link #output()}): classes (semantic
 * segmentation), a class-agnostic foreground, or object ids (instance segmentation). The evaluation harness
 * ({@code org.segmentation.nn.eval.Evaluator}) picks its metrics from that.
 *
 * <p>A segmenter may keep work buffers between calls (it is called from one thread), but its result must not
 * depend on earlier calls: a warm-up run is made and discarded before timing.
 */
public interface Segmenter {
    /** What the labels of a segmenter's output mean. */
    enum Output {
        /**
         * Class ids {@code 0..numClasses-1} of the dataset (0 background): scored with the dataset's full
         * confusion matrix (mean IoU, mean Dice, pixel accuracy, per-class IoU) and the class-map boundary F1.
         */
        CLASSES,
        /**
         * Class-agnostic foreground: 0 is background, any other label foreground (e.g. an Otsu threshold).
         * Scored against the dataset's foreground (every class but 0) with a 2-class confusion matrix.
         */
        FOREGROUND,
        /**
         * Object ids: 0 background, 1..n one object each. Scored as {@link #FOREGROUND} and, when the dataset
         * has instance labels, by instance matching, adapted Rand error and variation of information.
         */
        INSTANCES
    }

    /** A short name for reports and the command line: lower case, digits and '-' are recommended. */
    String name();

    /** What the labels mean. */
    Output output();

    /**
     * Segments one image.
     *
     * @param input the image and its 8-bit views; read-only
     * @return labels of {@code input}'s width and height, with the meaning {@link #output()} declares
     */
    LabelMap segment(SegmenterInput input);

    /**
     * Segments an 8-bit gray image: {@link #segment(SegmenterInput)} of {@link SegmenterInput#of(GrayU8)}.
     *
     * @param image read-only
     */
    default LabelMap segment(GrayU8 image) {
        return segment(SegmenterInput.of(image));
    }

    /**
     * Segments an 8-bit RGB image: {@link #segment(SegmenterInput)} of {@link SegmenterInput#of(RgbU8)}.
     *
     * @param image read-only
     */
    default LabelMap segment(RgbU8 image) {
        return segment(SegmenterInput.of(image));
    }

    /** Whether the labels are object ids ({@link Output#INSTANCES}) rather than classes or a foreground. */
    default boolean isInstance() {
        return output() == Output.INSTANCES;
    }

    /** A segmenter from a name, an output kind and a function, e.g. to wrap a trained model or a lambda. */
    static Segmenter of(String name, Output output, Function<SegmenterInput, LabelMap> segment) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(segment, "segment");
        return new Segmenter() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Output output() {
                return output;
            }

            @Override
            public LabelMap segment(SegmenterInput input) {
                return segment.apply(input);
            }

            @Override
            public String toString() {
                return name + " (" + output + ")";
            }
        };
    }
}
