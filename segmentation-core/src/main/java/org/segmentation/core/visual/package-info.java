/**
 * Pictures of segmentations for people: {@link org.segmentation.core.visual.Overlay} blends label maps and masks
 * onto images and outlines regions, writing an {@code RgbU8}.
 */
package org.segmentation.core.visual;
