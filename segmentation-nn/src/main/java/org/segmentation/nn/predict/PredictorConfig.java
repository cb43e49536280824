package org.segmentation.nn.predict;

/**
 * How a {@link Predictor} runs the model over an image.
 *
 * @param tileSize side of the square sliding-window tiles, a multiple of the model's size multiple; 0 (the
 *     default) runs the whole image at once
 * @param tileOverlap pixels shared by neighbouring tiles, in [0, tileSize) (default tileSize/2, nnU-Net's step of
 *     0.5); the actual overlap may be larger because the tiles are spread evenly over the image
 * @param padding how an image is extended to a multiple of the model's size multiple, or to the tile size
 *     (default {@link Padding#REFLECT})
 * @param flipTta test-time augmentation: average the probabilities of the image and its horizontal, vertical and
 *     double flips (default false)
 * @param batchSize images or tiles per forward pass, at least 1 (default 4)
 */
public record PredictorConfig(int tileSize, int tileOverlap, Padding padding, boolean flipTta, int batchSize) {
    /** How an image is extended at its bottom and right edges before the forward pass; cropped off after. */
    public enum Padding {
        /** Mirror without repeating the edge pixel (numpy's "reflect"), repeated for pads longer than the image. */
        REFLECT,
        /** Zeros. */
        ZERO
    }

    /** Validates. */
    public PredictorConfig {
        if (tileSize < 0) {
            throw new IllegalArgumentException("tileSize must be >= 0 (0 = whole image), got " + tileSize);
        }
        if (tileOverlap < 0 || (tileSize > 0 && tileOverlap >= tileSize) || (tileSize == 0 && tileOverlap != 0)) {
            throw new IllegalArgumentException("tileOverlap must be in [0, tileSize) (0 without tiles), got "
                    + tileOverlap + " for tileSize " + tileSize);
        }
        if (padding == null) {
            throw new IllegalArgumentException("padding must not be null");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
    }

    /** Whole images, reflect padding, no flips, batches of 4. */
    public static PredictorConfig wholeImage() {
        return new PredictorConfig(0, 0, Padding.REFLECT, false, 4);
    }

    /** Sliding windows of {@code tileSize} overlapping by half a tile, reflect padding, no flips, 4 per batch. */
    public static PredictorConfig tiled(int tileSize) {
        return new PredictorConfig(tileSize, tileSize / 2, Padding.REFLECT, false, 4);
    }

    public PredictorConfig withTileOverlap(int tileOverlap) {
        return new PredictorConfig(tileSize, tileOverlap, padding, flipTta, batchSize);
    }

    public PredictorConfig withPadding(Padding padding) {
        return new PredictorConfig(tileSize, tileOverlap, padding, flipTta, batchSize);
    }

    public PredictorConfig withFlipTta(boolean flipTta) {
        return new PredictorConfig(tileSize, tileOverlap, padding, flipTta, batchSize);
    }

    public PredictorConfig withBatchSize(int batchSize) {
        return new PredictorConfig(tileSize, tileOverlap, padding, flipTta, batchSize);
    }
}
