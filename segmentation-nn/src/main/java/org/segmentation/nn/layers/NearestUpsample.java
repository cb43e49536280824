package org.segmentation.nn.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;

/**
 * Nearest-neighbour resize of (N,C,H,W) to (N,C,OH,OW), PyTorch's {@code F.interpolate(x, size=(OH, OW),
 * mode="nearest")}: output row i reads input row min(floor(i·(H/OH)), H − 1) with the scale H/OH in float32, as
 * PyTorch computes it (so 13 → 25 rows picks the same rows), likewise columns. The FPN's top-down path resizes each
 * level to the size of the next finer one. Backward sums the gradients of the outputs that read each input.
 *
 * <p>Loops over host memory ({@link Scalars}). The output and dX are detached arrays owned by the caller; the cache
 * is the input's shape.
 */
public final class NearestUpsample {
    // cache for backward
    private long[] inputShape;
    private int outH;
    private int outW;
    private DataType dtype;

    /** The input row (or column) that output index i reads, PyTorch's float32 rule. */
    static int source(int i, int in, int out) {
        if (out == 2 * in) {
            return i >> 1;
        }
        float scale = (float) in / out;
        return Math.min((int) Math.floor((float) i * scale), in - 1);
    }

    /**
     * @param x input (N,C,H,W)
     * @return (N,C,outH,outW), a new detached array
     */
    public INDArray forward(INDArray x, int outH, int outW) {
        Shapes.require("NearestUpsample input x", "(N,C,H,W)", x, Shapes.ANY, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        Shapes.requireFloating(x.dataType());
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("NearestUpsample: output size must be positive, got " + outH + "x"
                    + outW);
        }
        x = Scalars.contiguous(x);
        int planes = (int) (x.size(0) * x.size(1));
        int h = (int) x.size(2);
        int w = (int) x.size(3);
        int[] cols = new int[outW];
        for (int j = 0; j < outW; j++) {
            cols[j] = source(j, w, outW);
        }
        INDArray y = Memory.detached(x.dataType(), x.size(0), x.size(1), outH, outW);
        Scalars xs = Scalars.of(x);
        Scalars ys = Scalars.of(y);
        double[] in = new double[h * w];
        double[] row = new double[outW];
        for (int p = 0; p < planes; p++) {
            xs.get(p * h * w, in, h * w);
            for (int i = 0; i < outH; i++) {
                int base = source(i, h, outH) * w;
                for (int j = 0; j < outW; j++) {
                    row[j] = in[base + cols[j]];
                }
                ys.set((p * outH + i) * outW, row, outW);
            }
        }
        this.inputShape = x.shape();
        this.outH = outH;
        this.outW = outW;
        this.dtype = x.dataType();
        return y;
    }

    /**
     * @param dY gradient of the output (N,C,outH,outW)
     * @return gradient of the input (N,C,H,W), a new detached array
     */
    public INDArray backward(INDArray dY) {
        if (inputShape == null) {
            throw new IllegalStateException("NearestUpsample.backward called before forward");
        }
        Shapes.require("NearestUpsample output gradient dY", "(N,C,OH,OW)", dY, inputShape[0], inputShape[1], outH,
                outW);
        Shapes.requireType("NearestUpsample output gradient dY", dY, dtype);
        int planes = (int) (inputShape[0] * inputShape[1]);
        int h = (int) inputShape[2];
        int w = (int) inputShape[3];
        int[] cols = new int[outW];
        for (int j = 0; j < outW; j++) {
            cols[j] = source(j, w, outW);
        }
        INDArray dX = Memory.detached(dtype, inputShape);
        Scalars ds = Scalars.of(Scalars.contiguous(dY));
        Scalars dxs = Scalars.of(dX);
        double[] d = new double[h * w];
        double[] row = new double[outW];
        for (int p = 0; p < planes; p++) {
            java.util.Arrays.fill(d, 0);
            for (int i = 0; i < outH; i++) {
                ds.get((p * outH + i) * outW, row, outW);
                int base = source(i, h, outH) * w;
                for (int j = 0; j < outW; j++) {
                    d[base + cols[j]] += row[j];
                }
            }
            dxs.set(p * h * w, d, h * w);
        }
        inputShape = null;
        return dX;
    }
}
