package org.segmentation.nn.layers;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Bcast;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.param.Init;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * The U-Net up-convolution: a 2×2 transposed convolution with stride 2, PyTorch's
 * {@code ConvTranspose2d(C, K, 2, stride=2)}. Windows do not overlap, so
 * y[n,o,2i+a,2j+b] = Σ_c x[n,c,i,j]·w[c,o,a,b] + b[o] is one GEMM over the batch: (K·2·2, C) × (C, N·H·W).
 * Weights are (C,K,2,2) as in PyTorch and initialised like PyTorch's default, uniform on ±1/sqrt(K·2·2).
 *
 * <p>The cache is a reference to the input x, which the caller keeps alive until {@link #backward}; backward
 * rebuilds the channels-first copy of x that the weight gradient needs (a permuted copy, cheap beside the GEMM)
 * rather than keeping it from forward. Temporaries live in the scratch workspace; the output and dX are
 * detached arrays owned by the caller ({@link Memory}).
 */
public final class ConvTranspose2x2 {
    private final int inChannels;
    private final int outChannels;
    private final DataType dtype;
    private final Parameter weight; // (C,K,2,2)
    private final Parameter bias;   // (K)

    // cache for backward
    private INDArray x; // (N,C,H,W), owned by the caller

    public ConvTranspose2x2(ParameterBuffer.Builder params, String name, int inChannels, int outChannels,
            Random rng) {
        if (inChannels <= 0 || outChannels <= 0) {
            throw new IllegalArgumentException("channel counts must be positive, got in=" + inChannels
                    + " out=" + outChannels);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.dtype = params.dataType();
        // PyTorch computes fan_in of a transposed-conv weight (C,K,2,2) from its dimension 1: K·2·2
        double bound = 1.0 / Math.sqrt(outChannels * 4.0);
        this.weight = params.add(name + ".weight", new long[] {inChannels, outChannels, 2, 2},
                Init.uniform(rng, bound));
        this.bias = params.add(name + ".bias", new long[] {outChannels}, Init.uniform(rng, bound));
    }

    /**
     * @param x input (N,C,H,W)
     * @return output (N,K,2H,2W)
     */
    public INDArray forward(INDArray x) {
        Shapes.require("ConvTranspose2x2 input x", "(N,C,H,W)", x, Shapes.ANY, inChannels, Shapes.ANY, Shapes.ANY);
        Shapes.requireType("ConvTranspose2x2 input x", x, dtype);
        long n = x.size(0), h = x.size(2), w = x.size(3);
        INDArray y = Memory.detached(dtype, n, outChannels, 2 * h, 2 * w);
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray xT = channelsFirst(x);                                            // (C, N·H·W)
            INDArray y6 = Nd4j.createUninitialized(dtype, outChannels, 2, 2, n, h, w); // (K,2,2,N,H,W)
            Nd4j.gemm(weight.value().reshape('c', inChannels, outChannels * 4L), xT,
                    y6.reshape('c', outChannels * 4L, n * h * w), true, false, 1.0, 0.0);
            y.reshape('c', n, outChannels, h, 2, w, 2).assign(y6.permute(3, 0, 4, 1, 5, 2));
            y.addi(Bcast.perChannel(bias.value()));
        }
        this.x = x;
        return y;
    }

    /**
     * Adds the weight and bias gradients into the parameter buffer's gradients.
     *
     * @param dY gradient of the output (N,K,2H,2W)
     * @return gradient of the input (N,C,H,W)
     */
    public INDArray backward(INDArray dY) {
        if (x == null) {
            throw new IllegalStateException("ConvTranspose2x2.backward called before forward");
        }
        long n = x.size(0), h = x.size(2), w = x.size(3);
        Shapes.require("ConvTranspose2x2 output gradient dY", "(N,K,2H,2W)", dY, n, outChannels, 2 * h, 2 * w);
        Shapes.requireType("ConvTranspose2x2 output gradient dY", dY, dtype);
        INDArray dX = Memory.detached(dtype, x.shape());
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray xT = channelsFirst(x);                                                // (C, N·H·W)
            INDArray g = dY.reshape('c', n, outChannels, h, 2, w, 2).permute(1, 3, 5, 0, 2, 4).dup('c')
                    .reshape('c', outChannels * 4L, n * h * w);                            // (K·2·2, N·H·W)
            INDArray w2d = weight.value().reshape('c', inChannels, outChannels * 4L);       // (C, K·2·2)
            Nd4j.gemm(xT, g, weight.grad().reshape('c', inChannels, outChannels * 4L), false, true, 1.0, 1.0);
            bias.grad().addi(dY.sum(0, 2, 3));
            INDArray dXt = Nd4j.createUninitialized(dtype, inChannels, n, h, w);           // (C,N,H,W)
            Nd4j.gemm(w2d, g, dXt.reshape('c', inChannels, n * h * w), false, false, 1.0, 0.0);
            dX.assign(dXt.permute(1, 0, 2, 3));
        }
        x = null;
        return dX;
    }

    /** x (N,C,H,W) as a c-ordered (C, N·H·W) copy, in the current workspace. */
    private INDArray channelsFirst(INDArray x) {
        return x.permute(1, 0, 2, 3).dup('c').reshape('c', inChannels, x.size(0) * x.size(2) * x.size(3));
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }
}
