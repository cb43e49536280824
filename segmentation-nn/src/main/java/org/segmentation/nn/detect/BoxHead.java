package org.segmentation.nn.detect;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.layers.Linear;
import org.segmentation.nn.layers.Relu;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * The box branch of Faster R-CNN as torchvision's {@code TwoMLPHead} followed by {@code FastRCNNPredictor}: the
 * pooled (R, C, s, s) features flattened, t = relu(fc7(relu(fc6(x)))), class logits = cls_score(t) (R, K) and box
 * deltas = bbox_pred(t) (R, 4K), class c's deltas at 4c .. 4c+3. Parameter names are torchvision's:
 * {@code <head>fc6}, {@code <head>fc7}, {@code <predictor>cls_score}, {@code <predictor>bbox_pred}, each with
 * {@code .weight} and {@code .bias}; weights start as PyTorch's default for {@code Linear}, as in torchvision.
 */
public final class BoxHead {
    private final int inFeatures;
    private final Linear fc6;
    private final Linear fc7;
    private final Linear clsScore;
    private final Linear bboxPred;
    private final Relu relu6 = new Relu();
    private final Relu relu7 = new Relu();
    private INDArray h6;
    private INDArray h7;
    private long[] inputShape;

    /**
     * @param headPrefix e.g. {@code "roi_heads.box_head."}
     * @param predictorPrefix e.g. {@code "roi_heads.box_predictor."}
     * @param inFeatures C·s·s of the pooled features (torchvision: 256·7·7)
     * @param representation width of fc6 and fc7 (torchvision: 1024)
     * @param classes K, background included
     */
    public BoxHead(ParameterBuffer.Builder params, String headPrefix, String predictorPrefix, int inFeatures,
            int representation, int classes, Random rng) {
        if (classes < 2) {
            throw new IllegalArgumentException("BoxHead: expected at least 2 classes (background and one object), got "
                    + classes);
        }
        this.inFeatures = inFeatures;
        fc6 = new Linear(params, headPrefix + "fc6", inFeatures, representation, rng);
        fc7 = new Linear(params, headPrefix + "fc7", representation, representation, rng);
        clsScore = new Linear(params, predictorPrefix + "cls_score", representation, classes, rng);
        bboxPred = new Linear(params, predictorPrefix + "bbox_pred", representation, 4 * classes, rng);
    }

    /** Frees what forward kept for backward, when no backward follows (inference). */
    public void discard() {
        Memory.free(h6, h7);
        h6 = h7 = null;
    }

    /** Class logits (R, K) and box deltas (R, 4K), owned by the caller. */
    public record Output(INDArray logits, INDArray deltas) {
    }

    /**
     * @param pooled (R, C, s, s) with C·s·s = inFeatures
     */
    public Output forward(INDArray pooled) {
        Shapes.require("BoxHead input", "(R,C,s,s)", pooled, Shapes.ANY, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        if (pooled.size(1) * pooled.size(2) * pooled.size(3) != inFeatures) {
            throw new IllegalArgumentException("BoxHead input: expected C·s·s = " + inFeatures + ", got shape "
                    + java.util.Arrays.toString(pooled.shape()));
        }
        inputShape = pooled.shape();
        INDArray flat = pooled.dup('c').reshape(pooled.size(0), inFeatures);
        INDArray a = fc6.forward(flat);
        h6 = relu6.forward(a, a);
        INDArray b = fc7.forward(h6);
        h7 = relu7.forward(b, b);
        return new Output(clsScore.forward(h7), bboxPred.forward(h7));
    }

    /**
     * @return the gradient of the pooled features (R, C, s, s)
     */
    public INDArray backward(INDArray dLogits, INDArray dDeltas) {
        if (h7 == null) {
            throw new IllegalStateException("BoxHead.backward called before forward");
        }
        INDArray d7 = clsScore.backward(dLogits);
        INDArray dB = bboxPred.backward(dDeltas);
        d7.addi(dB);
        Memory.free(dB);
        INDArray g7 = relu7.backward(d7);
        Memory.free(d7, h7);
        INDArray d6 = fc7.backward(g7);
        Memory.free(g7);
        INDArray g6 = relu6.backward(d6);
        Memory.free(d6, h6);
        INDArray dX = fc6.backward(g6);
        Memory.free(g6);
        h6 = h7 = null;
        return dX.reshape(inputShape);
    }
}
