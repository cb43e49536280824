package org.segmentation.nn.conv;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Gemm;
import org.segmentation.nn.Scalars;

/**
 * Convolution on shifted views of one zero-padded input ("shifted GEMM"). The batch is zero-padded once into a
 * channel-major matrix P (C, m + N·L + m), where L = (H+2p)(W+2p) is one padded sample laid out flat, the N padded
 * samples follow each other, and m = p(W+2p)+p zero margin columns on each side keep every shifted view inside
 * the buffer. For tap (ky,kx), with off = (ky-p)(W+2p) + (kx-p), output position q of the padded grid receives
 * W_tap (K×C) · P[:, m+q+off], so the output on the whole padded grid, Q (K, N·L), is the sum over taps of
 * W_tap · P[:, m+off : m+off+N·L]. Positions of the padded border and any position whose shifted read crosses into
 * a neighbouring sample are wrong but cropped away; the interior positions only ever read their own sample's
 * padded image. Finally the interior is copied to y and the bias added.
 *
 * <p>The forward stacks the k² shifted views into S (C·k·k, N·L), rows in the (C,k,k) order of the weight, and
 * runs one GEMM per chunk, Q = W (K, C·k·k) · S: an im2col on the padded grid, built in chunks of whole samples of
 * at most {@link #COLUMN_CHUNK} scalars (at least one sample). Backward-data stacks the views of the padded dY
 * shifted the other way; backward-weights is dYpad · S^T, accumulated chunk by chunk with S rebuilt from x: nothing
 * is kept between calls. Padded copies and chunks live in the calling thread's grow-only work buffers
 * ({@link ConvScratch}), outside any ND4J workspace.
 *
 * <p>A 1×1 kernel skips all of this: every sample is already a (C, H·W) matrix, so each pass is one product per
 * sample on the tensors themselves, with no padded or stacked copy. For the U-Net's 16→3 head at batch 8, 64², that
 * took the three passes from 3.4 to 0.9 ms (one thread).
 *
 * <p>Any kernel size (odd), float32 and float64. This is the algorithm of {@link AutoConv2d} for 1×1 kernels,
 * float64 and backends other than the CPU. Its copies go through {@link Scalars#copyRuns},
 * which is made of ND4J ops on such backends.
 */
public final class ShiftedGemmConv2d implements Conv2dAlgorithm {
    /** Scalars of one chunk of stacked columns, 8 Mi (32 MB of float32). */
    static final long COLUMN_CHUNK = 1L << 23;

    private final long columnChunk;

    public ShiftedGemmConv2d() {
        this(COLUMN_CHUNK);
    }

    /** For tests and profiling: another column chunk, in scalars. */
    ShiftedGemmConv2d(long columnChunk) {
        this.columnChunk = columnChunk;
    }

    @Override
    public void forward(INDArray x, INDArray w, INDArray b, INDArray y) {
        long c = x.size(1);
        long kOut = w.size(0);
        int k = (int) w.size(2);
        if (k == 1) {
            pointwise(x, w, y, false);
            y.addi(b.reshape(1, kOut, 1, 1));
            return;
        }
        ConvScratch s = ConvScratch.get();
        INDArray padded = pad(x, k / 2, s.buffer(ConvScratch.PADDED, x.dataType(), paddedLength(x, k / 2)));
        stackedGemms(padded, w.reshape('c', kOut, c * k * k), 1, x.size(0), x.size(2), x.size(3), k, y, s);
        y.addi(b.reshape(1, kOut, 1, 1));
    }

    /**
     * Same idea transposed: dXpad[:, q] = sum over taps of W_tap^T · dYpad[:, q - off], where dYpad is dY zero-padded
     * like x, so its border is zero and positions whose shifted read leaves the sample only meet zeros or are cropped:
     * one GEMM (C, K·k·k) · (K·k·k, N·L) per chunk of stacked views of dYpad.
     */
    @Override
    public void backwardData(INDArray dY, INDArray w, INDArray dX) {
        long kOut = w.size(0), c = w.size(1);
        int k = (int) w.size(2);
        if (k == 1) {
            pointwise(dY, w, dX, true);
            return;
        }
        ConvScratch s = ConvScratch.get();
        INDArray dYp = pad(dY, k / 2, s.buffer(ConvScratch.PADDED, dY.dataType(), paddedLength(dY, k / 2)));
        INDArray wT = w.permute(1, 0, 2, 3).dup('c').reshape('c', c, kOut * k * k);     // (C, K·k·k)
        stackedGemms(dYp, wT, -1, dY.size(0), dY.size(2), dY.size(3), k, dX, s);
    }

