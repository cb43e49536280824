package org.segmentation.nn.layers;

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
 * <p>On ND4J's CPU backend ({@link Scalars#hostMemory}) both passes are loops over the arrays' memory, the planes
 * split between one thread per core: forward reads each pair of input rows in bulk and writes one output row.
 * Composed of ND4J ops, the three pools of the benchmark U-Net took 16 ms forward and about 70 ms backward per
 * training step (batch 8, 64×64, two busy cores); as loops, 5 and 2 ms. On any other backend the passes are those
 * ND4J ops: the windows as a permuted copy (N,C,H/2,W/2,4), then max and argmax along the last axis; backward
 * multiplies a one-hot of the argmax by dY and adds its permuted copy into dX.
 *
 * <p>The argmax cache is a Java array of input positions (loops), grown when needed and reused, or an array of
 * window positions (ND4J ops); the input is not kept. The output and dX are detached arrays owned by the caller
 * ({@link Memory}).
 */
public final class MaxPool2x2 {
    private boolean hostLoops = Scalars.hostMemory();

    // caches for backward
    private long[] inShape;      // (N,C,H,W)
    private int[] argmax;        // loops: (N,C,H/2,W/2) in c order: c-order index into the input of each maximum
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
        if (hostLoops) {
            forwardLoops(x, y);
        } else {
            forwardNd4j(x, y);
        }
        return y;
    }

    private void forwardLoops(INDArray x, INDArray y) {
        int planes = Math.toIntExact(y.size(0) * y.size(1)), outs = Math.toIntExact(y.length());
        if (argmax == null || argmax.length < outs) {
            argmax = new int[outs];
        }
        int[] arg = argmax;
        try (MemoryWorkspace ws = Memory.scratch()) {
            Scalars xs = Scalars.of(Scalars.contiguous(x));
            Scalars ys = Scalars.of(y);
            int iw = (int) x.size(3), plane = Math.toIntExact(x.size(2) * iw), oh = (int) y.size(2);
            int ow = (int) y.size(3);
            ParallelRanges.runDynamic(planes, (from, to) -> {
                double[] r0 = new double[iw], r1 = new double[iw], out = new double[ow];
                for (int pl = from; pl < to; pl++) {
                    for (int i = 0; i < oh; i++) {
                        int row = pl * plane + 2 * i * iw, o = (pl * oh + i) * ow;
                        xs.get(row, r0, iw);
                        xs.get(row + iw, r1, iw);
                        for (int j = 0; j < ow; j++) {
                            int at = 2 * j, best = at;
                            double max = r0[at];
                            if (r0[at + 1] > max) {
                                max = r0[at + 1];
                                best = at + 1;
                            }
                            if (r1[at] > max) {
                                max = r1[at];
                                best = iw + at;
                            }
                            if (r1[at + 1] > max) {
                                max = r1[at + 1];
                                best = iw + at + 1;
                            }
                            out[j] = max;
                            arg[o + j] = row + best;
                        }
                        ys.set(o, out, ow);
                    }
                }
            });
        }
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
            if (hostLoops) {
                Scalars d = Scalars.of(Scalars.contiguous(dY));
                Scalars dx = Scalars.of(dX);
                int outs = (int) dY.length();
                for (int o = 0; o < outs; o++) {
                    int at = argmax[o];
                    dx.set(at, dx.get(at) + d.get(o));
                }
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
