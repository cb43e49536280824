package org.segmentation.nn.detect;

/**
 * Settings of the box and mask heads' training targets and of inference, torchvision's {@code RoIHeads}
 * arguments; {@link #torchvisionDefault()} has the values of torchvision's {@code MaskRCNN}.
 *
 * @param fgIouThresh IoU from which a proposal takes its ground truth's class (0.5)
 * @param bgIouThresh IoU below which a proposal is background (0.5)
 * @param batchSizePerImage proposals sampled per image for the losses (512)
 * @param positiveFraction largest share of object proposals among them (0.25)
 * @param scoreThresh detections scoring at or below this are dropped (0.05)
 * @param nmsThresh per-class NMS threshold at inference (0.5)
 * @param detectionsPerImage the most detections kept per image (100; crowded images need more)
 */
public record RoiHeadsConfig(double fgIouThresh, double bgIouThresh, int batchSizePerImage, double positiveFraction,
        double scoreThresh, double nmsThresh, int detectionsPerImage) {
    public RoiHeadsConfig {
        if (!(0 <= bgIouThresh && bgIouThresh <= fgIouThresh && fgIouThresh <= 1) || Double.isNaN(scoreThresh)
                || !(nmsThresh >= 0 && nmsThresh <= 1) || detectionsPerImage <= 0) {
            throw new IllegalArgumentException("RoiHeadsConfig: expected 0 <= bgIouThresh <= fgIouThresh <= 1, a"
                    + " score threshold, a NMS threshold in [0, 1] and a positive detection cap, got " + bgIouThresh
                    + ", " + fgIouThresh + ", " + scoreThresh + ", " + nmsThresh + ", " + detectionsPerImage);
        }
        new BalancedSampler(batchSizePerImage, positiveFraction);   // validates both
    }

    /** torchvision's Mask R-CNN defaults. */
    public static RoiHeadsConfig torchvisionDefault() {
        return new RoiHeadsConfig(0.5, 0.5, 512, 0.25, 0.05, 0.5, 100);
    }

    /** The proposal matcher: no low-quality matches, as in torchvision's box head. */
    public Matcher matcher() {
        return new Matcher(fgIouThresh, bgIouThresh, false);
    }

    public BalancedSampler sampler() {
        return new BalancedSampler(batchSizePerImage, positiveFraction);
    }
}
