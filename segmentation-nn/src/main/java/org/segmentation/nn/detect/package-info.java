/**
 * The detection parts of Mask R-CNN (He et al., 2017), written against torchvision 0.14's conventions so that a
 * model trained by one runs in the other: boxes, their coding and non-maximum suppression ({@link
 * org.segmentation.nn.detect.BoxOps}, {@link org.segmentation.nn.detect.BoxCoder}, {@link
 * org.segmentation.nn.detect.Nms}), anchors per feature-pyramid level ({@link
 * org.segmentation.nn.detect.AnchorGenerator}), RoIAlign with its backward pass ({@link
 * org.segmentation.nn.detect.RoIAlign}), the FPN level of a box ({@link org.segmentation.nn.detect.LevelMapper}) and
 * RoIAlign over the pyramid ({@link org.segmentation.nn.detect.MultiScaleRoIAlign}); the region proposal network's
 * head ({@link org.segmentation.nn.detect.RpnHead}), proposal selection, anchor matching ({@link
 * org.segmentation.nn.detect.Matcher}), balanced sampling ({@link org.segmentation.nn.detect.BalancedSampler}) and
 * losses ({@link org.segmentation.nn.detect.Rpn}, configured by {@link org.segmentation.nn.detect.RpnConfig}); the box
 * and mask heads' targets, losses and inference ({@link org.segmentation.nn.detect.RoiHeads}, configured by {@link
 * org.segmentation.nn.detect.RoiHeadsConfig}) and the two heads as layers ({@link org.segmentation.nn.detect.BoxHead},
 * {@link org.segmentation.nn.detect.MaskHead}).
 *
 * <p>Boxes are flat {@code double[]} arrays of (x1, y1, x2, y2) in pixels, box i at {@code [4i, 4i+4)}, the corner
 * convention of torchvision ({@code x2 - x1} is the width; no "+1"). They are small (thousands of boxes per image)
 * and are never differentiated: torchvision detaches proposals and targets as well. Feature maps and the tensors
 * that gradients flow through are ND4J arrays, as everywhere in {@code segmentation-nn}. Bad arguments raise
 * {@link IllegalArgumentException} naming the argument and the offending value or length.
 */
package org.segmentation.nn.detect;
