package org.segmentation.classic.threshold;

import org.segmentation.core.image.LabelMap;

/**
 * Result of multi-level Otsu thresholding.
 *
 * @param thresholds the {@code classes - 1} thresholds, increasing, in the image's units
 * @param labels the class of each pixel, {@code 1 + (number of thresholds t with value > t)}, so 1..classes
 */
public record MultiOtsuResult(int[] thresholds, LabelMap labels) {
}
