package org.segmentation.nn.conv;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
 * runs one GEMM, Q = W (K, C·k·k) · S: an im2col on the padded grid. Copied as memcpy runs
 * ({@link Scalars#copyRuns}), the stacking plus one GEMM beat k² accumulating GEMMs with (K, C) · (C, N·L) on every
 * 3×3 shape of the benchmark U-Net at N=8, 64×64 (forward 1.1–3× faster, test's {@code ConvShapeProfile}).
 * S is 9× the input, so it is built in chunks of whole samples of at most {@link #COLUMN_CHUNK} scalars, one GEMM
 * per chunk. Backward-data stacks the views of the padded dY shifted the other way; backward-weights is
 * dYpad · S^T, reusing S if the forward built it in one chunk, and reuses P from the forward and the padded dY
 * from backward-data.
 *
 * <p>Speed now ({@code seg bench -w conv-forward,conv-step}, N=8, 64→64, 128×128, 3×3, float32, 2 cores, load 1):
 * forward 132 ms (73 GFLOP/s), 1.01× PyTorch 1.13's time on 2 threads; forward + both backwards 420 ms, 1.15×.
 *
 * <p>Speed before the stacked forward and weight gradient (segmentation-bench's Conv2dBenchmark, same shape, two
 * shared cores, one run -wi 2 -i 5, ms/op): forward 138 (Im2colGemmConv2d 170, ND4J conv2d 95, so 0.69× ND4J), backward-data 131
 * (im2col 333), backward-weights 213 (im2col 101, which reuses its cached 300 MB columns; here the nine GEMMs
 * have a 64×64 output and a reduction of N·L = 135 200, which OpenBLAS runs poorly); a whole step 482 against
 * 604, ND4J's conv2d + conv2d_bp 332. The padded GEMMs also compute the (H+2p)(W+2p) − HW border, 3% here.
 *
 * <p>Arrays created here are allocated in the current ND4J workspace if one is open.
 */
public final class ShiftedGemmConv2d implements Conv2dAlgorithm {
    /** Scalars of one chunk of stacked columns, 8 Mi (32 MB of float32). */
    static final long COLUMN_CHUNK = 1L << 23;

    private final long columnChunk;
    /** Padded batch P of the last forward input and that input. */
    private INDArray padded;
    private INDArray paddedOf;
    /** Stacked columns (C·k·k, N·L) of the last forward input if the forward built them, else null. */
    private INDArray stacked;
    /** Padded output gradient of the last backwardData and that gradient, for backwardWeights. */
    private INDArray paddedDy;
    private INDArray paddedDyOf;

    public ShiftedGemmConv2d() {
        this(COLUMN_CHUNK);
    }

    /** For tests and profiling: another column chunk, in scalars. */
    ShiftedGemmConv2d(long columnChunk) {
        this.columnChunk = columnChunk;
    }

    @Override
    public void forward(INDArray x, INDArray w, INDArray b, INDArray y) {
        long n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        long kOut = w.size(0);
        int k = (int) w.size(2);
        int p = k / 2;
        long hp = h + 2 * p, wp = wd + 2 * p;
        long m = p * wp + p, cols = n * hp * wp;
        paddedOf = null;
        stacked = null;
        padded = pad(x, p);                                                            // (C, m + N·L + m)
        paddedOf = x;
        stacked = stackedGemms(padded, w.reshape('c', kOut, c * k * k), 1, n, h, wd, k, y);
        y.addi(b.reshape(1, kOut, 1, 1));
    }

    /**
     * Same idea transposed: dXpad[:, q] = sum over taps of W_tap^T · dYpad[:, q - off], where dYpad is dY zero-padded
     * like x, so its border is zero and positions whose shifted read leaves the sample only meet zeros or are cropped:
     * one GEMM (C, K·k·k) · (K·k·k, N·L) per chunk of stacked views of dYpad. Against k² accumulating GEMMs it
     * measured faster on most of the U-Net's shapes (up to 1.5×, N=8, 64×64) but about 1.3× slower on 128→64 at
     * 16×16, in two noisy interleaved runs.
     */
    @Override
    public void backwardData(INDArray dY, INDArray w, INDArray dX) {
        long n = dY.size(0), h = dY.size(2), wd = dY.size(3);
        long kOut = w.size(0), c = w.size(1);
        int k = (int) w.size(2);
        int p = k / 2;
        long hp = h + 2 * p, wp = wd + 2 * p;
        long m = p * wp + p, cols = n * hp * wp;
        paddedDyOf = null;
        INDArray dYp = pad(dY, p);                                                     // (K, m + N·L + m)
        paddedDy = dYp;
        paddedDyOf = dY;
        INDArray wT = w.permute(1, 0, 2, 3).dup('c').reshape('c', c, kOut * k * k);     // (C, K·k·k)
        stackedGemms(dYp, wT, -1, n, h, wd, k, dX);
    }

    /**
     * out (N,B,H,W) = crop(W2 · S) where S (A·k·k, N·L) stacks the views src[:, m + sign·off : ... + N·L] of every
     * tap, in chunks of whole samples; src is a padded (A, m + N·L + m) matrix and W2 (B, A·k·k).
     *
     * @return S if one chunk held the whole batch, else null
     */
    private INDArray stackedGemms(INDArray src, INDArray w2, int sign, long n, long h, long wd, int k,
            INDArray out) {
        int p = k / 2;
        long a = src.size(0), b = w2.size(0), wp = wd + 2 * p, l = (h + 2 * p) * wp, m = p * wp + p;
        long rows = a * k * k, samples = chunkSamples(rows * l, n);
        INDArray chunk = Nd4j.createUninitialized(src.dataType(), rows * samples * l);
        INDArray qChunk = Nd4j.createUninitialized(src.dataType(), b * samples * l);
        for (long i = 0; i < n; i += samples) {
            long len = Math.min(samples, n - i) * l;
            INDArray s = chunk.get(interval(0, rows * len)).reshape('c', rows, len);
            INDArray q = qChunk.get(interval(0, b * len)).reshape('c', b, len);     // (B, samples·L)
            stack(src, m, i * l, wp, k, sign, s);
            Nd4j.gemm(w2, s, q, false, false, 1.0, 0.0);
            crop(q, p, h, wd, i, out);
        }
        return samples >= n ? chunk.reshape('c', rows, n * l) : null;
    }

    /**
     * dW (K, C·k·k) = dYpad (K, N·L) · S^T, where S (C·k·k, N·L) stacks the shifted views P[:, m+off : m+off+N·L]
     * of every tap: the padded border of dYpad is zero, so only the interior positions, whose shifted reads stay
     * in their own sample, contribute. S is the forward's if it built one, else it is built from the forward's P
     * in chunks of whole samples of at most {@link #COLUMN_CHUNK} scalars (or one sample), one GEMM per chunk.
     * k² GEMMs with (K, C) outputs and the same long reduction, which OpenBLAS runs poorly, measured 1.3–2× slower
     * on the U-Net's shapes.
     */
    @Override
    public void backwardWeights(INDArray x, INDArray dY, INDArray dW, INDArray dB) {
        long n = dY.size(0), kOut = dW.size(0), c = dW.size(1), h = dY.size(2), wd = dY.size(3);
        int k = (int) dW.size(2);
        int p = k / 2;
        long hp = h + 2 * p, wp = wd + 2 * p;
        long m = p * wp + p, l = hp * wp, cols = n * l;
        if (x != paddedOf || padded == null) {
            padded = pad(x, p);
            paddedOf = x;
            stacked = null;
        }
        INDArray dYp = dY == paddedDyOf ? paddedDy : pad(dY, p);                       // (K, m + N·L + m)
        INDArray dYq = dYp.get(all(), interval(m, m + cols));                          // (K, N·L)
        // Nd4j.gemm refuses a view as its output, so the GEMMs accumulate into dW2d, then into dW
        INDArray dW2d = Nd4j.zeros(dY.dataType(), kOut, c * k * k);                    // (K, C·k·k)
        if (stacked != null) {
            Nd4j.gemm(dYq, stacked, dW2d, false, true, 1.0, 1.0);
        } else {
            long samples = chunkSamples(c * k * k * l, n);
            INDArray chunk = Nd4j.createUninitialized(dY.dataType(), c * k * k * samples * l);
            for (long i = 0; i < n; i += samples) {
                long len = Math.min(samples, n - i) * l;
                INDArray s = chunk.get(interval(0, c * k * k * len)).reshape('c', c * k * k, len);
                stack(padded, m, i * l, wp, k, 1, s);
                Nd4j.gemm(dYq.get(all(), interval(i * l, i * l + len)), s, dW2d, false, true, 1.0, 1.0);
            }
        }
        dW.addi(dW2d.reshape(dW.shape()));
        dB.addi(dY.sum(0, 2, 3));
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
     * a (N,A,H,W) zero-padded by p into (A, m + N·(H+2p)(W+2p) + m), m = p(W+2p)+p zero margin columns; the rows
     * are copied as runs ({@link Scalars#copyRuns}), 2–4× faster than ND4J's assign into a strided view.
     */
    private static INDArray pad(INDArray a, int p) {
        long n = a.size(0), ch = a.size(1), h = a.size(2), wd = a.size(3);
        long hp = h + 2 * p, wp = wd + 2 * p;
        long m = p * wp + p, l = hp * wp, cols = n * l;
        INDArray src = Scalars.contiguous(a);
        INDArray out = Nd4j.zeros(a.dataType(), ch, m + cols + m);
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
