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
 * @param maxWholePixels without tiles ({@code tileSize} 0), the largest padded image, in pixels, that runs as
 *     one forward pass; a larger one is tiled by itself with tiles of {@link #AUTO_TILE} (rounded up to the
 *     model's size multiple) overlapping by a quarter tile, one tile per forward pass, so that the network's
 *     activations are those of one tile whatever the image size (default {@link #DEFAULT_MAX_WHOLE_PIXELS})
 * @param concurrency forward passes that may run at once, from different threads, in 1..{@link #MAX_CONCURRENCY}
 *     (default 1: one at a time, on the model itself, under its lock); above 1 the predictor runs on that many
 *     copies of the model's weights taken when it is built ({@code SegmentationModel#inferenceCopy}), so that
 *     later changes to the model (training) do not reach it. Each extra copy costs the model's parameter memory.
 *     Give ND4J one thread per forward pass then ({@code OMP_NUM_THREADS=1}), or threads multiply
 */
public record PredictorConfig(int tileSize, int tileOverlap, Padding padding, boolean flipTta, int batchSize,
        long maxWholePixels, int concurrency) {
    /** The largest {@code concurrency} accepted. */
    public static final int MAX_CONCURRENCY = 256;
    /**
     * The largest tile side accepted. The forward pass of a 2048² tile through the default U-Net already holds
     * gigabytes, and at 3072² a convolution's column buffer overflows ND4J's int-indexed buffers; larger images
     * are tiled.
     */
    public static final int MAX_TILE = 2048;
    /** Side of the tiles of an image larger than {@code maxWholePixels}. */
    public static final int AUTO_TILE = 512;
    /**
     * Default {@code maxWholePixels}: 1024 x 1024. The forward pass of the default U-Net (depth 3, 16 base
     * filters) holds roughly 1 KB of activations per pixel, so this bounds a whole-image prediction to about
     * 1 GB; larger images are tiled.
     */
    public static final long DEFAULT_MAX_WHOLE_PIXELS = 1L << 20;
    /** How an image is extended at its bottom and right edges before the forward pass; cropped off after. */
    public enum Padding {
        /** Mirror without repeating the edge pixel (numpy's "reflect"), repeated for pads longer than the image. */
        REFLECT,
        /** Zeros. */
        ZERO
    }

    /** Validates. */
    public PredictorConfig {
        if (tileSize < 0 || tileSize > MAX_TILE) {
            throw new IllegalArgumentException("tileSize must be in 0.." + MAX_TILE + " (0 = whole image), got "
                    + tileSize);
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
        if (maxWholePixels < 1) {
            throw new IllegalArgumentException("maxWholePixels must be >= 1, got " + maxWholePixels);
        }
        if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
            throw new IllegalArgumentException("concurrency must be in 1.." + MAX_CONCURRENCY + ", got "
                    + concurrency);
        }
    }

    /**
     * Whole images (tiled by themselves above {@link #DEFAULT_MAX_WHOLE_PIXELS}), reflect padding, no flips,
     * batches of 4.
     */
    public static PredictorConfig wholeImage() {
        return new PredictorConfig(0, 0, Padding.REFLECT, false, 4, DEFAULT_MAX_WHOLE_PIXELS, 1);
    }

    /** Sliding windows of {@code tileSize} overlapping by half a tile, reflect padding, no flips, 4 per batch. */
    public static PredictorConfig tiled(int tileSize) {
        return new PredictorConfig(tileSize, tileSize / 2, Padding.REFLECT, false, 4, DEFAULT_MAX_WHOLE_PIXELS, 1);
    }

    public PredictorConfig withTileOverlap(int tileOverlap) {
        return new PredictorConfig(tileSize, tileOverlap, padding, flipTta, batchSize, maxWholePixels, concurrency);
    }

    public PredictorConfig withPadding(Padding padding) {
        return new PredictorConfig(tileSize, tileOverlap, padding, flipTta, batchSize, maxWholePixels, concurrency);
    }

    public PredictorConfig withFlipTta(boolean flipTta) {
        return new PredictorConfig(tileSize, tileOverlap, padding, flipTta, batchSize, maxWholePixels, concurrency);
    }

    public PredictorConfig withBatchSize(int batchSize) {
        return new PredictorConfig(tileSize, tileOverlap, padding, flipTta, batchSize, maxWholePixels, concurrency);
    }

    public PredictorConfig withMaxWholePixels(long maxWholePixels) {
        return new PredictorConfig(tileSize, tileOverlap, padding, flipTta, batchSize, maxWholePixels, concurrency);
    }

    public PredictorConfig withConcurrency(int concurrency) {
        return new PredictorConfig(tileSize, tileOverlap, padding, flipTta, batchSize, maxWholePixels, concurrency);
    }
}
