package org.segmentation.nn.train;

import org.segmentation.nn.train.TrainerConfig.Metric;

/**
 * Metrics of the model on a validation set in evaluation mode: the prediction is the argmax over the classes,
 * or logit &gt; 0 (sigmoid &gt; 0.5) for a one-channel model, whose classes are then 0 and 1.
 *
 * @param step optimizer steps completed when it was measured
 * @param epoch the epoch in progress, or the epochs completed when validating at epoch ends
 * @param loss the loss on the validation set: the mean of the per-batch losses weighted by their pixel counts
 * @param meanIoU mean IoU over the classes present in truth or prediction (ConfusionMatrix's NaN-mean)
 * @param meanDice mean Dice over the same classes
 * @param pixelAccuracy correctly classified pixels over counted (not ignored) pixels
 * @param iou per-class IoU, NaN for a class absent from truth and prediction
 * @param dice per-class Dice
 */
public record ValidationResult(long step, long epoch, double loss, double meanIoU, double meanDice,
        double pixelAccuracy, double[] iou, double[] dice) {
    /** Copies the arrays. */
    public ValidationResult {
        iou = iou.clone();
        dice = dice.clone();
    }

    /** The value of {@code metric}. */
    public double get(Metric metric) {
        return switch (metric) {
            case MEAN_IOU -> meanIoU;
            case MEAN_DICE -> meanDice;
            case PIXEL_ACCURACY -> pixelAccuracy;
            case LOSS -> loss;
        };
    }

    @Override
    public double[] iou() {
        return iou.clone();
    }

    @Override
    public double[] dice() {
        return dice.clone();
    }
}
