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
 * <p>The backward kernels are {@link Im2colGemmConv2d}'s (its backward-weights then builds its own columns).
 *
 * <p>Arrays created here are allocated in the current ND4J workspace if one is open.
 */
public final class ShiftedGemmConv2d implements Conv2dAlgorithm {
    private final Im2colGemmConv2d backward = new Im2colGemmConv2d();

    @Override
    public void forward(INDArray x, INDArray w, INDArray b, INDArray y) {
        long n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        long kOut = w.size(0);
        int k = (int) w.size(2);
        int p = k / 2;
        long hp = h + 2 * p, wp = wd + 2 * p, l = hp * wp;
        long m = p * wp + p;
        long cols = n * l;
        INDArray padded = Nd4j.zeros(x.dataType(), c, m + cols + m);                 // (C, m + N·L + m)
        INDArray body = padded.get(all(), interval(m, m + cols)).reshape('c', c, n, hp, wp);
        for (long i = 0; i < n; i++) {
            body.get(all(), point(i), interval(p, p + h), interval(p, p + wd)).assign(x.slice(i));
        }
        // taps as contiguous (K, C) matrices: (k, k, K, C)
        INDArray taps = w.permute(2, 3, 0, 1).dup('c');
        INDArray q = Nd4j.createUninitialized(x.dataType(), kOut, cols);             // (K, N·L)
        boolean first = true;
        for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
                long off = (long) (ky - p) * wp + (kx - p);
                INDArray tap = taps.get(point(ky), point(kx), all(), all());
                INDArray shifted = padded.get(all(), interval(m + off, m + off + cols));
                Nd4j.gemm(tap, shifted, q, false, false, 1.0, first ? 0.0 : 1.0);
                first = false;
            }
        }
        INDArray q4 = q.reshape('c', kOut, n, hp, wp);
        for (long i = 0; i < n; i++) {
            y.slice(i).assign(q4.get(all(), point(i), interval(p, p + h), interval(p, p + wd)));
        }
        y.addi(b.reshape(1, kOut, 1, 1));
    }

    @Override
    public void backwardData(INDArray dY, INDArray w, INDArray dX) {
        backward.backwardData(dY, w, dX);
    }

    @Override
    public void backwardWeights(INDArray x, INDArray dY, INDArray dW, INDArray dB) {
        backward.backwardWeights(x, dY, dW, dB);
    }
}
