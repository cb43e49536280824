package org.segmentation.classic.region;

import java.util.Arrays;
import java.util.Objects;
import org.segmentation.core.image.Connectivity;

/**
 * Settings of {@link FloodFill}. A pixel joins when each of its channels lies within {@code tolerance} of the
 * seed's, bounds included: {@code seed - tol <= value <= seed + tol}.
 *
 * @param connectivity neighbourhood; default {@link Connectivity#FOUR}
 * @param tolerance one value for gray images (or for all three RGB channels), or three for red, green and blue;
 *     each finite and non-negative; default {@code {0}} (only pixels equal to the seed)
 */
public record FloodConfig(Connectivity connectivity, double[] tolerance) {
    /** Validates and copies the tolerance array. */
    public FloodConfig {
        Objects.requireNonNull(connectivity, "connectivity");
        Objects.requireNonNull(tolerance, "tolerance");
        if (tolerance.length != 1 && tolerance.length != 3) {
            throw new IllegalArgumentException("tolerance needs 1 or 3 values, got " + tolerance.length);
        }
        tolerance = tolerance.clone();
        for (double t : tolerance) {
            if (!(t >= 0) || Double.isInfinite(t)) {
                throw new IllegalArgumentException("tolerance must be finite and >= 0, got " + t);
            }
        }
    }

    /** Defaults: 4-connected, tolerance 0. */
    public FloodConfig() {
        this(Connectivity.FOUR, new double[] {0});
    }

    /** One tolerance for gray images or for all RGB channels. */
    public static FloodConfig of(Connectivity connectivity, double tolerance) {
        return new FloodConfig(connectivity, new double[] {tolerance});
    }

    /** Tolerance of channel {@code c}; a single tolerance serves every channel. */
    public double tolerance(int c) {
        return tolerance[tolerance.length == 1 ? 0 : c];
    }

    /** A copy of the tolerances. */
    @Override
    public double[] tolerance() {
        return tolerance.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FloodConfig f && f.connectivity == connectivity && Arrays.equals(f.tolerance, tolerance);
    }

    @Override
    public int hashCode() {
        return connectivity.hashCode() * 31 + Arrays.hashCode(tolerance);
    }

    @Override
    public String toString() {
        return "FloodConfig[connectivity=" + connectivity + ", tolerance=" + Arrays.toString(tolerance) + "]";
    }
}
