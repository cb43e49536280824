package org.segmentation.nn.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.detect.AnchorGenerator;
import org.segmentation.nn.detect.RoiHeadsConfig;
import org.segmentation.nn.detect.RpnConfig;

/**
 * The shape and settings of a {@link MaskRCNN}.
 *
 * @param backbone the ResNet; its four stages feed the FPN
 * @param fpnChannels channels of every pyramid level (torchvision 256)
 * @param anchors anchors for the five levels P2..P6 (the four FPN outputs and the pooled extra level)
 * @param rpn the region proposal network's settings
 * @param roiHeads the box and mask heads' target and inference settings
 * @param classes K, background included (so at least 2)
 * @param representation width of the box head's two fully connected layers (torchvision 1024)
 * @param maskWidth channels of the mask head (torchvision 256)
 * @param dtype FLOAT, or DOUBLE for checks
 */
public record MaskRCNNConfig(ResNetConfig backbone, int fpnChannels, AnchorGenerator anchors, RpnConfig rpn,
        RoiHeadsConfig roiHeads, int classes, int representation, int maskWidth, DataType dtype) {
    /** The pyramid levels anchors are laid on: P2..P5 from the FPN and the pooled P6. */
    public static final int LEVELS = 5;

    public MaskRCNNConfig {
        if (backbone == null || anchors == null || rpn == null || roiHeads == null) {
            throw new IllegalArgumentException("MaskRCNNConfig: backbone, anchors, rpn and roiHeads are required");
        }
        if (backbone.stages() != 4 || anchors.levels() != LEVELS) {
            throw new IllegalArgumentException("MaskRCNNConfig: expected a 4-stage backbone and anchors for 5 levels,"
                    + " got " + backbone.stages() + " stages and " + anchors.levels() + " anchor levels");
        }
        for (int l = 1; l < LEVELS; l++) {
            if (anchors.anchorsPerCell(l) != anchors.anchorsPerCell(0)) {
                throw new IllegalArgumentException("MaskRCNNConfig: the RPN head shares its weights over the levels, so"
                        + " every level needs the same number of anchors per cell, got " + anchors);
            }
        }
        if (fpnChannels <= 0 || classes < 2 || representation <= 0 || maskWidth <= 0) {
            throw new IllegalArgumentException("MaskRCNNConfig: expected positive widths and at least 2 classes, got"
                    + " fpn " + fpnChannels + ", classes " + classes + ", representation " + representation
                    + ", mask " + maskWidth);
        }
        Shapes.requireFloating(dtype);
    }

    /** torchvision's maskrcnn_resnet50_fpn layout: ResNet-50, 256-channel FPN, default anchors and settings. */
    public static MaskRCNNConfig resnet50Fpn(int classes) {
        return new MaskRCNNConfig(ResNetConfig.resnet50(3), 256, AnchorGenerator.torchvisionDefault(),
                RpnConfig.torchvisionDefault(), RoiHeadsConfig.torchvisionDefault(), classes, 1024, 256,
                DataType.FLOAT);
    }

    /**
     * A small configuration that trains on a few CPU cores: the small ResNet, 64-channel FPN, anchors 8..128,
     * 256-wide box head, 64-channel mask head, 1000/500 proposals.
     */
    public static MaskRCNNConfig small(int classes) {
        return new MaskRCNNConfig(ResNetConfig.small(3), 64, AnchorGenerator.small(),
                new RpnConfig(1000, 500, 500, 300, 0.7, 0.7, 0.3, 256, 0.5, 0.0, 1e-3),
                new RoiHeadsConfig(0.5, 0.5, 256, 0.25, 0.05, 0.5, 100), classes, 256, 64, DataType.FLOAT);
    }
}
