package org.segmentation.nn.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A weighted sum of softmax cross-entropy and soft Dice, L = a·CE + b·Dice, the usual loss for U-Net
 * segmentation with unbalanced classes. Targets are class labels (N,H,W).
 */
public final class CeDiceLoss implements Loss {
    private final SoftmaxCrossEntropy ce;
    private final SoftDice dice;
    private final double ceWeight;
    private final double diceWeight;

    /** Equal weights, unweighted CE, Dice smoothing 1. */
    public CeDiceLoss() {
        this(new SoftmaxCrossEntropy(), 1.0, new SoftDice(), 1.0);
    }

    public CeDiceLoss(SoftmaxCrossEntropy ce, double ceWeight, SoftDice dice, double diceWeight) {
        if (!(ceWeight >= 0) || !(diceWeight >= 0) || Double.isInfinite(ceWeight) || Double.isInfinite(diceWeight)) {
            throw new IllegalArgumentException("expected finite weights >= 0, got ce=" + ceWeight + " dice="
                    + diceWeight);
        }
        this.ce = ce;
        this.dice = dice;
        this.ceWeight = ceWeight;
        this.diceWeight = diceWeight;
    }

    @Override
    public LossResult compute(INDArray logits, INDArray labels) {
        LossResult a = ce.compute(logits, labels);
        LossResult b = dice.compute(logits, labels);
        INDArray d = a.dLogits().muli(ceWeight).addi(b.dLogits().muli(diceWeight));
        return new LossResult(ceWeight * a.loss() + diceWeight * b.loss(), d);
    }
}
