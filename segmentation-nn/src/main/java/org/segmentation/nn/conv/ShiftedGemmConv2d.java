package org.segmentation.nn.conv;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Forward convolution as k² accumulating GEMMs on shifted views of one zero-padded input ("shifted GEMM"), with
 * no im2col buffer. The batch is zero-padded once into a channel-major matrix P (C, m + N·L + m), where
 * L = (H+2p)(W+2p) is one padded sample laid out flat, the N padded samples follow each other, and m = p(W+2p)+p
 * zero margin columns on each side keep every shifted view inside the buffer. For tap (ky,kx), with
 * off = (ky-p)(W+2p) + (kx-p), output position q of the padded grid receives W_tap (K×C) · P[:, m+q+off], so the
 * output on the whole padded grid, Q (K, N·L), is the sum over taps of W_tap · P[:, m+off : m+off+N·L]: k² GEMMs
 * with beta = 1, each on a (C, N·L) view of P with leading dimension m+N·L+m. Positions of the padded border and
 * any position whose shifted read crosses into a neighbouring sample are wrong but cropped away; the interior
 * positions only ever read their own sample's padded image. Finally the interior is copied to y per sample and
 * the bias added.
 *
 * <p>The backward kernels use the same shifted views (see each), and backward-weights reuses P from the forward
 * and the padded dY from backward-data.
 * With a single input channel (a grey image into the first layer) the forward instead stacks the k² views into one
 * (k², N·L) matrix and runs one GEMM: k² GEMMs with a reduction of 1 measured 1.7× slower. From 16 channels up
 * the stacked copy cost more than it saved (1.4–2.2× slower forwards on the U-Net's shapes, test's
 * {@code ConvShapeProfile}).
 *
 * <p>Speed (segmentation-bench's Conv2dBenchmark, N=8, 64→64, 128×128, 3×3, float32, two shared cores, one run
 * -wi 2 -i 5, ms/op): forward 138 (Im2colGemmConv2d 170, ND4J conv2d 95, so 0.69× ND4J), backward-data 131
 * (im2col 333), backward-weights 213 (im2col 101, which reuses its cached 300 MB columns; here the nine GEMMs
 * have a 64×64 output and a reduction of N·L = 135 200, which OpenBLAS runs poorly); a whole step 482 against
 * 604, ND4J's conv2d + conv2d_bp 332. The padded GEMMs also compute the (H+2p)(W+2p) − HW border, 3% here.
 *
 * <p>Arrays created here are allocated in the current ND4J workspace if one is open.
 */
public final class ShiftedGemmConv2d implements Conv2dAlgorithm {
    /**
     * Input channels up to which {@link #forward} stacks the k² shifted views into one (C·k·k, N·L) matrix and
     * runs one GEMM instead of k² accumulating ones.
     */
    static final int STACKED_FORWARD_MAX_CHANNELS = 1;
    private final int stackedForwardMaxChannels;
    /** Padded batch P of the last forward input and that input. */
    private INDArray padded;
    private INDArray paddedOf;
    /** Stacked columns (C·k·k, N·L) of the last forward input if the forward built them, else null. */
    private INDArray stacked;
    /** Padded output gradient of the last backwardData and that gradient, for backwardWeights. */
    private INDArray paddedDy;
    private INDArray paddedDyOf;

    public ShiftedGemmConv2d() {
        this(STACKED_FORWARD_MAX_CHANNELS);
    }

    /** For tests and profiling: the threshold chosen by measurement, given explicitly. */
    ShiftedGemmConv2d(int stackedForwardMaxChannels) {
        this.stackedForwardMaxChannels = stackedForwardMaxChannels;
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
        INDArray q = Nd4j.createUninitialized(x.dataType(), kOut, cols);               // (K, N·L)
        if (c <= stackedForwardMaxChannels) {
            stacked = Nd4j.createUninitialized(x.dataType(), c * k * k, cols);         // (C·k·k, N·L)
            stack(padded, m, 0, wp, k, stacked);
            Nd4j.gemm(w.reshape('c', kOut, c * k * k), stacked, q, false, false, 1.0, 0.0);
        } else {
            INDArray taps = w.permute(2, 3, 0, 1).dup('c');                            // (k, k, K, C)
            shiftedGemms(taps, false, padded, m, wp, k, 1, q);
        }
        crop(q, p, h, wd, y);
        y.addi(b.reshape(1, kOut, 1, 1));
    }

    /**
     * Same idea transposed: dXpad[:, q] = sum over taps of W_tap^T · dYpad[:, q - off], where dYpad is dY zero-padded
     * like x, so its border is zero and positions whose shifted read leaves the sample only meet zeros or are cropped.
     */
    @Override
    public void backwardData(INDArray dY, INDArray w, INDArray dX) {
        long n = dY.size(0), h = dY.size(2), wd = dY.size(3);
        long c = w.size(1);
        int k = (int) w.size(2);
        int p = k / 2;
        long hp = h + 2 * p, wp = wd + 2 * p;
        long m = p * wp + p, cols = n * hp * wp;
        paddedDyOf = null;
        INDArray dYp = pad(dY, p);                                                     // (K, m + N·L + m)
        paddedDy = dYp;
        paddedDyOf = dY;
        INDArray taps = w.permute(2, 3, 0, 1).dup('c');                                // (k, k, K, C)
        INDArray q = Nd4j.createUninitialized(dY.dataType(), c, cols);                 // (C, N·L)
        shiftedGemms(taps, true, dYp, m, wp, k, -1, q);
        crop(q, p, h, wd, dX);
    }

