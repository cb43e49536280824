package org.segmentation.nn.layers;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Gemm;
import org.segmentation.nn.Memory;
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
 * memory ({@link Scalars}); the GEMMs are ND4J's. Weights are (K, C, kh, kw), initialised like PyTorch's default,
 * uniform on ±1/sqrt(C·kh·kw), and so is the bias.
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

    private double[] row = new double[0];
    private double[] plane = new double[0];
    private double[] sampleGrad = new double[0];

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
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray cols = Nd4j.createUninitialized(dtype, (long) ckk * band * ow);
            INDArray out = Nd4j.createUninitialized(dtype, (long) outChannels * band * ow);
            for (int s = 0; s < n; s++) {
                for (int r0 = 0; r0 < oh; r0 += band) {
                    int rows = Math.min(band, oh - r0);
                    int len = rows * ow;
                    INDArray c = cols.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, (long) ckk * len))
                            .reshape('c', ckk, len);
                    INDArray o = out.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0,
                            (long) outChannels * len)).reshape('c', outChannels, len);
                    im2col(x, s, r0, rows, ow, c);
                    Gemm.gemm(w2, c, o, false, false, 1.0, 0.0);
                    // band rows of every output channel: K runs of len scalars
                    Scalars.copyRuns(o, 0, len, y, ((long) s * outChannels) * oh * ow + (long) r0 * ow,
                            (long) oh * ow, outChannels, len);
                }
            }
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
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray cols = Nd4j.createUninitialized(dtype, (long) ckk * band * ow);
            INDArray g = Nd4j.createUninitialized(dtype, (long) outChannels * band * ow);
            double[] dxs = null;
            if (inputGradient) {
                if (sampleGrad.length < inChannels * h * wd) {
                    sampleGrad = new double[inChannels * h * wd];
                }
                dxs = sampleGrad;
            }
            for (int s = 0; s < n; s++) {
                if (inputGradient) {
                    java.util.Arrays.fill(dxs, 0, inChannels * h * wd, 0);
                }
                for (int r0 = 0; r0 < oh; r0 += band) {
                    int rows = Math.min(band, oh - r0);
                    int len = rows * ow;
                    INDArray c = cols.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, (long) ckk * len))
                            .reshape('c', ckk, len);
                    INDArray gb = g.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0,
                            (long) outChannels * len)).reshape('c', outChannels, len);
                    Scalars.copyRuns(dY, ((long) s * outChannels) * oh * ow + (long) r0 * ow, (long) oh * ow, gb, 0,
                            len, outChannels, len);
                    im2col(x, s, r0, rows, ow, c);
                    Gemm.gemm(gb, c, dW2, false, true, 1.0, 1.0);
                    if (inputGradient) {
                        Gemm.gemm(w2, gb, c, true, false, 1.0, 0.0);   // dS = Wᵀ·dY, reusing the band
                        col2im(c, r0, rows, ow, h, wd, dxs);
                    }
                }
                if (inputGradient) {
                    Scalars.of(dX).set(s * inChannels * h * wd, dxs, inChannels * h * wd);
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

    /** Fills cols (C·kh·kw, rows·OW) from sample s for output rows r0 .. r0+rows−1. */
    private void im2col(INDArray x, int s, int r0, int rows, int ow, INDArray cols) {
        int h = (int) x.size(2);
        int wd = (int) x.size(3);
        int len = rows * ow;
        Scalars xs = Scalars.of(x);
        Scalars cs = Scalars.of(cols);
        double[] p = grow(1, h * wd);
        double[] r = grow(0, len);
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
                    cs.set(((c * kh + u) * kw + v) * len, r, len);
                }
            }
        }
    }

    /** Adds dS (C·kh·kw, rows·OW) into the sample's input gradient dxs (C·H·W), the adjoint of im2col. */
    private void col2im(INDArray dCols, int r0, int rows, int ow, int h, int wd, double[] dxs) {
        int len = rows * ow;
        Scalars cs = Scalars.of(dCols);
        double[] r = grow(0, len);
        for (int c = 0; c < inChannels; c++) {
            int planeAt = c * h * wd;
            for (int u = 0; u < kh; u++) {
                for (int v = 0; v < kw; v++) {
                    cs.get(((c * kh + u) * kw + v) * len, r, len);
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

    /** Work array 0 (one row band) or 1 (one input plane), grown when needed. */
    private double[] grow(int which, int len) {
        if (which == 0) {
            if (row.length < len) {
                row = new double[len];
            }
            return row;
        }
        if (plane.length < len) {
            plane = new double[len];
        }
        return plane;
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
