package org.segmentation.classic.region;

import java.util.Objects;
import org.segmentation.core.image.Connectivity;

/**
 * Settings of {@link SeededRegionGrowing}.
 *
 * @param connectivity neighbourhood of the growth; default {@link Connectivity#FOUR}
 * @param criterion distance between a pixel and a region; default {@link Criterion#MEAN}
 * @param regularization for {@link Criterion#MAHALANOBIS}: added to the diagonal of every region covariance, in
 *     squared intensity units, so that a region of one pixel or of one colour still has an invertible covariance;
 *     finite, {@code > 0}; default 4 (a standard deviation floor of about 2 gray levels)
 */
public record SrgConfig(Connectivity connectivity, Criterion criterion, double regularization) {
    /** How a candidate pixel is compared with a neighbouring region. */
    public enum Criterion {
        /** Euclidean distance between the pixel's value (or colour) and the region's running mean. */
        MEAN,
        /**
         * Mahalanobis distance {@code sqrt((v - m)^T S^-1 (v - m))} with the region's running mean {@code m} and
         * covariance {@code S} (plus the regularization): a pixel joins a varied region more easily than a uniform
         * one at the same Euclidean distance.
         */
        MAHALANOBIS
    }

    /** Validates. */
    public SrgConfig {
        Objects.requireNonNull(connectivity, "connectivity");
        Objects.requireNonNull(criterion, "criterion");
        if (!(regularization > 0) || Double.isInfinite(regularization)) {
            throw new IllegalArgumentException("regularization must be finite and > 0, got " + regularization);
        }
    }

    /** Defaults: 4-connected, mean criterion, regularization 4. */
    public SrgConfig() {
        this(Connectivity.FOUR, Criterion.MEAN, 4.0);
    }

    /** The given connectivity and criterion with the default regularization. */
    public static SrgConfig of(Connectivity connectivity, Criterion criterion) {
        return new SrgConfig(connectivity, criterion, 4.0);
    }
}
