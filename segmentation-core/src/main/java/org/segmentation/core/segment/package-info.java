/**
 * The task-level view of segmentation: every method, classic or learned, is a
 * {@link org.segmentation.core.segment.Segmenter} that turns an image into a {@link org.segmentation.core.image.LabelMap}
 * and says whether its labels are classes, a foreground or instances.
 *
 * <ul>
 *   <li>{@link org.segmentation.core.segment.SegmenterInput}: the image, as a float planar image in [0, 1] with 8-bit
 *       gray and RGB views made on first use and shared by every segmenter run on it.</li>
 *   <li>{@link org.segmentation.core.segment.Baselines}: trivial segmenters that set the floor of an evaluation.</li>
 *   <li>{@link org.segmentation.core.segment.SegmenterRegistry}: segmenters by name, for command lines and
 *       evaluations; a {@link org.segmentation.core.segment.SegmenterProvider} on the class path adds a user's own.</li>
 * </ul>
 */
package org.segmentation.core.segment;
