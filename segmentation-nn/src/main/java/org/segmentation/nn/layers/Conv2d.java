package org.segmentation.nn.layers;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.conv.Conv2dAlgorithm;
import org.segmentation.nn.conv.AutoConv2d;
import org.segmentation.nn.conv.PhasedLayout;
import org.segmentation.nn.conv.WinogradConv2d;
import org.segmentation.nn.param.Init;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * k×k convolution with stride 1, "same" zero padding of k/2 (k odd) and a bias; PyTorch's
 * {@code Conv2d(C, K, k, padding=k//2)}. Weights are (K,C,k,k) and are initialised like PyTorch's default,
 * uniform on ±1/sqrt(C·k·k), weights and bias alike.
 *
 * <p>Memory ({@link Memory}): the output and the input gradient are detached arrays owned by the caller; the only
 * cache is a reference to the input x, which the caller keeps alive until {@link #backward} and which backward
 * drops. The algorithm keeps nothing between calls; its temporaries live in the scratch workspace of each call
 * and its work buffers in the thread's grow-only {@code ConvScratch}.
 */
public final class Conv2d {
    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final DataType dtype;
    private final Parameter weight; // (K,C,k,k)
    private final Parameter bias;   // (K)
    private final Conv2dAlgorithm algorithm;

    // cache for backward
    private INDArray x; // (N,C,H,W)
    private boolean xPhased;
    private boolean yPhased;

    /** A convolution computed by {@link AutoConv2d}'s deterministic rule. */
    public Conv2d(ParameterBuffer.Builder params, String name, int inChannels, int outChannels, int kernel,
            Random rng) {
        this(params, name, inChannels, outChannels, kernel, rng, new AutoConv2d());
    }

    public Conv2d(ParameterBuffer.Builder params, String name, int inChannels, int outChannels, int kernel,
            Random rng, Conv2dAlgorithm algorithm) {
        this(params, name, inChannels, outChannels, kernel,
                Init.uniform(rng, 1.0 / Math.sqrt((double) inChannels * kernel * kernel)),
                Init.uniform(rng, 1.0 / Math.sqrt((double) inChannels * kernel * kernel)), algorithm);
    }

    /**
     * A convolution with its own initialisers (Mask R-CNN's mask head: kaiming-normal weights, zero biases).
     *
     * @param weightInit fills the (K,C,k,k) weights when the buffer is built
     * @param biasInit fills the (K) bias
     */
    public Conv2d(ParameterBuffer.Builder params, String name, int inChannels, int outChannels, int kernel,
            java.util.function.Consumer<INDArray> weightInit, java.util.function.Consumer<INDArray> biasInit,
            Conv2dAlgorithm algorithm) {
        if (inChannels <= 0 || outChannels <= 0) {
            throw new IllegalArgumentException("channel counts must be positive, got in=" + inChannels
                    + " out=" + outChannels);
        }
        if (kernel <= 0 || kernel % 2 == 0) {
            throw new IllegalArgumentException("kernel must be odd and positive for same padding, got " + kernel);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.dtype = params.dataType();
        this.algorithm = algorithm;
        this.weight = params.add(name + ".weight", new long[] {outChannels, inChannels, kernel, kernel}, weightInit);
        this.bias = params.add(name + ".bias", new long[] {outChannels}, biasInit);
    }

    /**
     * @param x input (N,C,H,W)
     * @return output (N,K,H,W)
     */
    public INDArray forward(INDArray x) {
        return forward(x, false, false);
    }

    /**
     * {@link #forward(INDArray)} with x and the output each in the standard or the {@link PhasedLayout} (W a
     * multiple of 4); {@link #backward} then takes dY in the output's layout and returns dX in the input's.
     */
    public INDArray forward(INDArray x, boolean xPhased, boolean yPhased) {
        Shapes.require("Conv2d input x", "(N,C,H,W)", x, Shapes.ANY, inChannels, Shapes.ANY, Shapes.ANY);
        Shapes.requireType("Conv2d input x", x, dtype);
        if (xPhased || yPhased) {
            PhasedLayout.require("Conv2d input x", x);
        }
        this.x = x;
        this.xPhased = xPhased;
        this.yPhased = yPhased;
        INDArray y = Memory.detached(dtype, x.size(0), outChannels, x.size(2), x.size(3));
        try (MemoryWorkspace ws = Memory.scratch()) {
            algorithm.forward(x, xPhased, weight.value(), bias.value(), y, yPhased, false);
        }
        return y;
    }

    /**
     * Whether this convolution computes the {@link PhasedLayout} directly for an input of this shape (it does so
     * with the Winograd algorithm, float32 3×3 on the CPU), rather than through standard copies.
     */
    public boolean phasesDirectly(INDArray x) {
        return PhasedLayout.fits(x) && WinogradConv2d.supports(weight.value());
    }

    /**
     * Inference through this convolution and the batch norm that follows it, in evaluation mode, as one
     * convolution: the batch norm's affine map ({@link BatchNorm2d#evaluationAffine}) is folded into the weights,
     * w'[k] = w[k]·scale[k] and b'[k] = b[k]·scale[k] + shift[k], and its fused ReLU, if any, runs in place on the
     * output. That saves the batch norm's two passes over memory and its output array; the result differs from
     * {@code bn.forward(forward(x))} by float rounding only. Nothing is cached: there is no backward.
     *
     * @param x input (N,C,H,W)
     * @param bn the following batch norm over K channels, in evaluation mode
     * @return bn(conv(x)) (N,K,H,W), a new detached array
     */
    public INDArray forwardEvaluation(INDArray x, BatchNorm2d bn) {
        return forwardEvaluation(x, bn, false, false);
    }

    /** {@link #forwardEvaluation(INDArray, BatchNorm2d)} with x and the output each in either layout. */
    public INDArray forwardEvaluation(INDArray x, BatchNorm2d bn, boolean xPhased, boolean yPhased) {
        Shapes.require("Conv2d input x", "(N,C,H,W)", x, Shapes.ANY, inChannels, Shapes.ANY, Shapes.ANY);
        Shapes.requireType("Conv2d input x", x, dtype);
        if (xPhased || yPhased) {
            PhasedLayout.require("Conv2d input x", x);
        }
        double[][] affine = bn.evaluationAffine();
        if (affine[0].length != outChannels) {
            throw new IllegalArgumentException("batch norm over " + affine[0].length + " channels after a"
                    + " convolution with " + outChannels + " outputs");
        }
        INDArray y = Memory.detached(dtype, x.size(0), outChannels, x.size(2), x.size(3));
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray w, b;
            if (dtype == DataType.FLOAT && Scalars.hostMemory() && Scalars.isContiguous(weight.value())
                    && Scalars.isContiguous(bias.value())) {
                w = Nd4j.createUninitialized(dtype, weight.value().shape());
                b = Nd4j.createUninitialized(dtype, outChannels);
                fold(weight.value(), bias.value(), affine, w, b);
            } else {
                INDArray scale = Nd4j.createFromArray(affine[0]).castTo(dtype);
                INDArray shift = Nd4j.createFromArray(affine[1]).castTo(dtype);
                w = weight.value().mul(scale.reshape(outChannels, 1, 1, 1));
                b = bias.value().mul(scale).addi(shift);
            }
            algorithm.forward(x, xPhased, w, b, y, yPhased, bn.relu());
        }
        return y;
    }

    /**
     * The folded weights and bias of {@link #forwardEvaluation} as one loop over the host buffers (CPU backend,
     * float32), in place of the six ND4J ops of the other path (about 30 µs each, serial: some 3% of a small
     * U-Net's inference). Rounded as those ops round (scale and shift to float32 first, then a float32 product and
     * sum), so both paths give the same bits.
     */
    static void fold(INDArray weight, INDArray bias, double[][] affine, INDArray w, INDArray b) {
        int outChannels = Math.toIntExact(bias.length());
        Scalars wIn = Scalars.of(weight), wOut = Scalars.of(w), bIn = Scalars.of(bias), bOut = Scalars.of(b);
        int per = Math.toIntExact(weight.length() / outChannels);
        double[] row = new double[per];
        for (int k = 0; k < outChannels; k++) {
            float scale = (float) affine[0][k], shift = (float) affine[1][k];
            wIn.get(k * per, row, per);
            for (int i = 0; i < per; i++) {
                row[i] = (float) row[i] * scale;
            }
            wOut.set(k * per, row, per);
            bOut.set(k, (float) bIn.get(k) * scale + shift);
        }
    }

    /**
     * Adds the weight and bias gradients into the parameter buffer's gradients.
     *
     * @param dY gradient of the output (N,K,H,W)
     * @return gradient of the input (N,C,H,W)
     */
    public INDArray backward(INDArray dY) {
        return backward(dY, true);
    }

    /**
     * {@link #backward(INDArray)}, computing the input gradient only if {@code inputGradient}: a network's first
     * layer, whose input is the data, needs only its weight gradients.
     *
     * @return gradient of the input (N,C,H,W), or null without {@code inputGradient}
     */
    public INDArray backward(INDArray dY, boolean inputGradient) {
        if (x == null) {
            throw new IllegalStateException("Conv2d.backward called before forward");
        }
        Shapes.require("Conv2d output gradient dY", "(N,K,H,W)", dY, x.size(0), outChannels, x.size(2), x.size(3));
        Shapes.requireType("Conv2d output gradient dY", dY, dtype);
        INDArray dX = inputGradient ? Memory.detached(dtype, x.shape()) : null;
        try (MemoryWorkspace ws = Memory.scratch()) {
            if (inputGradient) {
                algorithm.backwardData(dY, yPhased, weight.value(), dX, xPhased);
            }
            algorithm.backwardWeights(x, xPhased, dY, yPhased, weight.grad(), bias.grad());
        }
        x = null;
        return dX;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    public int kernel() {
        return kernel;
    }
}
