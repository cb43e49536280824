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
 * Multi-class focal loss (Lin et al., "Focal loss for dense object detection", 2017):
 * L = mean_i −α·(1 − p_t)^γ·log p_t over the pixels whose label is not ignored, p_t being the softmax
 * probability of the true class. γ = 0 and α = 1 give the cross-entropy. Targets are class labels (N,H,W).
 */
public final class FocalLoss implements Loss {
    private final double alpha;
    private final double gamma;
    private final IgnoreLabel ignoreLabel;

    /** α = 1, γ = 2, nothing ignored. */
    public FocalLoss() {
        this(1.0, 2.0, IgnoreLabel.NONE);
    }

    public FocalLoss(double alpha, double gamma, IgnoreLabel ignoreLabel) {
        if (!(alpha > 0) || Double.isInfinite(alpha) || !(gamma >= 0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("expected alpha > 0 and gamma >= 0, finite; got alpha=" + alpha
                    + " gamma=" + gamma);
        }
        this.alpha = alpha;
        this.gamma = gamma;
        this.ignoreLabel = Objects.requireNonNull(ignoreLabel, "ignoreLabel (IgnoreLabel.NONE for none)");
    }

    @Override
    public LossResult compute(INDArray logits, INDArray labels) {
        int k = Labels.check("FocalLoss", logits, labels, ignoreLabel);
        DataType dt = logits.dataType();
        INDArray valid = Labels.valid(labels, ignoreLabel, dt);                      // (N,H,W)
        double m = valid.sumNumber().doubleValue();
        if (m == 0) {
            return new LossResult(0.0, Nd4j.zeros(dt, logits.shape()));
        }
        INDArray g = Labels.oneHot(labels, valid, k, dt);                            // (N,K,H,W)
        INDArray logP = Softmax.log(logits);                                         // (N,K,H,W)
        INDArray p = Transforms.exp(logP, true);
        INDArray logPt = g.mul(logP).sum(1);                                         // (N,H,W), 0 if ignored
        INDArray pt = Transforms.exp(logPt, true);
        // 1 − p_t clamped away from 0 so that (1 − p_t)^(γ−1) stays finite when γ < 1 and p_t rounds to 1
        INDArray q = pt.rsub(1.0);
        INDArray qc = Transforms.max(q, 1e-12, true);
        INDArray qPowG = Transforms.pow(q, gamma, true);                             // (1−p_t)^γ
        double loss = -alpha * qPowG.mul(logPt).muli(valid).sumNumber().doubleValue() / m;
        // d/dz_j = α/M·[γ(1−p_t)^(γ−1)·p_t·log p_t − (1−p_t)^γ]·(δ_jy − p_j)
        INDArray factor = gamma == 0 ? qPowG.neg()
                : Transforms.pow(qc, gamma - 1, true).muli(pt).muli(logPt).muli(gamma).subi(qPowG);
        factor.muli(valid).muli(alpha / m);                                          // (N,H,W)
        INDArray dLogits = g.sub(p);
        dLogits.muli(Bcast.perPixel(factor));
        return new LossResult(loss, dLogits);
    }
}
