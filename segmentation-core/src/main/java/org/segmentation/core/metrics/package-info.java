/**
 * Evaluation metrics for segmentations.
 *
 * <ul>
 *   <li>Semantic (class maps, classes {@code 0..N-1}, optional ignore label): {@link
 *       org.segmentation.core.metrics.ConfusionMatrix} (IoU, Dice/F1, pixel accuracy) and {@link
 *       org.segmentation.core.metrics.BoundaryF1}.</li>
 *   <li>Partitions (label values are arbitrary names): {@link org.segmentation.core.metrics.PartitionMetrics}
 *       (adapted Rand error, variation of information, as scikit-image 0.19) over a sparse, exact {@link
 *       org.segmentation.core.metrics.ContingencyTable}.</li>
 *   <li>Instances (label 0 background, 1..n instances): {@link org.segmentation.core.metrics.InstanceMetrics}.</li>
 *   <li>Scored detections of several classes: {@link org.segmentation.core.metrics.CocoAveragePrecision} (COCO's
 *       AP@[.5:.95], AP50, AP75 with 101-point interpolation, per class and mean).</li>
 *   <li>Masks: {@link org.segmentation.core.metrics.HausdorffDistance} (exact, through the distance transform).</li>
 * </ul>
 *
 * <p>Labels are never negative; bad shapes or labels raise {@link java.lang.IllegalArgumentException} naming the
 * value and pixel. Inputs are never modified.
 */
package org.segmentation.core.metrics;
