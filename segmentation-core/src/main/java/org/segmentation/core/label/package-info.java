/**
 * Connected-component labelling of binary masks ({@link org.segmentation.core.label.ConnectedComponents}, labels in
 * scikit-image's raster order) and per-label area, bounding box and centroid
 * ({@link org.segmentation.core.label.RegionStatistics}).
 */
package org.segmentation.core.label;
