package org.segmentation.nn.layers;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Gemm;
import org.segmentation.nn.Bcast;
import org.segmentation.nn.Memory;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.param.Init;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * The U-Net up-convolution: a 2×2 transposed convolution with stride 2, PyTorch's
 * {@code ConvTranspose2d(C, K, 2, stride=2)}. Windows do not overlap, so
 * y[n,o,2i+a,2j+b] = Σ_c x[n,c,i,j]·w[c,o,a,b] + b[o] is one GEMM per sample, (K·2·2, C) × (C, H·W), whose
 * result is then interleaved into the output's rows; backward de-interleaves dY the same way and runs two GEMMs
 * per sample, the weight gradient accumulated over the batch. No operand is transposed in memory: a sample of x
 * and of dX is already a (C, H·W) matrix. Weights are (C,K,2,2) as in PyTorch and initialised like PyTorch's
 * default, uniform on ±1/sqrt(K·2·2).
 *
 * <p>The (de)interleave is a loop over host memory on ND4J's CPU backend ({@link Scalars#hostMemory}), the channels
 * split over the cores, and an ND4J permuted assign on other backends. The cache is a reference to the input x,
 * which the caller keeps alive until {@link #backward}. Temporaries live in the scratch workspace; the output and
 * dX are detached arrays owned by the caller ({@link Memory}).
 */
public final class ConvTranspose2x2 {
    private final int inChannels;
    private final int outChannels;
    private final DataType dtype;
    private final Parameter weight; // (C,K,2,2)
    private final Parameter bias;   // (K)

    private boolean hostLoops = Scalars.hostMemory();

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

    /** For tests: (de)interleaves with ND4J ops, as on a backend other than the CPU. */
    ConvTranspose2x2 useNd4jOps() {
        hostLoops = false;
        return this;
    }

    /**
     * @param x input (N,C,H,W)
     * @return output (N,K,2H,2W), a new detached array
     */
    public INDArray forward(INDArray x) {
        return forward(x, null);
    }

    /**
     * Writes the output into {@code out}, which may be a view whose samples are each contiguous, such as a range
     * of channels of a concatenation's buffer ({@link Concat#withFirst}): the up-sampled half of a U-Net decoder's
     * input is then written in place instead of copied.
     *
     * @param x input (N,C,H,W)
     * @param out receives the output (N,K,2H,2W); or null for a new detached array
     * @return out
     */
    public INDArray forward(INDArray x, INDArray out) {
        Shapes.require("ConvTranspose2x2 input x", "(N,C,H,W)", x, Shapes.ANY, inChannels, Shapes.ANY, Shapes.ANY);
        Shapes.requireType("ConvTranspose2x2 input x", x, dtype);
        long n = x.size(0), h = x.size(2), w = x.size(3);
        INDArray y = out != null ? out : Memory.detached(dtype, n, outChannels, 2 * h, 2 * w);
        Shapes.require("ConvTranspose2x2 output", "(N,K,2H,2W)", y, n, outChannels, 2 * h, 2 * w);
        Shapes.requireType("ConvTranspose2x2 output", y, dtype);
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray w2d = weight.value().reshape('c', inChannels, outChannels * 4L);       // (C, K·2·2)
            INDArray y6 = Nd4j.createUninitialized(dtype, outChannels * 4L, h * w);          // (K·2·2, H·W)
            for (long i = 0; i < n; i++) {
                Gemm.gemm(w2d, sample(x, i), y6, true, false, 1.0, 0.0);
                INDArray yi = sampleOf(y, i);
                INDArray yc = Scalars.contiguous(yi);
                interleave(y6, yc, h, w);
                if (yc != yi) {
                    yi.assign(yc);
                }
            }
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
            INDArray w2d = weight.value().reshape('c', inChannels, outChannels * 4L);       // (C, K·2·2)
            INDArray dW2d = weight.grad().reshape('c', inChannels, outChannels * 4L);
            INDArray g = Nd4j.createUninitialized(dtype, outChannels * 4L, h * w);           // (K·2·2, H·W)
            for (long i = 0; i < n; i++) {
                deinterleave(Scalars.contiguous(sampleOf(dY, i)), h, w, g);   // a view's sample: no copy if contiguous
                Gemm.gemm(sample(x, i), g, dW2d, false, true, 1.0, 1.0);
                Gemm.gemm(w2d, g, sample(dX, i), false, false, 1.0, 0.0);
            }
            bias.grad().addi(dY.sum(0, 2, 3));
        }
        x = null;
        return dX;
    }

    /** Sample i of an (N,C,H,W) array as a (C, H·W) matrix: a view if the sample is contiguous, else a copy. */
    private static INDArray sample(INDArray a, long i) {
        return Scalars.contiguous(sampleOf(a, i)).reshape('c', a.size(1), a.size(2) * a.size(3));
    }

    /**
     * Sample i of an (N,C,H,W) array, a view with the array's strides. Built from the buffer, because ND4J
     * 1.0.0-M2.1's {@code slice(i)} of a channel-range view (from {@code get(all(), interval(..))}) with N &gt; 1
     * returns an empty array.
     */
    private static INDArray sampleOf(INDArray a, long i) {
        long[] st = a.stride();
        return Nd4j.create(a.data(), new long[] {a.size(1), a.size(2), a.size(3)}, new long[] {st[1], st[2], st[3]},
                a.offset() + i * st[0], 'c');
    }

    /**
     * yi[k, 2r+a, 2c+b] = y6[(k,a,b), (r,c)] for every k, a, b, r, c: one sample of the output (K,2H,2W),
     * c-contiguous, from the GEMM's (K·2·2, H·W) result. On the CPU backend a loop per output row over host
     * memory, the channels split over the cores; elsewhere an ND4J permuted assign.
     */
    private void interleave(INDArray y6, INDArray yi, long h, long w) {
        int k = outChannels, hh = (int) h, ww = (int) w;
        if (!hostLoops) {
            yi.reshape('c', k, h, 2, w, 2).assign(y6.reshape('c', k, 2, 2, h, w).permute(0, 3, 1, 4, 2));
            return;
        }
        Scalars src = Scalars.of(y6);
        Scalars dst = Scalars.of(yi);
        int plane = hh * ww, out = 4 * plane;
        ParallelRanges.runDynamic(k, (from, to) -> {
            double[] b0 = new double[ww], b1 = new double[ww], row = new double[2 * ww];
            for (int o = from; o < to; o++) {
                for (int a = 0; a < 2; a++) {
                    int s0 = ((o * 2 + a) * 2) * plane, s1 = s0 + plane;   // (o, a, 0) and (o, a, 1)
                    for (int r = 0; r < hh; r++) {
                        src.get(s0 + r * ww, b0, ww);
                        src.get(s1 + r * ww, b1, ww);
                        for (int c = 0; c < ww; c++) {
                            row[2 * c] = b0[c];
                            row[2 * c + 1] = b1[c];
                        }
                        dst.set(o * out + (2 * r + a) * 2 * ww, row, 2 * ww);
                    }
                }
            }
        });
    }

    /** The inverse of {@link #interleave}: g[(k,a,b), (r,c)] = dYi[k, 2r+a, 2c+b], dYi one c-contiguous sample. */
    private void deinterleave(INDArray dYi, long h, long w, INDArray g) {
        int k = outChannels, hh = (int) h, ww = (int) w;
        if (!hostLoops) {
            g.reshape('c', k, 2, 2, h, w).assign(dYi.reshape('c', k, h, 2, w, 2).permute(0, 2, 4, 1, 3));
            return;
        }
        Scalars src = Scalars.of(dYi);
        Scalars dst = Scalars.of(g);
        int plane = hh * ww, out = 4 * plane;
        ParallelRanges.runDynamic(k, (from, to) -> {
            double[] b0 = new double[ww], b1 = new double[ww], row = new double[2 * ww];
            for (int o = from; o < to; o++) {
                for (int a = 0; a < 2; a++) {
                    int d0 = ((o * 2 + a) * 2) * plane, d1 = d0 + plane;
                    for (int r = 0; r < hh; r++) {
                        src.get(o * out + (2 * r + a) * 2 * ww, row, 2 * ww);
                        for (int c = 0; c < ww; c++) {
                            b0[c] = row[2 * c];
                            b1[c] = row[2 * c + 1];
                        }
                        dst.set(d0 + r * ww, b0, ww);
                        dst.set(d1 + r * ww, b1, ww);
                    }
                }
            }
        });
    }

    /** K, the output channels. */
    public int outChannels() {
        return outChannels;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }
}