    /**
     * out (N,B,H,W) = crop(W2 · S) where S (A·k·k, N·L) stacks the views src[:, m + sign·off : ... + N·L] of every
     * tap, in chunks of whole samples; src is a padded (A, m + N·L + m) matrix and W2 (B, A·k·k).
     */
    private void stackedGemms(INDArray src, INDArray w2, int sign, long n, long h, long wd, int k, INDArray out,
            ConvScratch scratch) {
        int p = k / 2;
        long a = src.size(0), b = w2.size(0), wp = wd + 2 * p, l = (h + 2 * p) * wp, m = p * wp + p;
        long rows = a * k * k, samples = chunkSamples(Math.max(rows, b) * l, n);
        INDArray chunk = scratch.buffer(ConvScratch.INPUT, src.dataType(), rows * samples * l);
        INDArray qChunk = scratch.buffer(ConvScratch.PRODUCT, src.dataType(), b * samples * l);
        for (long i = 0; i < n; i += samples) {
            long len = Math.min(samples, n - i) * l;
            INDArray s = chunk.get(interval(0, rows * len)).reshape('c', rows, len);
            INDArray q = qChunk.get(interval(0, b * len)).reshape('c', b, len);     // (B, samples·L)
            stack(src, m, i * l, wp, k, sign, s);
            Gemm.gemm(w2, s, q, false, false, 1.0, 0.0);
            crop(q, p, h, wd, i, out);
        }
    }

    /**
     * dW (K, C·k·k) = dYpad (K, N·L) · S^T, where S (C·k·k, N·L) stacks the shifted views P[:, m+off : m+off+N·L]
     * of every tap: the padded border of dYpad is zero, so only the interior positions, whose shifted reads stay
     * in their own sample, contribute. S is built from P in chunks of whole samples, one GEMM per chunk.
     */
    @Override
    public void backwardWeights(INDArray x, INDArray dY, INDArray dW, INDArray dB) {
        long n = dY.size(0), kOut = dW.size(0), c = dW.size(1), h = dY.size(2), wd = dY.size(3);
        int k = (int) dW.size(2);
        if (k == 1) {
            pointwiseWeights(x, dY, dW);
            dB.addi(dY.sum(0, 2, 3));
            return;
        }
        int p = k / 2;
        long hp = h + 2 * p, wp = wd + 2 * p;
        long m = p * wp + p, l = hp * wp, cols = n * l;
        ConvScratch s = ConvScratch.get();
        INDArray padded = pad(x, p, s.buffer(ConvScratch.PADDED, x.dataType(), paddedLength(x, p)));
        INDArray dYp = pad(dY, p, s.buffer(ConvScratch.PADDED_OTHER, dY.dataType(), paddedLength(dY, p)));
        INDArray dYq = dYp.get(all(), interval(m, m + cols));                          // (K, N·L)
        // Nd4j.gemm refuses a view as its output, so the GEMMs accumulate into dW2d, then into dW
        INDArray dW2d = Nd4j.zeros(dY.dataType(), kOut, c * k * k);                    // (K, C·k·k)
        long samples = chunkSamples(c * k * k * l, n);
        INDArray chunk = s.buffer(ConvScratch.INPUT, dY.dataType(), c * k * k * samples * l);
        for (long i = 0; i < n; i += samples) {
            long len = Math.min(samples, n - i) * l;
            INDArray st = chunk.get(interval(0, c * k * k * len)).reshape('c', c * k * k, len);
            stack(padded, m, i * l, wp, k, 1, st);
            Gemm.gemm(dYq.get(all(), interval(i * l, i * l + len)), st, dW2d, false, true, 1.0, 1.0);
        }
        dW.addi(dW2d.reshape(dW.shape()));
        dB.addi(dY.sum(0, 2, 3));
    }

    /**
     * A 1×1 kernel needs no padding and no stacked views: each sample of an (N,A,H,W) tensor is already an
     * (A, H·W) matrix, so out[i] (B, H·W) = w (B, A) · in[i], or wᵀ · in[i] when {@code transposed} (backward-data,
     * w then (A, B)), one product per sample on the calling thread (the 1×1 layers this serves, a U-Net's head,
     * take a fraction of a millisecond).
     */
    private static void pointwise(INDArray in, INDArray w, INDArray out, boolean transposed) {
        int n = (int) in.size(0), a = (int) in.size(1), hw = (int) (in.size(2) * in.size(3));
        int b = (int) out.size(1);
        INDArray inC = Scalars.contiguous(in), outC = Scalars.contiguous(out);
        INDArray w2 = Scalars.contiguous(w).reshape('c', w.size(0), w.size(1));
        for (int i = 0; i < n; i++) {
            Gemm.sgemm(transposed, false, b, hw, a, 1f, w2, 0, transposed ? b : a, inC, (long) i * a * hw, hw, 0f,
                    outC, (long) i * b * hw, hw);
        }
        if (outC != out) {
            out.assign(outC);
        }
    }

