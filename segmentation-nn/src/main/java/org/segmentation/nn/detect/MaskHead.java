package org.segmentation.nn.detect;

import java.util.Random;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.conv.AutoConv2d;
import org.segmentation.nn.layers.Conv2d;
import org.segmentation.nn.layers.ConvTranspose2x2;
import org.segmentation.nn.layers.Relu;
import org.segmentation.nn.layers.StridedConv2d;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * The mask branch of Mask R-CNN as torchvision's {@code MaskRCNNHeads} and {@code MaskRCNNPredictor}: four 3×3
 * convolutions with ReLU on the (R, C, 14, 14) pooled features, a 2×2 stride-2 transposed convolution with ReLU to
 * 28×28, and a 1×1 convolution to one mask logit map per class (R, K, 28, 28). Names are torchvision's:
 * {@code <head>i.0} for the four convolutions, {@code <predictor>conv5_mask} and {@code <predictor>mask_fcn_logits}.
 * The convolutions' weights start kaiming-normal (fan out, ReLU gain) as in torchvision, the head's biases at zero;
 * the transposed convolution's weight gets the same once the parameter buffer is built ({@link
 * #initTransposedWeight}), its bias PyTorch's default.
 *
 * <p>The four 3×3 convolutions run on the U-Net's convolution engine ({@link AutoConv2d}'s rule: Winograd,
 * parallel over the regions' tiles, for float32 on the CPU backend; ND4J ops elsewhere). On the generic
 * {@link StridedConv2d} (one region at a time, on one thread) they took 44% of the main thread's profile of the
 * small configuration's training on 64-px composites; the move made 100 such steps 12-22% faster.
 */
public final class MaskHead {
    private final Conv2d[] convs = new Conv2d[4];
    private final Relu[] relus = new Relu[5];
    private final ConvTranspose2x2 up;
    private final StridedConv2d logits;
    private final INDArray[] hidden = new INDArray[5];

    /**
     * @param headPrefix e.g. {@code "roi_heads.mask_head."}
     * @param predictorPrefix e.g. {@code "roi_heads.mask_predictor."}
     * @param inChannels channels of the pooled features (torchvision: 256)
     * @param width channels of the four convolutions and the transposed one (torchvision: 256)
     * @param classes K, background included
     */
    public MaskHead(ParameterBuffer.Builder params, String headPrefix, String predictorPrefix, int inChannels,
            int width, int classes, Random rng) {
        int in = inChannels;
        for (int i = 0; i < 4; i++) {
            convs[i] = new Conv2d(params, headPrefix + i + ".0", in, width, 3, kaimingFanOut(rng, width * 9),
                    a -> a.assign(0), new AutoConv2d());
            in = width;
        }
        for (int i = 0; i < 5; i++) {
            relus[i] = new Relu();
        }
        up = new ConvTranspose2x2(params, predictorPrefix + "conv5_mask", width, width, rng);
        // torchvision re-initialises the predictor's weights only; this bias keeps PyTorch's default
        logits = new StridedConv2d(params, predictorPrefix + "mask_fcn_logits", width, classes, 1, 1, 1, 1, 0, 0,
                StridedConv2d.COLUMN_CHUNK, kaimingFanOut(rng, classes),
                org.segmentation.nn.param.Init.uniform(rng, 1.0 / Math.sqrt(width)));
    }

    /**
     * Draws the transposed convolution's (C, C, 2, 2) weight kaiming-normal with fan out C·4, as torchvision does
     * ({@code ConvTranspose2x2} declares PyTorch's default uniform initialiser); call once the buffer is built.
     */
    public void initTransposedWeight(Random rng) {
        INDArray w = up.weight().value();
        kaimingFanOut(rng, (int) (w.size(0) * 4)).accept(w);
    }

    private static Consumer<INDArray> kaimingFanOut(Random rng, int fanOut) {
        return org.segmentation.nn.param.Init.normal(rng, Math.sqrt(2.0 / fanOut));
    }

    /** Frees what forward kept for backward, when no backward follows (inference). */
    public void discard() {
        Memory.free(hidden);
        java.util.Arrays.fill(hidden, null);
    }

    /**
     * @param pooled (R, C, s, s), kept by reference until backward
     * @return mask logits (R, K, 2s, 2s), owned by the caller
     */
    public INDArray forward(INDArray pooled) {
        INDArray h = pooled;
        for (int i = 0; i < 4; i++) {
            INDArray t = convs[i].forward(h);
            hidden[i] = relus[i].forward(t, t);
            h = hidden[i];
        }
        INDArray u = up.forward(h);
        hidden[4] = relus[4].forward(u, u);
        return logits.forward(hidden[4]);
    }

    /**
     * @param dLogits (R, K, 2s, 2s)
     * @return the gradient of the pooled features (R, C, s, s)
     */
    public INDArray backward(INDArray dLogits) {
        if (hidden[4] == null) {
            throw new IllegalStateException("MaskHead.backward called before forward");
        }
        INDArray d = logits.backward(dLogits);
        INDArray g = relus[4].backward(d);
        Memory.free(d, hidden[4]);
        d = up.backward(g);
        Memory.free(g);
        for (int i = 3; i >= 0; i--) {
            g = relus[i].backward(d);
            Memory.free(d);
            d = convs[i].backward(g);
            Memory.free(g, hidden[i]);
            hidden[i] = null;
        }
        hidden[4] = null;
        return d;
    }
}
