package org.segmentation.nn.conv;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The three kernels of a stride-1, "same"-padded k×k convolution (k odd, cross-correlation as in PyTorch),
 * kept behind one interface: {@link WinogradConv2d}, {@link ShiftedGemmConv2d}, and {@link AutoConv2d}, which
 * picks one of them per pass and shape for {@link org.segmentation.nn.layers.Conv2d}.
 *
 * <p>The calls are independent: an algorithm keeps nothing from one call to the next (backward-weights takes the
 * forward's input again and recomputes what it needs from it), so a layer caches only its input. Work memory
 * comes from the calling thread's {@link ConvScratch}. Shapes are checked by the layer, not here.
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
}
