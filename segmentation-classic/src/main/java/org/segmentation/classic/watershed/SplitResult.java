package org.segmentation.classic.watershed;

import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

/**
 * Result of {@link SplitTouching}.
 *
 * @param labels objects {@code 1..count}, 0 background
 * @param count number of objects
 * @param threshold the Otsu threshold used
 * @param foreground the cleaned binary foreground that was split
 */
public record SplitResult(LabelMap labels, int count, int threshold, Mask foreground) {
}
