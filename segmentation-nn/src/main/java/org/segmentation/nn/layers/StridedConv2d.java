package org.segmentation.nn.layers;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.segmentation.nn.Gemm;
import org.segmentation.nn.Memory;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.param.Init;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * A kh×kw cross-correlation with any stride and zero padding, with or without a bias: PyTorch's
 * {@code Conv2d(C, K, (kh, kw), stride, padding, bias)}. The output is (N, K, OH, OW) with
 * OH = (H + 2·padH − kh)/strideH + 1 (floor), likewise OW. This is the layer for the strided and the 1×1
 * convolutions of a ResNet and an FPN, which {@link Conv2d} (stride 1, "same", odd kernel) does not cover.
 *
 * <p>Algorithm: im2col in chunks of output rows, one GEMM per chunk. For a sample and a band of output rows, the
 * columns matrix S (C·kh·kw, rows·OW) holds in row (c, u, v) the input x[c, oh·sH − pH + u, ow·sW − pW + v] (0
 * outside x); then Y = W (K, C·kh·kw) · S. Backward-data is dS = Wᵀ · dY followed by the scatter-add of dS into
 * dX (col2im); backward-weights is dW += dY · Sᵀ with S rebuilt from x, and dB += Σ dY. A band holds at most
 * {@link #COLUMN_CHUNK} scalars of S (at least one output row). The copies into and out of S are loops over host
 * memory ({@link Scalars}); the GEMMs are {@link Gemm}'s. Weights are (K, C, kh, kw), initialised like PyTorch's
 * default, uniform on ±1/sqrt(C·kh·kw), and so is the bias.
 *
 * <p><b>Threads.</b> In float32 on the CPU backend the samples form one group per core (at most one per sample),
 * run in parallel, each with its own bands and, in backward, its own weight-gradient sum, added in group order: the
 * bits follow the machine's cores, not the caller's thread limit. A single sample (and float64, or another
 * backend) runs as one group whose products are split over the threads instead. In Mask R-CNN's small
 * configuration this moved the backbone's, FPN's and RPN's convolutions and the mask logits (a sixth of the main
 * thread's profile) onto both cores; the 128-px training step went from 1.31 to 1.19 of torchvision's time in
 * back-to-back runs on a busy host, within their spreads.
 *
 * <p>Memory ({@link Memory}): the output and the input gradient are detached arrays owned by the caller; the
 * cache is a reference to the input x, which the caller keeps unmodified until {@link #backward}. The bands and
 * GEMM results live in the scratch workspace of each call, the staging rows in grow-only arrays of this layer.
 */
public final class StridedConv2d {
    /** Scalars of one band of the columns matrix, 4 Mi (16 MB of float32). */
    public static final long COLUMN_CHUNK = 1L << 22;

    private final int inChannels;
    private final int outChannels;
    private final int kh;
    private final int kw;
    private final int strideH;
    private final int strideW;
    private final int padH;
    private final int padW;
    private final long columnChunk;
    private final DataType dtype;
    private final Parameter weight; // (K,C,kh,kw)
    private final Parameter bias;   // (K) or null

    // cache for backward
    private INDArray x; // (N,C,H,W), c-contiguous

    // grow-only work arrays of each group of samples: [group][...]
    private double[][] rows = new double[0][];
    private double[][] planes = new double[0][];
    private double[][] sampleGrads = new double[0][];

    /** A square k×k kernel with the same stride and padding on both axes. */
    public StridedConv2d(ParameterBuffer.Builder params, String name, int inChannels, int outChannels, int kernel,
            int stride, int padding, boolean bias, Random rng) {
        this(params, name, inChannels, outChannels, kernel, kernel, stride, stride, padding, padding, bias, rng,
                COLUMN_CHUNK);
    }

    /**
     * @param name prefix of the parameters {@code name.weight} and (with a bias) {@code name.bias}
     * @param columnChunk the largest band of the columns matrix, in scalars (at least one output row is used)
     */
    public StridedConv2d(ParameterBuffer.Builder params, String name, int inChannels, int outChannels, int kh,
            int kw, int strideH, int strideW, int padH, int padW, boolean bias, Random rng, long columnChunk) {
        this(params, name, inChannels, outChannels, kh, kw, strideH, strideW, padH, padW, columnChunk,
                Init.uniform(rng, 1.0 / Math.sqrt((double) inChannels * kh * kw)),
                bias ? Init.uniform(rng, 1.0 / Math.sqrt((double) inChannels * kh * kw)) : null);
    }

    /**
     * A convolution with its own initialisers (the RPN head's normal(0, 0.01) weights and zero biases, an FPN's
     * kaiming-uniform weights).
     *
     * @param weightInit fills the (K,C,kh,kw) weights when the buffer is built
     * @param biasInit fills the (K) bias, or null for a convolution without a bias
     */
    public StridedConv2d(ParameterBuffer.Builder params, String name, int inChannels, int outChannels, int kh,
            int kw, int strideH, int strideW, int padH, int padW, long columnChunk,
            java.util.function.Consumer<INDArray> weightInit, java.util.function.Consumer<INDArray> biasInit) {
        if (inChannels <= 0 || outChannels <= 0) {
            throw new IllegalArgumentException("channel counts must be positive, got in=" + inChannels + " out="
                    + outChannels);
        }
        if (kh <= 0 || kw <= 0 || strideH <= 0 || strideW <= 0 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("expected a positive kernel and stride and a non-negative padding,"
                    + " got kernel " + kh + "x" + kw + " stride " + strideH + "x" + strideW + " padding " + padH
                    + "x" + padW);
        }
        if (columnChunk <= 0) {
            throw new IllegalArgumentException("column chunk must be positive, got " + columnChunk);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kh = kh;
        this.kw = kw;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padH = padH;
        this.padW = padW;
        this.columnChunk = columnChunk;
        this.dtype = params.dataType();
        this.weight = params.add(name + ".weight", new long[] {outChannels, inChannels, kh, kw}, weightInit);
        this.bias = biasInit != null ? params.add(name + ".bias", new long[] {outChannels}, biasInit) : null;
    }

    /**
     * A second convolution over the same parameters as {@code shared}, for one layer applied to several inputs
     * (torchvision's RPN head runs on every FPN level): each instance caches its own input, and the backward passes
     * of all of them add into the same gradients.
     */
    public StridedConv2d(StridedConv2d shared) {
        this.inChannels = shared.inChannels;
        this.outChannels = shared.outChannels;
        this.kh = shared.kh;
        this.kw = shared.kw;
        this.strideH = shared.strideH;
        this.strideW = shared.strideW;
        this.padH = shared.padH;
        this.padW = shared.padW;
        this.columnChunk = shared.columnChunk;
        this.dtype = shared.dtype;
        this.weight = shared.weight;
        this.bias = shared.bias;
    }

    /** Output height for an input of height h: (h + 2·padH − kh)/strideH + 1. */
    public int outHeight(long h) {
        return (int) Math.floorDiv(h + 2L * padH - kh, strideH) + 1;
    }

    /** Output width for an input of width w. */
    public int outWidth(long w) {
        return (int) Math.floorDiv(w + 2L * padW - kw, strideW) + 1;
    }

    /**
     * @param x input (N,C,H,W)
     * @return output (N,K,OH,OW), a new detached array
     */
    public INDArray forward(INDArray x) {
        Shapes.require("StridedConv2d input x", "(N,C,H,W)", x, Shapes.ANY, inChannels, Shapes.ANY, Shapes.ANY);
        Shapes.requireType("StridedConv2d input x", x, dtype);
        int oh = outHeight(x.size(2));
        int ow = outWidth(x.size(3));
        if (oh <= 0 || ow <= 0) {
            throw new IllegalArgumentException("StridedConv2d input x: " + x.size(2) + "x" + x.size(3)
                    + " is smaller than the " + kh + "x" + kw + " kernel with padding " + padH + "x" + padW);
        }
        x = Scalars.contiguous(x);
        int n = (int) x.size(0);
        int ckk = inChannels * kh * kw;
        int band = bandRows(oh, ow);
        INDArray y = Memory.detached(dtype, n, outChannels, oh, ow);
        INDArray w2 = weight.value().reshape('c', outChannels, ckk);
        int groups = groups(n);
        ensureGroups(groups);
        long colsLen = (long) ckk * band * ow;
        long outLen = (long) outChannels * band * ow;
        INDArray xc = x;
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray cols = Nd4j.createUninitialized(dtype, groups * colsLen);
            INDArray out = Nd4j.createUninitialized(dtype, groups * outLen);
            ParallelRanges.runDynamic(groups, 1, (from, to) -> {
                for (int g = from; g < to; g++) {
                    int first = (int) ((long) n * g / groups), last = (int) ((long) n * (g + 1) / groups);
                    for (int s = first; s < last; s++) {
                        for (int r0 = 0; r0 < oh; r0 += band) {
                            int rows = Math.min(band, oh - r0);
                            int len = rows * ow;
                            im2col(xc, s, r0, rows, ow, cols, g * colsLen, g);
                            product(groups, false, false, outChannels, len, ckk, w2, 0, ckk, cols, g * colsLen, len,
                                    0, out, g * outLen, len);
                            // band rows of every output channel: K runs of len scalars
                            Scalars.copyRuns(out, g * outLen, len, y,
                                    ((long) s * outChannels) * oh * ow + (long) r0 * ow, (long) oh * ow, outChannels,
                                    len);
                        }
                    }
                }
            });
            if (bias != null) {
                y.addi(bias.value().reshape(1, outChannels, 1, 1));
            }
        }
        this.x = x;
        return y;
    }

    /**
     * Adds the weight (and bias) gradients into the parameter buffer's gradients and drops the reference to x.
     *
     * @param dY gradient of the output (N,K,OH,OW)
     * @return gradient of the input (N,C,H,W), a new detached array
     */
    public INDArray backward(INDArray dY) {
        return backward(dY, true);
    }

    /**
     * {@link #backward(INDArray)}, computing the input gradient only if {@code inputGradient} (a network's first
     * layer needs only its weight gradients).
     *
     * @return gradient of the input, or null without {@code inputGradient}
     */
    public INDArray backward(INDArray dY, boolean inputGradient) {
        if (x == null) {
            throw new IllegalStateException("StridedConv2d.backward called before forward");
        }
        int n = (int) x.size(0);
        int h = (int) x.size(2);
        int wd = (int) x.size(3);
        int oh = outHeight(h);
        int ow = outWidth(wd);
        Shapes.require("StridedConv2d output gradient dY", "(N,K,OH,OW)", dY, n, outChannels, oh, ow);
        Shapes.requireType("StridedConv2d output gradient dY", dY, dtype);
        dY = Scalars.contiguous(dY);
        int ckk = inChannels * kh * kw;
        int band = bandRows(oh, ow);
        INDArray dX = inputGradient ? Memory.detached(dtype, x.shape()) : null;
        INDArray w2 = weight.value().reshape('c', outChannels, ckk);
        INDArray dW2 = weight.grad().reshape('c', outChannels, ckk);
        int groups = groups(n);
        ensureGroups(groups);
        long colsLen = (long) ckk * band * ow;
        long gLen = (long) outChannels * band * ow;
        long wLen = (long) outChannels * ckk;
        INDArray xc = x;
        INDArray dYc = dY;
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray cols = Nd4j.createUninitialized(dtype, groups * colsLen);
            INDArray g = Nd4j.createUninitialized(dtype, groups * gLen);
            // one group adds into the gradient itself; several each sum their samples into their own (K, C·kh·kw),
            // added in group order below, so the bits follow the group count (the machine's cores), not the timing
            INDArray partial = groups > 1 ? Nd4j.createUninitialized(dtype, groups * wLen) : null;
            if (inputGradient) {
                for (int q = 0; q < groups; q++) {
                    grow(sampleGrads, q, inChannels * h * wd);
                }
            }
            ParallelRanges.runDynamic(groups, 1, (from, to) -> {
                for (int q = from; q < to; q++) {
                    int first = (int) ((long) n * q / groups), last = (int) ((long) n * (q + 1) / groups);
                    double[] dxs = inputGradient ? sampleGrads[q] : null;
                    for (int s = first; s < last; s++) {
                        if (inputGradient) {
                            java.util.Arrays.fill(dxs, 0, inChannels * h * wd, 0);
                        }
                        for (int r0 = 0; r0 < oh; r0 += band) {
                            int rows = Math.min(band, oh - r0);
                            int len = rows * ow;
                            Scalars.copyRuns(dYc, ((long) s * outChannels) * oh * ow + (long) r0 * ow, (long) oh * ow,
                                    g, q * gLen, len, outChannels, len);
                            im2col(xc, s, r0, rows, ow, cols, q * colsLen, q);
                            if (partial == null) {
                                product(groups, false, true, outChannels, ckk, len, g, 0, len, cols, 0, len, 1, dW2, 0,
                                        ckk);
                            } else {
                                product(groups, false, true, outChannels, ckk, len, g, q * gLen, len, cols,
                                        q * colsLen, len, s == first && r0 == 0 ? 0 : 1, partial, q * wLen, ckk);
                            }
                            if (inputGradient) {
                                // dS = Wᵀ·dY, reusing the band
                                product(groups, true, false, ckk, len, outChannels, w2, 0, ckk, g, q * gLen, len, 0,
                                        cols, q * colsLen, len);
                                col2im(cols, q * colsLen, r0, rows, ow, h, wd, dxs, q);
                            }
                        }
                        if (inputGradient) {
                            Scalars.of(dX).set(s * inChannels * h * wd, dxs, inChannels * h * wd);
                        }
                    }
                }
            });
            if (partial != null) {
                for (int q = 0; q < groups; q++) {
                    dW2.addi(partial.get(NDArrayIndex.interval(q * wLen, (q + 1) * wLen)).reshape('c', outChannels,
                            ckk));
                }
            }
            if (bias != null) {
                bias.grad().addi(dY.sum(0, 2, 3));
            }
        }
        x = null;
        return dX;
    }

    /** Output rows per band: as many as fit in the column chunk, at least one. */
    private int bandRows(int oh, int ow) {
        long perRow = (long) inChannels * kh * kw * ow;
        return (int) Math.max(1, Math.min(oh, columnChunk / Math.max(perRow, 1)));
    }

    /**
     * Groups of samples, each with its own bands, run in parallel: one per core of the machine (at most one per
     * sample) for float32 on the CPU backend, whose products go to the BLAS directly; one elsewhere (ND4J's ops,
     * sequential). The count does not follow the caller's thread limit, so neither do the bits.
     */
    private int groups(int n) {
        return dtype == DataType.FLOAT && Scalars.hostMemory() ? Math.max(1, Math.min(n, ParallelRanges.THREADS))
                : 1;
    }

    /**
     * c = op(a)·op(b) + β·c on row-major blocks at offsets of flat arrays: with several groups, a single-threaded
     * product on the group's own thread ({@link Gemm#sgemm}); with one, a product split over the threads.
     */
    private static void product(int groups, boolean transA, boolean transB, int m, int n, int k, INDArray a,
            long aOff, int lda, INDArray b, long bOff, int ldb, double beta, INDArray c, long cOff, int ldc) {
        if (groups > 1) {
            Gemm.sgemm(transA, transB, m, n, k, 1f, a, aOff, lda, b, bOff, ldb, (float) beta, c, cOff, ldc);
        } else {
            Gemm.gemm(transA, transB, m, n, k, 1.0, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
    }

    /** Fills cols (C·kh·kw, rows·OW), from its scalar {@code at}, from sample s for output rows r0 .. r0+rows−1. */
    private void im2col(INDArray x, int s, int r0, int rows, int ow, INDArray cols, long at, int group) {
        int h = (int) x.size(2);
        int wd = (int) x.size(3);
        int len = rows * ow;
        Scalars xs = Scalars.of(x);
        Scalars cs = Scalars.of(cols);
        double[] p = grow(planes, group, h * wd);
        double[] r = grow(this.rows, group, len);
        for (int c = 0; c < inChannels; c++) {
            xs.get((s * inChannels + c) * h * wd, p, h * wd);
            for (int u = 0; u < kh; u++) {
                for (int v = 0; v < kw; v++) {
                    int j = 0;
                    for (int i = 0; i < rows; i++) {
                        int iy = (r0 + i) * strideH - padH + u;
                        if (iy < 0 || iy >= h) {
                            java.util.Arrays.fill(r, j, j + ow, 0);
                            j += ow;
                            continue;
                        }
                        int base = iy * wd;
                        for (int o = 0; o < ow; o++) {
                            int ix = o * strideW - padW + v;
                            r[j++] = ix >= 0 && ix < wd ? p[base + ix] : 0;
                        }
                    }
                    cs.set((int) at + ((c * kh + u) * kw + v) * len, r, len);
                }
            }
        }
    }

    /**
     * Adds dS (C·kh·kw, rows·OW), from its scalar {@code at}, into the sample's input gradient dxs (C·H·W), the
     * adjoint of im2col.
     */
    private void col2im(INDArray dCols, long at, int r0, int rows, int ow, int h, int wd, double[] dxs, int group) {
        int len = rows * ow;
        Scalars cs = Scalars.of(dCols);
        double[] r = grow(this.rows, group, len);
        for (int c = 0; c < inChannels; c++) {
            int planeAt = c * h * wd;
            for (int u = 0; u < kh; u++) {
                for (int v = 0; v < kw; v++) {
                    cs.get((int) at + ((c * kh + u) * kw + v) * len, r, len);
                    int j = 0;
                    for (int i = 0; i < rows; i++) {
                        int iy = (r0 + i) * strideH - padH + u;
                        if (iy < 0 || iy >= h) {
                            j += ow;
                            continue;
                        }
                        int base = planeAt + iy * wd;
                        for (int o = 0; o < ow; o++, j++) {
                            int ix = o * strideW - padW + v;
                            if (ix >= 0 && ix < wd) {
                                dxs[base + ix] += r[j];
                            }
                        }
                    }
                }
            }
        }
    }

    /** Makes room for the work arrays of {@code groups} groups. */
    private void ensureGroups(int groups) {
        if (rows.length < groups) {
            rows = java.util.Arrays.copyOf(rows, groups);
            planes = java.util.Arrays.copyOf(planes, groups);
            sampleGrads = java.util.Arrays.copyOf(sampleGrads, groups);
        }
    }

    /** Group {@code group}'s array of {@code arrays}, grown to at least {@code len}. */
    private double[] grow(double[][] arrays, int group, int len) {
        double[] a = arrays[group];
        if (a == null || a.length < len) {
            a = new double[len];
            arrays[group] = a;
        }
        return a;
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null for a convolution without one. */
    public Parameter bias() {
        return bias;
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }
}
