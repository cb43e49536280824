package org.segmentation.nn.loss;

import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.nn.Bcast;
import org.segmentation.nn.layers.Softmax;

/**
 * Multi-class soft Dice loss on softmax probabilities (Milletari, Navab and Ahmadi, "V-Net", 2016, in the
 * smoothed, non-squared form): for each class k, with sums over the whole batch,
 * D_k = (2·Σ p·g + s) / (Σ p + Σ g + s), and L = 1 − mean_k D_k, where g is the one-hot target. Pixels with the
 * ignore label are left out of every sum. Targets are class labels (N,H,W).
 */
public final class SoftDice implements Loss {
    private final double smooth;
    private final IgnoreLabel ignoreLabel;

    /** Smoothing 1, nothing ignored. */
    public SoftDice() {
        this(1.0, IgnoreLabel.NONE);
    }

    public SoftDice(double smooth, IgnoreLabel ignoreLabel) {
        if (!(smooth > 0) || Double.isInfinite(smooth)) {
            throw new IllegalArgumentException("expected a finite smoothing term > 0, got " + smooth);
        }
        this.smooth = smooth;
        this.ignoreLabel = Objects.requireNonNull(ignoreLabel, "ignoreLabel (IgnoreLabel.NONE for none)");
    }

    @Override
    public LossResult compute(INDArray logits, INDArray labels) {
        int k = Labels.check("SoftDice", logits, labels, ignoreLabel);
        DataType dt = logits.dataType();
        INDArray valid = Labels.valid(labels, ignoreLabel, dt);                      // (N,H,W)
        INDArray g = Labels.oneHot(labels, valid, k, dt);                            // (N,K,H,W)
        INDArray p = Softmax.apply(logits);                                          // (N,K,H,W)
        INDArray pm = p.mul(Bcast.perPixel(valid));
        INDArray inter = pm.mul(g).sum(0, 2, 3);                                     // (K)
        INDArray denom = pm.sum(0, 2, 3).addi(g.sum(0, 2, 3)).addi(smooth);         // (K)
        INDArray dice = inter.mul(2).addi(smooth).divi(denom);                       // (K)
        double loss = 1 - dice.meanNumber().doubleValue();
        // dL/dp_k,i = −(1/K)·(2·g_k,i·denom_k − (2·I_k + s)) / denom_k², at valid pixels only
        INDArray a = denom.rdiv(-2.0 / k);                                           // −2/(K·denom)
        INDArray c = inter.mul(2).addi(smooth).divi(denom.mul(denom)).divi(k);       // (2I+s)/(K·denom²)
        INDArray dP = g.mul(Bcast.perChannel(a)).addi(Bcast.perChannel(c)).muli(Bcast.perPixel(valid));
        // back through the softmax: p·(dP − Σ_k dP·p)
        INDArray dot = dP.mul(p).sum(1);                                             // (N,H,W)
        INDArray dLogits = dP.subi(Bcast.perPixel(dot)).muli(p);
        return new LossResult(loss, dLogits);
    }
}
