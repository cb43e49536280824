package org.segmentation.nn.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.nn.Shapes;

/**
 * Binary cross-entropy on sigmoid outputs, PyTorch's {@code binary_cross_entropy_with_logits} with mean
 * reduction, in its overflow-free form L = mean(max(z,0) − z·t + log(1 + exp(−|z|))); dLogits = (σ(z) − t)/M.
 * Targets are probabilities in [0,1] of the same shape as the logits (for a one-channel mask, (N,1,H,W)).
 */
public final class SigmoidBinaryCrossEntropy implements Loss {

    @Override
    public LossResult compute(INDArray z, INDArray t) {
        Shapes.requireFloating(z.dataType());
        Shapes.requireSameShape("SigmoidBinaryCrossEntropy targets", z, t);
        INDArray target = t.castTo(z.dataType());
        double min = target.minNumber().doubleValue();
        double max = target.maxNumber().doubleValue();
        if (min < 0 || max > 1) {
            throw new IllegalArgumentException("SigmoidBinaryCrossEntropy targets: expected values in [0, 1], got"
                    + " range [" + min + ", " + max + "]");
        }
        double m = z.length();
        INDArray softplusNegAbs = Transforms.log1p(Transforms.exp(Transforms.abs(z, true).negi(), false), false);
        INDArray perElement = Transforms.relu(z, true).subi(z.mul(target)).addi(softplusNegAbs);
        double loss = perElement.sumNumber().doubleValue() / m;
        INDArray dLogits = Transforms.sigmoid(z, true).subi(target).divi(m);
        return new LossResult(loss, dLogits);
    }
}
