package org.segmentation.classic.watershed;

import java.util.Objects;
import org.segmentation.classic.morphology.Footprint;
import org.segmentation.core.image.Connectivity;

/**
 * Settings of {@link SplitTouching}.
 *
 * @param brightObjects true when objects are brighter than the background (foreground {@code value > t}), false
 *     for dark objects (foreground {@code value <= t}); default true
 * @param backgroundRadius radius of the disk of a white top-hat that removes uneven illumination before the
 *     threshold; it must exceed the objects' radius; 0 skips it (default)
 * @param openingRadius radius of the disk that opens the filled foreground to remove specks and thin bridges; 0
 *     skips the opening; default 2
 * @param minDistance minimum spacing, in pixels, between two object centres (peaks of the distance transform),
 *     {@code >= 1}; default 10
 * @param connectivity neighbourhood of the watershed; default {@link Connectivity#EIGHT}
 */
public record SplitConfig(boolean brightObjects, int backgroundRadius, int openingRadius, int minDistance,
        Connectivity connectivity) {
    /** Validates. */
    public SplitConfig {
        Objects.requireNonNull(connectivity, "connectivity");
        if (backgroundRadius < 0 || backgroundRadius > Footprint.MAX_RADIUS) {
            throw new IllegalArgumentException("backgroundRadius must be in 0.." + Footprint.MAX_RADIUS + ", got "
                    + backgroundRadius);
        }
        if (openingRadius < 0 || openingRadius > Footprint.MAX_RADIUS) {
            throw new IllegalArgumentException("openingRadius must be in 0.." + Footprint.MAX_RADIUS + ", got "
                    + openingRadius);
        }
        if (minDistance < 1) {
            throw new IllegalArgumentException("minDistance must be >= 1, got " + minDistance);
        }
    }

    /** Defaults: bright objects, no background removal, opening radius 2, minimum distance 10, 8-connected. */
    public SplitConfig() {
        this(true, 0, 2, 10, Connectivity.EIGHT);
    }
}
