/**
 * Marker-based watershed ({@link org.segmentation.classic.watershed.Watershed}, identical to scikit-image's), marker
 * extraction ({@link org.segmentation.classic.watershed.MarkerOps}) and the one-call distance-transform split of
 * touching objects ({@link org.segmentation.classic.watershed.SplitTouching}).
 */
package org.segmentation.classic.watershed;