    /**
     * dW_tap (K×C) = dYpad (K, N·L) · P[:, m+off : m+off+N·L]^T: the padded border of dYpad is zero, so only the
     * interior positions, whose shifted reads stay in their own sample, contribute. Reuses P from the forward. If
     * the forward stacked its input, dW (K, C·k·k) is instead one GEMM with those stacked views, S (C·k·k, N·L):
     * dYpad · S^T, 3× faster than the k² GEMMs there. Stacking only for this GEMM did not pay: the copy took as
     * long as the GEMMs it saved (16→16 at 64×64, N=8).
     */
    @Override
    public void backwardWeights(INDArray x, INDArray dY, INDArray dW, INDArray dB) {
        long n = dY.size(0), kOut = dW.size(0), c = dW.size(1), h = dY.size(2), wd = dY.size(3);
        int k = (int) dW.size(2);
        int p = k / 2;
        long hp = h + 2 * p, wp = wd + 2 * p;
        long m = p * wp + p, cols = n * hp * wp;
        if (x != paddedOf || padded == null) {
            padded = pad(x, p);
            paddedOf = x;
            stacked = null;
        }
        INDArray dYp = dY == paddedDyOf ? paddedDy : pad(dY, p);                       // (K, m + N·L + m)
        INDArray dYq = dYp.get(all(), interval(m, m + cols));                          // (K, N·L)
        if (stacked != null) {
            Nd4j.gemm(dYq, stacked, dW.reshape('c', kOut, c * k * k), false, true, 1.0, 1.0);
        } else {
            INDArray dTaps = Nd4j.createUninitialized(dY.dataType(), k, k, kOut, c);
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    long off = (long) (ky - p) * wp + (kx - p);
                    Nd4j.gemm(dYq, padded.get(all(), interval(m + off, m + off + cols)),
                            dTaps.get(point(ky), point(kx), all(), all()), false, true, 1.0, 0.0);
                }
            }
            dW.addi(dTaps.permute(2, 3, 0, 1));
        }
        dB.addi(dY.sum(0, 2, 3));
    }

    /**
     * Fills s (C·k·k, len), rows in (C, ky, kx) order like a (K,C,k,k) weight, with the shifted views
     * src[:, m + from + off : m + from + off + len] of every tap (ky, kx).
     */
    private static void stack(INDArray src, long m, long from, long wp, int k, INDArray s) {
        int p = k / 2;
        long c = src.size(0), len = s.size(1);
        INDArray s3 = s.reshape('c', c, (long) k * k, len);
        for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
                long off = (long) (ky - p) * wp + (kx - p);
                s3.get(all(), point((long) ky * k + kx), all())
                        .assign(src.get(all(), interval(m + from + off, m + from + off + len)));
            }
        }
    }

    /** a (N,A,H,W) zero-padded by p into (A, m + N·(H+2p)(W+2p) + m), m = p(W+2p)+p zero margin columns. */
    private static INDArray pad(INDArray a, int p) {
        long n = a.size(0), ch = a.size(1), h = a.size(2), wd = a.size(3);
        long hp = h + 2 * p, wp = wd + 2 * p;
        long m = p * wp + p, cols = n * hp * wp;
        INDArray out = Nd4j.zeros(a.dataType(), ch, m + cols + m);
        INDArray body = out.get(all(), interval(m, m + cols)).reshape('c', ch, n, hp, wp);
        for (long i = 0; i < n; i++) {
            body.get(all(), point(i), interval(p, p + h), interval(p, p + wd)).assign(a.slice(i));
        }
        return out;
    }

    /** q = sum over taps of op(T_tap) · src[:, m + sign·off : ... + cols], op = transpose if transposed. */
    private static void shiftedGemms(INDArray taps, boolean transposed, INDArray src, long m, long wp, int k,
            int sign, INDArray q) {
        int p = k / 2;
        long cols = q.size(1);
        boolean first = true;
        for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
                long off = sign * ((long) (ky - p) * wp + (kx - p));
                INDArray tap = taps.get(point(ky), point(kx), all(), all());
                INDArray shifted = src.get(all(), interval(m + off, m + off + cols));
                Nd4j.gemm(tap, shifted, q, transposed, false, 1.0, first ? 0.0 : 1.0);
                first = false;
            }
        }
    }

    /** Copies the interior of q (A, N·(H+2p)(W+2p)) into out (N,A,H,W). */
    private static void crop(INDArray q, int p, long h, long wd, INDArray out) {
        long n = out.size(0);
        INDArray q4 = q.reshape('c', q.size(0), n, h + 2 * p, wd + 2 * p);
        for (long i = 0; i < n; i++) {
            out.slice(i).assign(q4.get(all(), point(i), interval(p, p + h), interval(p, p + wd)));
        }
    }
}
