/**
 * Global thresholds: binary Otsu ({@link org.segmentation.classic.threshold.OtsuOps}, equal to OpenCV on 8-bit
 * images), multi-level Otsu ({@link org.segmentation.classic.threshold.MultiOtsuOps}, equal to scikit-image) and
 * plain binarisation ({@link org.segmentation.classic.threshold.ThresholdOps}). Foreground is {@code value > t}.
 */
package org.segmentation.classic.threshold;
