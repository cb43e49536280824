package org.segmentation.nn.conv;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.nn.Memory;

/**
 * The three kernels of a stride-1, "same"-padded k×k convolution (k odd, cross-correlation as in PyTorch),
 * kept behind one interface: {@link WinogradConv2d}, {@link ColumnsConv2d}, {@link ShiftedGemmConv2d}, and
 * {@link AutoConv2d}, which picks one of them per pass and shape for {@link org.segmentation.nn.layers.Conv2d}.
 *
 * <p>The calls are independent: an algorithm keeps nothing from one call to the next (backward-weights takes the
 * forward's input again and recomputes what it needs from it), so a layer caches only its input. Work memory
 * comes from the calling thread's {@link ConvScratch}. Shapes are checked by the layer, not here.
 *
 * <p>Each pass also takes its activations in the {@link PhasedLayout} (a flag per tensor, W a multiple of 4): an
 * algorithm that reads and writes that layout directly overrides those methods (Winograd, and the columns for a
 * phased y or dY); the others compute through standard copies. Every algorithm gives the same results in either
 * layout: bit for bit, but for {@link ColumnsConv2d}, whose products then take the pixels in another order (float
 * rounding only).
 */
public interface Conv2dAlgorithm {

    /**
     * Overwrites {@code y} with the convolution of {@code x} plus the bias.
     *
     * @param x input (N,C,H,W)
     * @param w weights (K,C,k,k)
     * @param b bias (K)
     * @param y output (N,K,H,W), overwritten
     */
    void forward(INDArray x, INDArray w, INDArray b, INDArray y);

    /**
     * Overwrites {@code y} with max(0, convolution of {@code x} plus the bias): {@link #forward} then a ReLU, which
     * an algorithm may apply while it writes y instead of in a second pass over it (inference, with batch norm
     * folded into the convolution).
     *
     * @param x input (N,C,H,W)
     * @param w weights (K,C,k,k)
     * @param b bias (K)
     * @param y output (N,K,H,W), overwritten
     */
    default void forwardRelu(INDArray x, INDArray w, INDArray b, INDArray y) {
        forward(x, w, b, y);
        Transforms.relu(y, false);
    }

    /**
     * Overwrites {@code dX} with the gradient of the loss with respect to the input.
     *
     * @param dY gradient of the output (N,K,H,W)
     * @param w weights (K,C,k,k)
     * @param dX gradient of the input (N,C,H,W), overwritten
     */
    void backwardData(INDArray dY, INDArray w, INDArray dX);

    /**
     * Adds the gradients of the weights and of the bias to {@code dW} and {@code dB}.
     *
     * @param x the input (N,C,H,W) given to the last {@link #forward}
     * @param dY gradient of the output (N,K,H,W)
     * @param dW gradient of the weights (K,C,k,k), accumulated into
     * @param dB gradient of the bias (K), accumulated into
     */
    void backwardWeights(INDArray x, INDArray dY, INDArray dW, INDArray dB);

    /**
     * {@link #forward} or, with {@code relu}, {@link #forwardRelu}, with x and y each in the standard or the
     * {@link PhasedLayout}. By default through standard copies of the phased tensors.
     */
    default void forward(INDArray x, boolean xPhased, INDArray w, INDArray b, INDArray y, boolean yPhased,
            boolean relu) {
        INDArray xs = xPhased ? PhasedLayout.standard(x) : x;
        INDArray ys = yPhased ? Memory.detached(y.dataType(), y.shape()) : y;
        if (relu) {
            forwardRelu(xs, w, b, ys);
        } else {
            forward(xs, w, b, ys);
        }
        if (yPhased) {
            PhasedLayout.phase(ys, y);
            Memory.free(ys);
        }
        if (xPhased) {
            Memory.free(xs);
        }
    }

    /** {@link #backwardData} with dY and dX each in the standard or the {@link PhasedLayout}. */
    default void backwardData(INDArray dY, boolean dYPhased, INDArray w, INDArray dX, boolean dXPhased) {
        INDArray dYs = dYPhased ? PhasedLayout.standard(dY) : dY;
        INDArray dXs = dXPhased ? Memory.detached(dX.dataType(), dX.shape()) : dX;
        backwardData(dYs, w, dXs);
        if (dXPhased) {
            PhasedLayout.phase(dXs, dX);
            Memory.free(dXs);
        }
        if (dYPhased) {
            Memory.free(dYs);
        }
    }

    /** {@link #backwardWeights} with x and dY each in the standard or the {@link PhasedLayout}. */
    default void backwardWeights(INDArray x, boolean xPhased, INDArray dY, boolean dYPhased, INDArray dW,
            INDArray dB) {
        INDArray xs = xPhased ? PhasedLayout.standard(x) : x;
        INDArray dYs = dYPhased ? PhasedLayout.standard(dY) : dY;
        backwardWeights(xs, dYs, dW, dB);
        if (xPhased) {
            Memory.free(xs);
        }
        if (dYPhased) {
            Memory.free(dYs);
        }
    }
}
