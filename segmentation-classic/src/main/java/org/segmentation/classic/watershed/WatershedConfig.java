package org.segmentation.classic.watershed;

import java.util.Objects;
import org.segmentation.core.image.Connectivity;

/**
 * Settings of {@link Watershed}.
 *
 * @param connectivity neighbourhood of the flooding; default {@link Connectivity#FOUR} ({@code connectivity=1})
 * @param watershedLine when true, pixels where two basins meet stay 0 and separate them, as scikit-image's
 *     {@code watershed_line=True}; default false
 * @param compactness weight of the Euclidean distance to the basin's marker pixel added to the elevation
 *     (compact watershed, Neubert and Protzel 2014); finite, {@code >= 0}; default 0 (plain watershed)
 */
public record WatershedConfig(Connectivity connectivity, boolean watershedLine, double compactness) {
    /** Validates. */
    public WatershedConfig {
        Objects.requireNonNull(connectivity, "connectivity");
        if (!(compactness >= 0) || Double.isInfinite(compactness)) {
            throw new IllegalArgumentException("compactness must be finite and >= 0, got " + compactness);
        }
    }

    /** Defaults: 4-connected, no lines, no compactness. */
    public WatershedConfig() {
        this(Connectivity.FOUR, false, 0);
    }

    /** Plain watershed with the given connectivity. */
    public static WatershedConfig of(Connectivity connectivity) {
        return new WatershedConfig(connectivity, false, 0);
    }
}
