package org.segmentation.nn.predict;

import org.segmentation.core.image.Connectivity;

/**
 * How {@link Predictor#instances} turns 3-class probabilities (background, interior, boundary, the target of
 * {@code SyntheticCells.threeClassTarget}) into instances with the marker-based watershed.
 *
 * @param interiorThreshold markers are the connected components of P(interior) &gt; this, in (0, 1) (default 0.5)
 * @param foregroundThreshold the flooded mask is P(interior) + P(boundary) &gt; this, in (0, 1) (default 0.5)
 * @param elevation the relief that is flooded (default {@link Elevation#BOUNDARY})
 * @param connectivity of the marker components and of the flooding (default {@link Connectivity#FOUR})
 */
public record InstanceConfig(double interiorThreshold, double foregroundThreshold, Elevation elevation,
        Connectivity connectivity) {
    /** The relief for the watershed. */
    public enum Elevation {
        /** P(boundary): instances meet where the boundary is most likely. */
        BOUNDARY,
        /** 1 − P(foreground) = P(background). */
        INVERSE_FOREGROUND
    }

    /** Validates. */
    public InstanceConfig {
        if (!(interiorThreshold > 0 && interiorThreshold < 1) || !(foregroundThreshold > 0
                && foregroundThreshold < 1)) {
            throw new IllegalArgumentException("thresholds must be in (0, 1), got interior=" + interiorThreshold
                    + " foreground=" + foregroundThreshold);
        }
        if (elevation == null || connectivity == null) {
            throw new IllegalArgumentException("elevation and connectivity must not be null");
        }
    }

    /** The defaults: thresholds 0.5, boundary elevation, 4-connectivity. */
    public static InstanceConfig defaults() {
        return new InstanceConfig(0.5, 0.5, Elevation.BOUNDARY, Connectivity.FOUR);
    }
}
