package org.segmentation.nn.eval;

/**
 * Settings of an {@link Evaluator}.
 *
 * @param warmupImages before timing, every segmenter runs once, untimed and unscored, on the first this many
 *     images (fewer if the dataset is smaller), so that class loading and JIT compilation stay out of the
 *     per-image times; 0 for none
 * @param boundaryTolerance largest distance in pixels at which a boundary pixel counts as matched in the
 *     boundary F1 score
 */
public record EvaluationConfig(int warmupImages, double boundaryTolerance) {
    /** Default {@link #warmupImages}: one image is enough to load and link each segmenter's classes. */
    public static final int DEFAULT_WARMUP_IMAGES = 1;
    /**
     * Default {@link #boundaryTolerance}: 2 px, which forgives the one-pixel shifts between boundary
     * conventions and annotation jitter; it equals the tolerance of 0.75% of the image diagonal used by Csurka et
     * al. (BMVC 2013) for an image of about 190x190.
     */
    public static final double DEFAULT_BOUNDARY_TOLERANCE = 2.0;

    /** @throws IllegalArgumentException if a value is out of range (the message names it) */
    public EvaluationConfig {
        if (warmupImages < 0) {
            throw new IllegalArgumentException("warmupImages must be >= 0, got " + warmupImages);
        }
        if (!(boundaryTolerance >= 0 && boundaryTolerance < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("boundaryTolerance must be finite and >= 0, got "
                    + boundaryTolerance);
        }
    }

    /** {@link #DEFAULT_WARMUP_IMAGES} and {@link #DEFAULT_BOUNDARY_TOLERANCE}. */
    public static EvaluationConfig defaults() {
        return new EvaluationConfig(DEFAULT_WARMUP_IMAGES, DEFAULT_BOUNDARY_TOLERANCE);
    }
}
