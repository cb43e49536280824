package org.segmentation.nn.layers;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.segmentation.nn.Memory;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;

/**
 * 2×2 max pooling with stride 2, PyTorch's {@code MaxPool2d(2)}: an odd last row or column is dropped
 * (output H/2 rounded down). Forward caches the argmax of every window (the first maximum on ties, in the order
 * (0,0), (0,1), (1,0), (1,1)); backward routes each output gradient to that one input.
 *
 * A NaN in a window makes its output NaN, as in PyTorch.
 *
 * <p>For float32 on ND4J's CPU backend ({@link Scalars#hostMemory}) both passes are loops over the arrays' memory:
 * forward reads each pair of input rows in bulk and writes one output row, the planes split between one thread per
 * core; backward adds each output gradient into its input. Composed of ND4J ops, the three pools of the benchmark
 * U-Net took 16 ms forward and about 70 ms backward per training step (batch 8, 64×64, two busy cores); as loops,
 * 5 and 2 ms at first, and since branch-free maxima and window positions kept as bytes, the largest of the three
 * (8×16×64², one thread) 1.9 → 0.8 ms forward and 0.64 → 0.45 ms backward. Float64 (the gradient checks) and other
 * backends run ND4J ops: the windows as a permuted copy (N,C,H/2,W/2,4), then max and argmax along the last axis;
 * backward multiplies a one-hot of the argmax by dY and adds its permuted copy into dX.
 *
 * <p>The argmax cache is a Java array of window positions (loops), grown when needed and reused, or an ND4J array
 * of them (ND4J ops); the input is not kept. The output and dX are detached arrays owned by the caller
 * ({@link Memory}).
 */
public final class MaxPool2x2 {
    private boolean hostLoops = Scalars.hostMemory();
    private boolean loops;       // whether the last forward ran the loops (float32 and hostLoops)

    // caches for backward
    private long[] inShape;      // (N,C,H,W)
    private byte[] argmax;       // loops: (N,C,H/2,W/2) in c order: window position 0..3 of each maximum
    private INDArray windowMax;  // ND4J ops: (N,C,H/2,W/2) position 0..3 of each maximum in its window

    /** For tests: computes with ND4J ops, as on a backend other than the CPU. */
    MaxPool2x2 useNd4jOps() {
        hostLoops = false;
        return this;
    }

    /**
     * @param x input (N,C,H,W), H and W at least 2
     * @return output (N,C,H/2,W/2)
     */
    public INDArray forward(INDArray x) {
        Shapes.require("MaxPool2x2 input x", "(N,C,H,W)", x, Shapes.ANY, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        long n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), ho = h / 2, wo = w / 2;
        if (ho == 0 || wo == 0) {
            throw new IllegalArgumentException("MaxPool2x2 input x: expected H >= 2 and W >= 2, got "
                    + java.util.Arrays.toString(x.shape()));
        }
        inShape = x.shape();
        INDArray y = Memory.detached(x.dataType(), n, c, ho, wo);
        loops = hostLoops && x.dataType() == DataType.FLOAT;
        if (loops) {
            forwardLoops(x, y);
        } else {
            forwardNd4j(x, y);
        }
        return y;
    }

    private void forwardLoops(INDArray x, INDArray y) {
        int planes = Math.toIntExact(y.size(0) * y.size(1)), outs = Math.toIntExact(y.length());
        if (argmax == null || argmax.length < outs) {
            argmax = new byte[outs];
        }
        byte[] arg = argmax;
        INDArray xc = Scalars.contiguous(x);
        FloatBuffer xb = xc.data().asNioFloat(), yb = y.data().asNioFloat();
        int xo = (int) xc.offset(), yo = (int) y.offset();
        int iw = (int) x.size(3), plane = Math.toIntExact(x.size(2) * iw), oh = (int) y.size(2);
        int ow = (int) y.size(3);
        ParallelRanges.runDynamic(planes, (from, to) -> {
            float[] r0 = new float[iw], r1 = new float[iw], out = new float[ow];
            for (int pl = from; pl < to; pl++) {
                for (int i = 0; i < oh; i++) {
                    int row = pl * plane + 2 * i * iw, o = (pl * oh + i) * ow;
                    xb.get(xo + row, r0, 0, iw);
                    xb.get(xo + row + iw, r1, 0, iw);
                    // the first maximum in window order, without branches: whether v beats the maximum so far m
                    // is the sign bit of (m − v) + 0, negative only if v > m (the + 0 turns the −0 of a tie
                    // between −0 and +0 into +0, so ties keep m). On unordered data each comparison goes either
                    // way, and as branches or selections they took 11-12 ns per output, as sign bits 5.
                    for (int j = 0; j < ow; j++) {
                        float a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
                        int p = Float.floatToRawIntBits((a - b) + 0f) >>> 31;
                        float m = Math.max(a, b);
                        int beatsC = Float.floatToRawIntBits((m - c) + 0f) >>> 31;
                        m = Math.max(m, c);
                        int beatsD = Float.floatToRawIntBits((m - d) + 0f) >>> 31;
                        out[j] = Math.max(m, d);
                        p += beatsC * (2 - p);
                        p += beatsD * (3 - p);
                        arg[o + j] = (byte) p;
                    }
                    yb.put(yo + o, out, 0, ow);
                }
            }
        });
    }

