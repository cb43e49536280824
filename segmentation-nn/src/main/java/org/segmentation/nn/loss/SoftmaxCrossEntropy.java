package org.segmentation.nn.loss;

import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.nn.Bcast;
import org.segmentation.nn.layers.Softmax;

/**
 * Softmax cross-entropy over the channel axis, PyTorch's {@code cross_entropy(logits, labels, weight=w,
 * ignore_index=i)} with mean reduction: L = −Σ_i w[y_i]·log p_i[y_i] / Σ_i w[y_i] over the pixels whose label is
 * not the ignore label. dLogits = w[y_i]·(p_i − onehot_i) / Σ w. If every pixel is ignored the loss and the
 * gradient are 0 (PyTorch returns NaN). Targets are class labels (N,H,W) of any numeric type.
 */
public final class SoftmaxCrossEntropy implements Loss {

    private final double[] classWeights;
    private final IgnoreLabel ignoreLabel;

    /** Unweighted, nothing ignored. */
    public SoftmaxCrossEntropy() {
        this(null, IgnoreLabel.NONE);
    }

    /**
     * @param classWeights one positive weight per class, or null for all 1
     * @param ignoreLabel pixels with this label contribute nothing
     */
    public SoftmaxCrossEntropy(double[] classWeights, IgnoreLabel ignoreLabel) {
        if (classWeights != null) {
            for (double w : classWeights) {
                if (!(w >= 0) || Double.isInfinite(w)) {
                    throw new IllegalArgumentException("class weights must be finite and >= 0, got "
                            + java.util.Arrays.toString(classWeights));
                }
            }
        }
        this.classWeights = classWeights == null ? null : classWeights.clone();
        this.ignoreLabel = Objects.requireNonNull(ignoreLabel, "ignoreLabel (IgnoreLabel.NONE for none)");
    }

    @Override
    public LossResult compute(INDArray logits, INDArray labels) {
        int k = Labels.check("SoftmaxCrossEntropy", logits, labels, ignoreLabel);
        DataType dt = logits.dataType();
        if (classWeights != null && classWeights.length != k) {
            throw new IllegalArgumentException("SoftmaxCrossEntropy: expected " + k + " class weights for logits "
                    + java.util.Arrays.toString(logits.shape()) + ", got " + classWeights.length);
        }
        INDArray valid = Labels.valid(labels, ignoreLabel, dt);                      // (N,H,W)
        INDArray oneHot = Labels.oneHot(labels, valid, k, dt);                       // (N,K,H,W)
        INDArray weightedOneHot = classWeights == null ? oneHot
                : oneHot.mul(Bcast.perChannel(Nd4j.create(classWeights).castTo(dt)));  // w[k]·onehot
        INDArray pixelWeight = weightedOneHot.sum(1);                                // (N,H,W) w[y_i], 0 if ignored
        double total = pixelWeight.sumNumber().doubleValue();
        if (total == 0) {
            return new LossResult(0.0, Nd4j.zeros(dt, logits.shape()));
        }
        INDArray logP = Softmax.log(logits);                                         // (N,K,H,W)
        double loss = -weightedOneHot.mul(logP).sumNumber().doubleValue() / total;
        INDArray p = Transforms.exp(logP, false);
        INDArray dLogits = p.muli(Bcast.perPixel(pixelWeight)).subi(weightedOneHot).divi(total);
        return new LossResult(loss, dLogits);
    }
}
