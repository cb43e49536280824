/**
 * The classic algorithms as {@link org.segmentation.core.segment.Segmenter}s
 * ({@link org.segmentation.classic.segment.ClassicSegmenters}), so that they run, and are evaluated, like any other
 * method.
 */
package org.segmentation.classic.segment;
