package org.segmentation.nn.conv;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.convolution.Convolution;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Convolution as im2col followed by GEMM (Chellapilla, Puri and Simard, "High performance convolutional neural
 * networks for document processing", 2006).
 *
 * <p>im2col turns the whole batch into columns (N,C,k,k,H,W) in their natural c order (written through a permuted
 * view instead, the copies measured 20× slower); it is built from ND4J ops as one padded copy of x and k² strided
 * copies, which measured 2.7× faster than ND4J's im2col op. col2im is ND4J's. Sample n's columns are
 * then a contiguous (C·k·k, H·W) matrix, and one GEMM per sample with the (K, C·k·k) weight matrix writes
 * straight into the (K, H·W) slice of the NCHW output, so no transpose of the output is needed. The loop runs
 * over the N samples of the batch, each iteration one large GEMM. Backward-data is the transposed GEMM into
 * column gradients followed by one col2im of the batch; backward-weights accumulates one GEMM per sample into
 * dW, reusing the columns cached by {@link #forward}. Padding is k/2 on every side.
 *
 * <p>Speed (segmentation-bench's Conv2dBenchmark, N=8, 64→64, 128×128, 3×3, float32, two shared cores): the
 * forward is 0.2–0.4× ND4J's oneDNN conv2d, short of the 0.5× target. The GEMMs alone take about as long as
 * oneDNN's whole convolution on this machine, and the 300 MB column matrix costs as much again; a direct or
 * Winograd algorithm behind {@link Conv2dAlgorithm} is the way past that. Interleaving im2col and GEMM sample by
 * sample (to keep columns in cache) measured 3× slower through ND4J's view indexing, so it is not done.
 *
 * <p>Arrays created here are allocated in the current ND4J workspace if one is open.
 */
public final class Im2colGemmConv2d implements Conv2dAlgorithm {
    /** Columns of the last forward input, (N,C,k,k,H,W) in c order. */
    private INDArray cols;
    private INDArray colsOf;

    @Override
    public void forward(INDArray x, INDArray w, INDArray b, INDArray y) {
        // x (N,C,H,W), w (K,C,k,k), b (K), y (N,K,H,W)
        long n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
        long kOut = w.size(0);
        int k = (int) w.size(2);
        colsOf = null;
        INDArray colsAll = columns(x, k);                                  // (N, C·k·k, H·W)
        INDArray w2d = w.reshape('c', kOut, c * k * k);                    // (K, C·k·k)
        INDArray y3d = y.reshape('c', n, kOut, hw);                        // (N, K, H·W)
        for (long i = 0; i < n; i++) {
            Nd4j.gemm(w2d, colsAll.slice(i), y3d.slice(i), false, false, 1.0, 0.0);
        }
        // implicit broadcasting of a (1,K,1,1) view measured 10× faster than BroadcastAddOp along dimension 1
        y.addi(b.reshape(1, kOut, 1, 1));
    }

    @Override
    public void backwardData(INDArray dY, INDArray w, INDArray dX) {
        // dY (N,K,H,W), w (K,C,k,k), dX (N,C,H,W)
        long n = dY.size(0), h = dY.size(2), wd = dY.size(3);
        long kOut = w.size(0), c = w.size(1);
        int k = (int) w.size(2);
        INDArray w2d = w.reshape('c', kOut, c * k * k);                    // (K, C·k·k)
        INDArray dY3d = dY.reshape('c', n, kOut, h * wd);                  // (N, K, H·W)
        INDArray dCols = Nd4j.createUninitialized(dY.dataType(), n, c, k, k, h, wd);
        INDArray dCols3d = dCols.reshape('c', n, c * k * k, h * wd);       // (N, C·k·k, H·W)
        for (long i = 0; i < n; i++) {
            Nd4j.gemm(w2d, dY3d.slice(i), dCols3d.slice(i), true, false, 1.0, 0.0);
        }
        int pad = k / 2;
        // ND4J's col2im: the same sum written as k² strided additions measured 2.3× slower
        Convolution.col2im(dCols, dX, 1, 1, pad, pad, (int) h, (int) wd, 1, 1);
    }

    @Override
    public void backwardWeights(INDArray x, INDArray dY, INDArray dW, INDArray dB) {
        // x (N,C,H,W), dY (N,K,H,W), dW (K,C,k,k), dB (K)
        long n = dY.size(0), kOut = dW.size(0), c = dW.size(1), hw = dY.size(2) * dY.size(3);
        int k = (int) dW.size(2);
        INDArray colsAll = columns(x, k);                           // (N, C·k·k, H·W)
        INDArray dY3d = dY.reshape('c', n, kOut, hw);                      // (N, K, H·W)
        INDArray dW2d = dW.reshape('c', kOut, c * k * k);                  // (K, C·k·k)
        for (long i = 0; i < n; i++) {
            Nd4j.gemm(dY3d.slice(i), colsAll.slice(i), dW2d, false, true, 1.0, 1.0);
        }
        dB.addi(dY.sum(0, 2, 3));
    }

    /**
     * Fills cols (N,C,k,k,H,W) with the k×k neighbourhoods of x (N,C,H,W), zero-padded by k/2: one copy of x into
     * padded (N,C,H+2p,W+2p), whose border must be zero, then one strided copy per kernel tap. ND4J's own im2col gives the same columns but
     * measured 2.7× slower on (8,64,128,128).
     */
    static void im2col(INDArray x, INDArray cols, INDArray padded, int k) {
        long h = x.size(2), wd = x.size(3);
        int pad = k / 2;
        padded.get(all(), all(), interval(pad, pad + h), interval(pad, pad + wd)).assign(x);
        for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
                cols.get(all(), all(), point(ky), point(kx), all(), all())
                        .assign(padded.get(all(), all(), interval(ky, ky + h), interval(kx, kx + wd)));
            }
        }
    }

    /** Columns of x as (N, C·k·k, H·W): those of the last forward if x is its input, else recomputed. */
    private INDArray columns(INDArray x, int k) {
        long n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        if (x != colsOf || cols == null) {
            int pad = k / 2;
            cols = Nd4j.createUninitialized(x.dataType(), n, c, k, k, h, wd);
            im2col(x, cols, Nd4j.zeros(x.dataType(), n, c, h + 2 * pad, wd + 2 * pad), k);
            colsOf = x;
        }
        return cols.reshape('c', n, c * k * k, h * wd);
    }
}
