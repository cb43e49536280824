package org.segmentation.nn.loss;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.nn.Bcast;
import org.segmentation.nn.Shapes;

/** Class-label helpers shared by the multi-class losses. */
final class Labels {
    private Labels() {
    }

    /**
     * Checks logits (N,K,H,W) against labels (N,H,W) and the label range.
     *
     * @return K
     */
    static int check(String what, INDArray logits, INDArray labels, IgnoreLabel ignoreLabel) {
        int k = checkShapes(what, logits, labels, ignoreLabel);
        INDArray l = labels.castTo(DataType.DOUBLE);
        INDArray valid = valid(labels, ignoreLabel, DataType.DOUBLE);
        if (valid.any()) {
            INDArray kept = l.mul(valid);
            requireRange(what, kept.minNumber().doubleValue(), kept.maxNumber().doubleValue(), k, ignoreLabel);
        }
        return k;
    }

    /** The shape and ignore-label part of {@link #check}, without the label range; returns K. */
    static int checkShapes(String what, INDArray logits, INDArray labels, IgnoreLabel ignoreLabel) {
        Shapes.require(what + " logits", "(N,K,H,W)", logits, Shapes.ANY, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        Shapes.requireFloating(logits.dataType());
        Shapes.require(what + " labels", "(N,H,W)", labels, logits.size(0), logits.size(2), logits.size(3));
        int k = (int) logits.size(1);
        ignoreLabel.checkFor(k);
        return k;
    }

    /**
     * The range part of {@link #check}: the smallest and largest label outside the ignored pixels must lie in
     * [0, K).
     */
    static void requireRange(String what, double min, double max, int k, IgnoreLabel ignoreLabel) {
        if (min < 0 || max >= k) {
            throw new IllegalArgumentException(what + " labels: expected values in [0, " + k + ")"
                    + ignoreLabel.orIgnoredText().replace(" nor ", " or ") + ", got range [" + min + ", " + max
                    + "] outside the ignored pixels");
        }
    }

    /** 1 where the label is not {@code ignoreLabel}, else 0; (N,H,W) of type dt. */
    static INDArray valid(INDArray labels, IgnoreLabel ignoreLabel, DataType dt) {
        if (ignoreLabel.isNone()) {
            return Nd4j.ones(dt, labels.shape());
        }
        return labels.castTo(DataType.DOUBLE).neq(ignoreLabel.value()).castTo(dt);
    }

    /** One-hot (N,K,H,W) of type dt, all zero at ignored pixels. */
    static INDArray oneHot(INDArray labels, INDArray valid, int k, DataType dt) {
        INDArray safe = labels.castTo(dt).muli(valid).castTo(DataType.INT64);  // ignored pixels become class 0
        INDArray out = Nd4j.createUninitialized(dt, labels.size(0), k, labels.size(1), labels.size(2));
        Nd4j.exec(new OneHot(safe, out, k, 1, 1.0, 0.0));
        return out.muli(Bcast.perPixel(valid));
    }
}
