package org.segmentation.nn.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Gemm;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Shapes;

/**
 * Bilinear ×2 upsampling with {@code align_corners=False}, matching PyTorch's
 * {@code Upsample(scale_factor=2, mode='bilinear')} (and {@code F.interpolate}'s default): output pixel o samples
 * the input at (o + 0.5)/2 − 0.5, clamped to the first pixel below and the last above. The interpolation is
 * separable, so the layer is two GEMMs with small (2H, H) and (2W, W) interpolation matrices, and backward is the
 * same with the transposed matrices. Temporaries live in the scratch workspace; the output and dX are detached
 * arrays owned by the caller ({@link Memory}).
 */
public final class BilinearUpsample2x {
    // caches for backward
    private long[] inShape; // (N,C,H,W)
    private INDArray uH;    // (2H, H)
    private INDArray uW;    // (2W, W)

    /**
     * @param x input (N,C,H,W)
     * @return output (N,C,2H,2W)
     */
    public INDArray forward(INDArray x) {
        Shapes.require("BilinearUpsample2x input x", "(N,C,H,W)", x, Shapes.ANY, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        long n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        inShape = x.shape();
        DataType dt = x.dataType();
        uH = interpolation(h, dt);
        uW = interpolation(w, dt);
        INDArray y = Memory.detached(dt, n, c, 2 * h, 2 * w);
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray t = Nd4j.createUninitialized(dt, n, c, h, 2 * w);              // (N,C,H,2W)
            Gemm.gemm(x.dup('c').reshape('c', n * c * h, w), uW, t.reshape('c', n * c * h, 2 * w), false, true, 1,
                    0);
            INDArray tT = t.permute(0, 1, 3, 2).dup('c');                           // (N,C,2W,H)
            INDArray yT = Nd4j.createUninitialized(dt, n, c, 2 * w, 2 * h);         // (N,C,2W,2H)
            Gemm.gemm(tT.reshape('c', n * c * 2 * w, h), uH, yT.reshape('c', n * c * 2 * w, 2 * h), false, true, 1,
                    0);
            y.assign(yT.permute(0, 1, 3, 2));
        }
        return y;
    }

    /**
     * @param dY gradient of the output (N,C,2H,2W)
     * @return gradient of the input (N,C,H,W)
     */
    public INDArray backward(INDArray dY) {
        if (inShape == null) {
            throw new IllegalStateException("BilinearUpsample2x.backward called before forward");
        }
        long n = inShape[0], c = inShape[1], h = inShape[2], w = inShape[3];
        Shapes.require("BilinearUpsample2x output gradient dY", "(N,C,2H,2W)", dY, n, c, 2 * h, 2 * w);
        DataType dt = dY.dataType();
        INDArray dX = Memory.detached(dt, n, c, h, w);
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray t = Nd4j.createUninitialized(dt, n, c, 2 * h, w);              // (N,C,2H,W)
            Gemm.gemm(dY.dup('c').reshape('c', n * c * 2 * h, 2 * w), uW, t.reshape('c', n * c * 2 * h, w),
                    false, false, 1, 0);
            INDArray tT = t.permute(0, 1, 3, 2).dup('c');                           // (N,C,W,2H)
            INDArray dXt = Nd4j.createUninitialized(dt, n, c, w, h);                // (N,C,W,H)
            Gemm.gemm(tT.reshape('c', n * c * w, 2 * h), uH, dXt.reshape('c', n * c * w, h), false, false, 1, 0);
            dX.assign(dXt.permute(0, 1, 3, 2));
        }
        return dX;
    }

    /** The (2n, n) matrix that maps n samples to 2n with align_corners=False. */
    static INDArray interpolation(long n, DataType dt) {
        double[][] u = new double[(int) (2 * n)][(int) n];
        for (int o = 0; o < 2 * n; o++) {
            double src = Math.max((o + 0.5) / 2 - 0.5, 0);
            int i0 = (int) Math.floor(src);
            int i1 = (int) Math.min(i0 + 1, n - 1);
            double l1 = src - i0;
            u[o][i0] += 1 - l1;
            u[o][i1] += l1;
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.create(u).castTo(dt);
        }
    }
}
