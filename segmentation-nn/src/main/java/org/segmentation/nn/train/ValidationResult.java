package org.segmentation.nn.train;

import org.segmentation.nn.train.TrainerConfig.Metric;

/**
 * Metrics of the model on a validation set in evaluation mode. For a per-pixel model ({@link DenseTrainable})
 * the prediction is the argmax over the classes, or logit &gt; 0 (sigmoid &gt; 0.5) for a one-channel model, whose
 * classes are then 0 and 1, and the mask APs are NaN. For a Mask R-CNN ({@link MaskRCNNTrainable}) the mask APs
 * are COCO's, the pixel metrics NaN (and {@code iou}, {@code dice} empty), and the loss NaN: torchvision's model
 * computes no loss in evaluation mode, and neither does ours.
 *
 * @param step optimizer steps completed when it was measured
 * @param epoch the epoch in progress, or the epochs completed when validating at epoch ends
 * @param loss the loss on the validation set: the mean of the per-batch losses weighted by their pixel counts
 * @param meanIoU mean IoU over the classes present in truth or prediction (ConfusionMatrix's NaN-mean)
 * @param meanDice mean Dice over the same classes
 * @param pixelAccuracy correctly classified pixels over counted (not ignored) pixels
 * @param iou per-class IoU, NaN for a class absent from truth and prediction
 * @param dice per-class Dice
 * @param maskAp COCO mask AP@[.5:.95] (101-point interpolation, mean over the classes present)
 * @param maskAp50 COCO mask AP at IoU 0.5
 */
public record ValidationResult(long step, long epoch, double loss, double meanIoU, double meanDice,
        double pixelAccuracy, double[] iou, double[] dice, double maskAp, double maskAp50) {
    /** Copies the arrays. */
    public ValidationResult {
        iou = iou.clone();
        dice = dice.clone();
    }

    /** The result of a per-pixel model: no mask APs (NaN). */
    public ValidationResult(long step, long epoch, double loss, double meanIoU, double meanDice,
            double pixelAccuracy, double[] iou, double[] dice) {
        this(step, epoch, loss, meanIoU, meanDice, pixelAccuracy, iou, dice, Double.NaN, Double.NaN);
    }

    /** The result of an instance model: mask APs only. */
    public static ValidationResult ofMaskAp(long step, long epoch, double maskAp, double maskAp50) {
        return new ValidationResult(step, epoch, Double.NaN, Double.NaN, Double.NaN, Double.NaN, new double[0],
                new double[0], maskAp, maskAp50);
    }

    /** The value of {@code metric}. */
    public double get(Metric metric) {
        return switch (metric) {
            case MEAN_IOU -> meanIoU;
            case MEAN_DICE -> meanDice;
            case PIXEL_ACCURACY -> pixelAccuracy;
            case LOSS -> loss;
            case MASK_AP -> maskAp;
            case MASK_AP50 -> maskAp50;
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
