package org.segmentation.nn.eval;

import org.segmentation.core.segment.Segmenter;

/**
 * The scores of an evaluation, with their JSON key and table label. Which ones a segmenter gets depends on its
 * {@link Segmenter.Output} (see {@link Evaluator}); a score that does not apply is absent, not NaN.
 *
 * <p>Dataset-level values: the four confusion-matrix scores are computed from the confusion matrix pooled over
 * all images (as PASCAL VOC and Cityscapes do), so large images weigh more; every other score is the mean over
 * images of the per-image values, skipping NaN (e.g. an image with no matched instance has no matched IoU).
 */
public enum Metric {
    /** Mean over classes of {@code TP / (TP + FP + FN)} ({@link org.segmentation.core.metrics.ConfusionMatrix}). */
    MEAN_IOU("mean_iou", "mean IoU", true, true),
    /** Mean over classes of {@code 2 TP / (2 TP + FP + FN)}. */
    DICE("dice", "mean Dice", true, true),
    /** Correct pixels over counted pixels. */
    PIXEL_ACCURACY("pixel_accuracy", "pixel acc.", true, true),
    /** IoU of the foreground (every class but 0) against the predicted foreground (every label but 0). */
    FOREGROUND_IOU("foreground_iou", "fg IoU", true, true),
    /** Boundary F1 at the configured tolerance ({@link org.segmentation.core.metrics.BoundaryF1}). */
    BOUNDARY_F1("boundary_f1", "boundary F1", false, true),
    /** Instance "average precision" {@code TP / (TP + FP + FN)} at IoU 0.5 (DSB 2018, StarDist). */
    AP50("ap50", "AP@0.5", false, true),
    /** Instance F1 at IoU 0.5. */
    INSTANCE_F1("instance_f1", "inst. F1@0.5", false, true),
    /** Mean IoU of the instance pairs matched at IoU 0.5. */
    MATCHED_IOU("matched_iou", "matched IoU", false, true),
    /** AP averaged over IoU thresholds 0.5, 0.55, ..., 0.95. */
    MEAN_AP("map", "mAP@.5:.95", false, true),
    /** Adapted Rand error, truth background ignored (scikit-image's default); lower is better. */
    ADAPTED_RAND_ERROR("adapted_rand_error", "ARE", false, false),
    /** Variation of information in bits, split plus merge; lower is better. */
    VOI("voi", "VoI", false, false);

    private final String key;
    private final String label;
    private final boolean pooled;
    private final boolean higherIsBetter;

    Metric(String key, String label, boolean pooled, boolean higherIsBetter) {
        this.key = key;
        this.label = label;
        this.pooled = pooled;
        this.higherIsBetter = higherIsBetter;
    }

    /** The JSON key, snake case. */
    public String key() {
        return key;
    }

    /** A short column heading. */
    public String label() {
        return label;
    }

    /** Whether the dataset value comes from the pooled confusion matrix rather than a mean over images. */
    public boolean pooled() {
        return pooled;
    }

    /** Whether larger values are better; false for the two error measures. */
    public boolean higherIsBetter() {
        return higherIsBetter;
    }
}