    /** dW (K,C,1,1) += Σ_i dY[i] (K, H·W) · x[i]ᵀ (H·W, C), in sample order on the calling thread. */
    private static void pointwiseWeights(INDArray x, INDArray dY, INDArray dW) {
        int n = (int) x.size(0), c = (int) x.size(1), kOut = (int) dY.size(1), hw = (int) (x.size(2) * x.size(3));
        INDArray xC = Scalars.contiguous(x), dYC = Scalars.contiguous(dY), dWC = Scalars.contiguous(dW);
        for (int i = 0; i < n; i++) {
            Gemm.sgemm(false, true, kOut, c, hw, 1f, dYC, (long) i * kOut * hw, hw, xC, (long) i * c * hw, hw, 1f, dWC,
                    0, c);
        }
        if (dWC != dW) {
            dW.assign(dWC);
        }
    }

    /** Scalars of a padded (C, m + N·L + m) matrix of {@code a} (N,C,H,W). */
    private static long paddedLength(INDArray a, int p) {
        long hp = a.size(2) + 2 * p, wp = a.size(3) + 2 * p;
        return a.size(1) * (a.size(0) * hp * wp + 2 * (p * wp + p));
    }

    /** Samples per chunk of stacked columns, {@code perSample} scalars each: as many as fit, at least 1. */
    private long chunkSamples(long perSample, long n) {
        return Math.max(1, Math.min(n, columnChunk / perSample));
    }

    /**
     * Fills s (C·k·k, len), rows in (C, ky, kx) order like a (K,C,k,k) weight, with the shifted views
     * src[:, m + from + sign·off : m + from + sign·off + len] of every tap (ky, kx).
     */
    private static void stack(INDArray src, long m, long from, long wp, int k, int sign, INDArray s) {
        int p = k / 2;
        long c = src.size(0), len = s.size(1), row = src.size(1);
        for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
                long off = sign * ((long) (ky - p) * wp + (kx - p));
                long tap = (long) ky * k + kx;
                Scalars.copyRuns(src, m + from + off, row, s, tap * len, (long) k * k * len, c, len);
            }
        }
    }

    /**
     * a (N,A,H,W) zero-padded by p into (A, m + N·(H+2p)(W+2p) + m), m = p(W+2p)+p zero margin columns, written into
     * the start of {@code buffer}; the rows are copied as runs ({@link Scalars#copyRuns}), 2–4× faster than ND4J's
     * assign into a strided view.
     */
    private static INDArray pad(INDArray a, int p, INDArray buffer) {
        long n = a.size(0), ch = a.size(1), h = a.size(2), wd = a.size(3);
        long hp = h + 2 * p, wp = wd + 2 * p;
        long m = p * wp + p, l = hp * wp, cols = n * l;
        INDArray src = Scalars.contiguous(a);
        INDArray out = buffer.get(interval(0, ch * (m + cols + m))).reshape('c', ch, m + cols + m).assign(0);
        for (long i = 0; i < n; i++) {
            for (long c = 0; c < ch; c++) {
                Scalars.copyRuns(src, (i * ch + c) * h * wd, wd, out, c * (m + cols + m) + m + i * l + p * wp + p, wp,
                        h, wd);
            }
        }
        return out;
    }

    /**
     * Copies the interior of q (A, S·(H+2p)(W+2p)), c-contiguous, the padded grid of samples first..first+S−1,
     * into those samples of out (N,A,H,W).
     */
    private static void crop(INDArray q, int p, long h, long wd, long first, INDArray out) {
        long a = q.size(0), wp = wd + 2 * p, l = (h + 2 * p) * wp, samples = q.size(1) / l;
        INDArray dst = Scalars.contiguous(out);
        for (long i = 0; i < samples; i++) {
            for (long c = 0; c < a; c++) {
                Scalars.copyRuns(q, c * samples * l + i * l + p * wp + p, wp, dst, ((first + i) * a + c) * h * wd, wd,
                        h, wd);
            }
        }
        if (dst != out) {
            out.assign(dst);
        }
    }
}
