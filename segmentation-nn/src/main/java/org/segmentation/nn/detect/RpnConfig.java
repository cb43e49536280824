package org.segmentation.nn.detect;

/**
 * Settings of the region proposal network, torchvision's {@code RegionProposalNetwork} arguments; {@link
 * #torchvisionDefault()} has the values of torchvision's {@code MaskRCNN}.
 *
 * @param preNmsTopNTrain logits kept per level before NMS in training (torchvision 2000)
 * @param preNmsTopNTest the same in evaluation (1000)
 * @param postNmsTopNTrain proposals kept per image after NMS in training (2000)
 * @param postNmsTopNTest the same in evaluation (1000)
 * @param nmsThresh IoU above which NMS drops a proposal (0.7)
 * @param fgIouThresh IoU from which an anchor is an object (0.7)
 * @param bgIouThresh IoU below which an anchor is background (0.3)
 * @param batchSizePerImage anchors sampled per image for the losses (256)
 * @param positiveFraction largest share of positives among them (0.5)
 * @param scoreThresh proposals scoring below this are dropped (0.0)
 * @param minSize proposals narrower or lower than this, in pixels, are dropped (1e-3)
 */
public record RpnConfig(int preNmsTopNTrain, int preNmsTopNTest, int postNmsTopNTrain, int postNmsTopNTest,
        double nmsThresh, double fgIouThresh, double bgIouThresh, int batchSizePerImage, double positiveFraction,
        double scoreThresh, double minSize) {
    public RpnConfig {
        if (preNmsTopNTrain <= 0 || preNmsTopNTest <= 0 || postNmsTopNTrain <= 0 || postNmsTopNTest <= 0) {
            throw new IllegalArgumentException("RpnConfig: the top-n counts must be positive, got " + preNmsTopNTrain
                    + ", " + preNmsTopNTest + ", " + postNmsTopNTrain + ", " + postNmsTopNTest);
        }
        if (!(0 <= bgIouThresh && bgIouThresh <= fgIouThresh && fgIouThresh <= 1) || !(nmsThresh >= 0
                && nmsThresh <= 1) || Double.isNaN(scoreThresh) || !(minSize >= 0)) {
            throw new IllegalArgumentException("RpnConfig: expected 0 <= bgIouThresh <= fgIouThresh <= 1, a NMS"
                    + " threshold in [0, 1], a score threshold and minSize >= 0, got " + bgIouThresh + ", "
                    + fgIouThresh + ", " + nmsThresh + ", " + scoreThresh + ", " + minSize);
        }
        new BalancedSampler(batchSizePerImage, positiveFraction);   // validates both
    }

    /** torchvision's Mask R-CNN defaults. */
    public static RpnConfig torchvisionDefault() {
        return new RpnConfig(2000, 1000, 2000, 1000, 0.7, 0.7, 0.3, 256, 0.5, 0.0, 1e-3);
    }

    public Matcher matcher() {
        return new Matcher(fgIouThresh, bgIouThresh, true);
    }

    public BalancedSampler sampler() {
        return new BalancedSampler(batchSizePerImage, positiveFraction);
    }
}