    /** The windows of x (N,C,H,W) as a c-ordered (N,C,H/2,W/2,4) copy, in the current workspace. */
    private static INDArray windows(INDArray x) {
        long n = x.size(0), c = x.size(1), ho = x.size(2) / 2, wo = x.size(3) / 2;
        INDArray even = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 2 * ho),
                NDArrayIndex.interval(0, 2 * wo)).dup('c');
        return even.reshape('c', n, c, ho, 2, wo, 2).permute(0, 1, 2, 4, 3, 5).dup('c').reshape('c', n, c, ho, wo, 4);
    }

    private void forwardNd4j(INDArray x, INDArray y) {
        Memory.free(windowMax);
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray win = windows(x);
            y.assign(win.max(4));
            INDArray arg = Nd4j.argMax(win, 4);   // the first maximum on ties
            windowMax = Memory.detached(arg.dataType(), arg.shape()).assign(arg);
        }
    }

    /**
     * dX[the argmax of each window] += dY: per pair of input rows, one bulk read of dY's row and dX's two rows, the
     * sums, one bulk write; the planes split over the cores. Each input scalar is in one window, so the order of the
     * additions does not matter.
     */
    private void backwardLoops(INDArray dY, INDArray dX) {
        INDArray dYc = Scalars.contiguous(dY);
        FloatBuffer db = dYc.data().asNioFloat(), xb = dX.data().asNioFloat();
        int dOff = (int) dYc.offset(), xOff = (int) dX.offset();
        byte[] arg = argmax;
        int iw = (int) inShape[3], plane = Math.toIntExact(inShape[2] * iw);
        int oh = (int) dY.size(2), ow = (int) dY.size(3), planes = Math.toIntExact(dY.size(0) * dY.size(1));
        ParallelRanges.runDynamic(planes, (from, to) -> {
            float[] g = new float[ow], rows = new float[2 * iw];
            for (int pl = from; pl < to; pl++) {
                for (int i = 0; i < oh; i++) {
                    int row = xOff + pl * plane + 2 * i * iw, o = (pl * oh + i) * ow;
                    db.get(dOff + o, g, 0, ow);
                    xb.get(row, rows, 0, 2 * iw);
                    for (int j = 0; j < ow; j++) {
                        int p = arg[o + j];
                        rows[(p >> 1) * iw + 2 * j + (p & 1)] += g[j];
                    }
                    xb.put(row, rows, 0, 2 * iw);
                }
            }
        });
    }

    /**
     * @param dY gradient of the output (N,C,H/2,W/2)
     * @return gradient of the input (N,C,H,W), zero except at each window's argmax: a new detached array
     */
    public INDArray backward(INDArray dY) {
        return backward(dY, null);
    }

    /**
     * Back-propagates into {@code dX}, adding to it, for an input that also feeds another layer (a U-Net skip):
     * no separate gradient is allocated and summed.
     *
     * @param dY gradient of the output (N,C,H/2,W/2)
     * @param dX gradient of the input (N,C,H,W), c-contiguous, accumulated into; or null for a new detached
     *     array, zero except at each window's argmax
     * @return dX
     */
    public INDArray backward(INDArray dY, INDArray dX) {
        if (inShape == null) {
            throw new IllegalStateException("MaxPool2x2.backward called before forward");
        }
        long n = inShape[0], c = inShape[1], ho = inShape[2] / 2, wo = inShape[3] / 2;
        Shapes.require("MaxPool2x2 output gradient dY", "(N,C,H/2,W/2)", dY, n, c, ho, wo);
        if (dX == null) {
            dX = Memory.detachedZeros(dY.dataType(), inShape);
        } else {
            Shapes.require("MaxPool2x2 input gradient dX", "(N,C,H,W)", dX, inShape);
        }
        try (MemoryWorkspace ws = Memory.scratch()) {
            if (loops) {
                backwardLoops(dY, dX);
            } else {
                INDArray oneHot = Nd4j.create(dY.dataType(), n, c, ho, wo, 4);
                Nd4j.exec(new OneHot(windowMax, oneHot, 4, -1, 1.0, 0.0));            // (N,C,H/2,W/2,4)
                INDArray routed = oneHot.muli(dY.reshape('c', n, c, ho, wo, 1));
                INDArray even = dX.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 2 * ho),
                        NDArrayIndex.interval(0, 2 * wo));
                // window position 2a+b of output (i, j) is input (2i+a, 2j+b)
                INDArray back = routed.reshape('c', n, c, ho, wo, 2, 2).permute(0, 1, 2, 4, 3, 5)
                        .dup('c').reshape('c', n, c, 2 * ho, 2 * wo);
                even.addi(back);
                Memory.free(windowMax);
                windowMax = null;
            }
        }
        return dX;
    }
}
