/**
 * Region growing from seeds: fixed-range flood fill ({@link org.segmentation.classic.region.FloodFill}, as
 * {@code skimage.segmentation.flood} and {@code cv2.floodFill}) and seeded region growing with competing seeds
 * ({@link org.segmentation.classic.region.SeededRegionGrowing}, Adams and Bischof 1994).
 */
package org.segmentation.classic.region;
