package org.segmentation.bench.eval;

import java.util.Objects;
import java.util.function.Function;
import org.segmentation.core.image.LabelMap;

/**
 * Anything the {@link Evaluator} can score: a classic algorithm, a trained model or a user's own code. It turns
 * one image into a {@link LabelMap} of the image's size, and says what its labels mean ({@link #output()}), which
 * decides the metrics that apply.
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
