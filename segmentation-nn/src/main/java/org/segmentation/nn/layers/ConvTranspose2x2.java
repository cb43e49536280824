package org.segmentation.nn.layers;

import java.nio.FloatBuffer;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
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
 * <p>For float32 on ND4J's CPU backend ({@link Scalars#hostMemory}) the (de)interleave is a loop over host memory,
 * which also adds the bias (forward) and sums the bias gradient (backward), so neither takes a pass of its own
 * (8×32×32² → 16 channels, one thread, forward 1.75 → 1.0 ms, backward 2.5 → 1.7 ms), and the samples are split
 * over the cores, each sample's GEMMs and (de)interleave on one thread (the per-sample GEMMs were serial, some 4%
 * of the tiny U-Net's training step).
 * In float64 and on other backends it is an ND4J permuted assign, with the bias as ND4J ops. The cache is a reference to the input x,
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

    /** For tests: (de)interleaves with ND4J ops, as in float64 or on a backend other than the CPU. */
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
        if (loops()) {
            // the loops write each sample as one run; an output whose samples are not runs gets a copy
            INDArray yc = samplesContiguous(y) ? y : Memory.detached(dtype, y.shape());
            forwardLoops(x, yc, n, h, w);
            if (yc != y) {
                y.assign(yc);
                Memory.free(yc);
            }
        } else {
            try (MemoryWorkspace ws = Memory.scratch()) {
                INDArray w2d = weight.value().reshape('c', inChannels, outChannels * 4L);   // (C, K·2·2)
                INDArray y6 = Nd4j.createUninitialized(dtype, outChannels * 4L, h * w);      // (K·2·2, H·W)
                for (long i = 0; i < n; i++) {
                    Gemm.gemm(w2d, sample(x, i), y6, true, false, 1.0, 0.0);
                    INDArray yi = sampleOf(y, i), yc = Scalars.contiguous(yi);
                    yc.reshape('c', outChannels, h, 2, w, 2)
                            .assign(y6.reshape('c', outChannels, 2, 2, h, w).permute(0, 3, 1, 4, 2));
                    if (yc != yi) {
                        yi.assign(yc);
                    }
                }
                y.addi(Bcast.perChannel(bias.value()));
            }
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
        if (loops()) {
            INDArray dYc = samplesContiguous(dY) ? dY : Memory.detached(dtype, dY.shape()).assign(dY);
            backwardLoops(dYc, dX, n, h, w);
            if (dYc != dY) {
                Memory.free(dYc);
            }
        } else {
            try (MemoryWorkspace ws = Memory.scratch()) {
                INDArray w2d = weight.value().reshape('c', inChannels, outChannels * 4L);   // (C, K·2·2)
                INDArray dW2d = weight.grad().reshape('c', inChannels, outChannels * 4L);
                INDArray g = Nd4j.createUninitialized(dtype, outChannels * 4L, h * w);       // (K·2·2, H·W)
                for (long i = 0; i < n; i++) {
                    INDArray dYi = Scalars.contiguous(sampleOf(dY, i));
                    g.reshape('c', outChannels, 2, 2, h, w)
                            .assign(dYi.reshape('c', outChannels, h, 2, w, 2).permute(0, 2, 4, 1, 3));
                    Gemm.gemm(sample(x, i), g, dW2d, false, true, 1.0, 1.0);
                    Gemm.gemm(w2d, g, sample(dX, i), false, false, 1.0, 0.0);
                }
                bias.grad().addi(dY.sum(0, 2, 3));
            }
        }
        x = null;
        return dX;
    }

    /**
     * The float32 host forward with the samples split over the cores: per sample, its GEMM into the part's own
     * (K·2·2, H·W) slice and the interleave (plus bias) into its output sample. Each sample is computed as on one
     * thread, so the result does not depend on the split. x is made c-contiguous; every sample of y is contiguous.
     */
    private void forwardLoops(INDArray x, INDArray y, long n, long h, long w) {
        int k4 = outChannels * 4, hw = Math.toIntExact(h * w), c = inChannels;
        int parts = (int) Math.min(n, ParallelRanges.threads());
        long ySample = y.stride(0);
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray xc = Scalars.contiguous(x);
            INDArray w2d = weight.value().reshape('c', inChannels, k4);                      // (C, K·2·2)
            INDArray y6 = Nd4j.createUninitialized(dtype, parts, k4, hw);                     // a slice per part
            float[] b = bias.value().toFloatVector();
            FloatBuffer y6b = y6.data().asNioFloat(), yb = y.data().asNioFloat();
            int y6Off = (int) y6.offset();
            long yOff = y.offset();
            ParallelRanges.run(parts, (pFrom, pTo) -> {
                for (int part = pFrom; part < pTo; part++) {
                    long slice = (long) part * k4 * hw;
                    for (long i = n * part / parts; i < n * (part + 1) / parts; i++) {
                        if (parts == 1) {   // one sample at a time on the caller: the product may split over cores
                            Gemm.gemm(w2d, sample(xc, i), y6.get(NDArrayIndex.point(0)), true, false, 1.0, 0.0);
                        } else {
                            Gemm.sgemm(true, false, k4, hw, c, 1f, w2d, 0, k4, xc, i * c * hw, hw, 0f, y6, slice, hw);
                        }
                        interleave(y6b, Math.toIntExact(y6Off + slice), b, yb, Math.toIntExact(yOff + i * ySample),
                                h, w);
                    }
                }
            });
        }
    }

    /**
     * The float32 host backward with the samples cut into a fixed number of parts, min(N, cores): per sample, the
     * de-interleave (and bias sums) into the part's (K·2·2, H·W) slice, dX's GEMM, and the weight gradient's GEMM
     * into the part's own (C, K·2·2) sum; then the parts' weight and bias sums are added in part order. The parts
     * are cut for the machine's cores, not the caller's thread limit, so the result is the same on any number of
     * threads.
     */
    private void backwardLoops(INDArray dY, INDArray dX, long n, long h, long w) {
        int k4 = outChannels * 4, hw = Math.toIntExact(h * w), c = inChannels, k = outChannels;
        int parts = (int) Math.min(n, ParallelRanges.THREADS);
        long dySample = dY.stride(0);
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray xc = Scalars.contiguous(x);
            INDArray w2d = weight.value().reshape('c', inChannels, k4);                      // (C, K·2·2)
            INDArray g = Nd4j.createUninitialized(dtype, parts, k4, hw);
            INDArray dW = Nd4j.zeros(dtype, parts, c, k4);
            double[][] biasSums = new double[parts][k];
            FloatBuffer dyb = dY.data().asNioFloat(), gb = g.data().asNioFloat();
            long dyOff = dY.offset();
            int gOff = (int) g.offset();
            ParallelRanges.run(parts, (pFrom, pTo) -> {
                for (int part = pFrom; part < pTo; part++) {
                    long slice = (long) part * k4 * hw;
                    for (long i = n * part / parts; i < n * (part + 1) / parts; i++) {
                        deinterleave(dyb, Math.toIntExact(dyOff + i * dySample), h, w, gb,
                                Math.toIntExact(gOff + slice), biasSums[part]);
                        if (parts == 1) {   // on the caller: the products may split over cores
                            INDArray gi = g.get(NDArrayIndex.point(0));
                            Gemm.gemm(sample(xc, i), gi, dW.get(NDArrayIndex.point(0)), false, true, 1.0, 1.0);
                            Gemm.gemm(w2d, gi, sample(dX, i), false, false, 1.0, 0.0);
                        } else {
                            Gemm.sgemm(false, true, c, k4, hw, 1f, xc, i * c * hw, hw, g, slice, hw, 1f, dW,
                                    (long) part * c * k4, k4);
                            Gemm.sgemm(false, false, c, hw, k4, 1f, w2d, 0, k4, g, slice, hw, 0f, dX, i * c * hw, hw);
                        }
                    }
                }
            });
            INDArray dW2d = weight.grad().reshape('c', inChannels, k4);
            for (int p = 0; p < parts; p++) {
                dW2d.addi(dW.get(NDArrayIndex.point(p)));
            }
            Scalars.addPartSums(biasSums, bias.grad());
        }
    }

    /** Whether every sample of an (N,C,H,W) array is one c-contiguous run (the array may stride between samples). */
    private static boolean samplesContiguous(INDArray a) {
        long[] st = a.stride();
        return st[3] == 1 && st[2] == a.size(3) && st[1] == a.size(2) * a.size(3);
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

    /** Whether the (de)interleaves run as loops: float32 on the CPU backend. */
    private boolean loops() {
        return hostLoops && dtype == DataType.FLOAT;
    }

    /**
     * yi[k, 2r+a, 2c+b] = y6[(k,a,b), (r,c)] + bias[k] for every k, a, b, r, c: one sample of the output (K,2H,2W),
     * c-contiguous, from the GEMM's (K·2·2, H·W) result, a loop per output row over host memory, the channels split
     * over the cores.
     */
    private void interleave(FloatBuffer src, int srcOff, float[] bias, FloatBuffer dst, int dstOff, long h, long w) {
        int k = outChannels, hh = (int) h, ww = (int) w;
        int plane = hh * ww, out = 4 * plane;
        ParallelRanges.runDynamic(k, (from, to) -> {
            float[] b0 = new float[ww], b1 = new float[ww], row = new float[2 * ww];
            for (int o = from; o < to; o++) {
                float b = bias[o];
                for (int a = 0; a < 2; a++) {
                    int s0 = srcOff + ((o * 2 + a) * 2) * plane, s1 = s0 + plane;   // (o, a, 0) and (o, a, 1)
                    for (int r = 0; r < hh; r++) {
                        src.get(s0 + r * ww, b0, 0, ww);
                        src.get(s1 + r * ww, b1, 0, ww);
                        for (int c = 0; c < ww; c++) {
                            row[2 * c] = b0[c] + b;
                            row[2 * c + 1] = b1[c] + b;
                        }
                        dst.put(dstOff + o * out + (2 * r + a) * 2 * ww, row, 0, 2 * ww);
                    }
                }
            }
        });
    }

    /**
     * The inverse of {@link #interleave}: g[(k,a,b), (r,c)] = dYi[k, 2r+a, 2c+b], dYi one c-contiguous sample; adds
     * each channel's sum of dYi to {@code biasSums[k]} (each channel is one thread's, so sums do not race).
     */
    private void deinterleave(FloatBuffer src, int srcOff, long h, long w, FloatBuffer dst, int dstOff,
            double[] biasSums) {
        int k = outChannels, hh = (int) h, ww = (int) w;
        int plane = hh * ww, out = 4 * plane;
        ParallelRanges.runDynamic(k, (from, to) -> {
            float[] b0 = new float[ww], b1 = new float[ww], row = new float[2 * ww];
            for (int o = from; o < to; o++) {
                double sum = 0;
                for (int a = 0; a < 2; a++) {
                    int d0 = dstOff + ((o * 2 + a) * 2) * plane, d1 = d0 + plane;
                    for (int r = 0; r < hh; r++) {
                        src.get(srcOff + o * out + (2 * r + a) * 2 * ww, row, 0, 2 * ww);
                        float s0 = 0, s1 = 0;
                        for (int c = 0; c < ww; c++) {
                            b0[c] = row[2 * c];
                            b1[c] = row[2 * c + 1];
                            s0 += b0[c];
                            s1 += b1[c];
                        }
                        sum += (double) s0 + s1;
                        dst.put(d0 + r * ww, b0, 0, ww);
                        dst.put(d1 + r * ww, b1, 0, ww);
                    }
                }
                biasSums[o] += sum;
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
