package org.segmentation.classic.threshold;

import org.segmentation.core.image.Mask;

/**
 * A global threshold and the binary mask it gives: a pixel is on when its value is strictly greater than
 * {@code threshold} (OpenCV's {@code THRESH_BINARY}, scikit-image's {@code image > thresh}).
 *
 * @param threshold the threshold, in the image's own units
 * @param mask the binarised image
 */
public record ThresholdResult(double threshold, Mask mask) {
}
