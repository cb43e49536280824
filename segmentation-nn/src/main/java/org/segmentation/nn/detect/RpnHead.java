package org.segmentation.nn.detect;

import java.util.Random;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.layers.Relu;
import org.segmentation.nn.layers.StridedConv2d;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * The region proposal head of Faster R-CNN (Ren et al., 2015) as torchvision's {@code RPNHead}: on every pyramid
 * level, with the same weights, t = relu(conv3×3(P)), objectness logits = conv1×1(t) with A channels (one per
 * anchor of a cell) and box deltas = conv1×1(t) with 4A channels, anchor a's (dx, dy, dw, dh) in channels
 * 4a .. 4a+3. Weights start normal(0, 0.01) and biases 0, as in torchvision. Parameter names are torchvision's
 * under a prefix: {@code conv.0.0.weight/bias}, {@code cls_logits.weight/bias}, {@code bbox_pred.weight/bias}.
 *
 * <p>One instance of each convolution per level shares the parameters ({@link StridedConv2d#StridedConv2d(
 * StridedConv2d)}), so each level keeps its own input for backward and all add into the same gradients.
 */
public final class RpnHead {
    private final int anchors;
    private final StridedConv2d[] conv;
    private final StridedConv2d[] cls;
    private final StridedConv2d[] bbox;
    private final Relu[] relu;
    private INDArray[] hidden;   // per level relu(conv(P)), kept for backward

    /**
     * @param prefix e.g. {@code "rpn.head."}
     * @param channels channels of every pyramid level
     * @param anchorsPerCell A, anchors per feature-map cell
     * @param levels pyramid levels the head runs on
     * @param rng draws the normal(0, 0.01) initial weights
     */
    public RpnHead(ParameterBuffer.Builder params, String prefix, int channels, int anchorsPerCell, int levels,
            Random rng) {
        if (channels <= 0 || anchorsPerCell <= 0 || levels <= 0) {
            throw new IllegalArgumentException("RpnHead: expected positive channels, anchors per cell and levels, got "
                    + channels + ", " + anchorsPerCell + ", " + levels);
        }
        this.anchors = anchorsPerCell;
        Consumer<INDArray> normal = org.segmentation.nn.param.Init.normal(rng, 0.01);
        Consumer<INDArray> zero = a -> a.assign(0);
        conv = new StridedConv2d[levels];
        cls = new StridedConv2d[levels];
        bbox = new StridedConv2d[levels];
        relu = new Relu[levels];
        conv[0] = new StridedConv2d(params, prefix + "conv.0.0", channels, channels, 3, 3, 1, 1, 1, 1,
                StridedConv2d.COLUMN_CHUNK, normal, zero);
        cls[0] = new StridedConv2d(params, prefix + "cls_logits", channels, anchorsPerCell, 1, 1, 1, 1, 0, 0,
                StridedConv2d.COLUMN_CHUNK, normal, zero);
        bbox[0] = new StridedConv2d(params, prefix + "bbox_pred", channels, 4 * anchorsPerCell, 1, 1, 1, 1, 0, 0,
                StridedConv2d.COLUMN_CHUNK, normal, zero);
        for (int l = 0; l < levels; l++) {
            if (l > 0) {
                conv[l] = new StridedConv2d(conv[0]);
                cls[l] = new StridedConv2d(cls[0]);
                bbox[l] = new StridedConv2d(bbox[0]);
            }
            relu[l] = new Relu();
        }
    }

    /** Frees what forward kept for backward, when no backward follows (inference). */
    public void discard() {
        if (hidden != null) {
            Memory.free(hidden);
            hidden = null;
        }
    }

    /** The head's outputs per level. */
    public record Output(INDArray[] objectness, INDArray[] deltas) {
    }

    public int anchorsPerCell() {
        return anchors;
    }

    /**
     * @param features the pyramid levels, each (N, channels, H_l, W_l), kept by reference until backward
     * @return per level the objectness logits (N, A, H_l, W_l) and the deltas (N, 4A, H_l, W_l), owned by the
     *     caller
     */
    public Output forward(INDArray[] features) {
        if (features == null || features.length != conv.length) {
            throw new IllegalArgumentException("RpnHead: expected " + conv.length + " levels, got "
                    + (features == null ? "null" : features.length));
        }
        INDArray[] obj = new INDArray[conv.length];
        INDArray[] del = new INDArray[conv.length];
        hidden = new INDArray[conv.length];
        for (int l = 0; l < conv.length; l++) {
            INDArray t = conv[l].forward(features[l]);
            hidden[l] = relu[l].forward(t, t);
            obj[l] = cls[l].forward(hidden[l]);
            del[l] = bbox[l].forward(hidden[l]);
        }
        return new Output(obj, del);
    }

    /**
     * Adds the parameter gradients into the buffer and frees the head's intermediates.
     *
     * @param dObjectness per level, the gradient of the logits (N, A, H_l, W_l)
     * @param dDeltas per level, the gradient of the deltas (N, 4A, H_l, W_l)
     * @return per level, the gradient of the feature map
     */
    public INDArray[] backward(INDArray[] dObjectness, INDArray[] dDeltas) {
        if (hidden == null) {
            throw new IllegalStateException("RpnHead.backward called before forward");
        }
        if (dObjectness == null || dDeltas == null || dObjectness.length != conv.length
                || dDeltas.length != conv.length) {
            throw new IllegalArgumentException("RpnHead.backward: expected " + conv.length
                    + " objectness and delta gradients");
        }
        INDArray[] dF = new INDArray[conv.length];
        for (int l = 0; l < conv.length; l++) {
            INDArray dH = cls[l].backward(dObjectness[l]);
            INDArray dB = bbox[l].backward(dDeltas[l]);
            dH.addi(dB);
            Memory.free(dB);
            INDArray dT = relu[l].backward(dH);
            Memory.free(dH, hidden[l]);
            dF[l] = conv[l].backward(dT);
            Memory.free(dT);
        }
        hidden = null;
        return dF;
    }
}
