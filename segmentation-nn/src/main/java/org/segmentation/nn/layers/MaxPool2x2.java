package org.segmentation.nn.layers;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;

/**
 * 2×2 max pooling with stride 2, PyTorch's {@code MaxPool2d(2)}: an odd last row or column is dropped
 * (output H/2 rounded down). Forward caches the argmax of every window (the first maximum on ties, in the order
 * (0,0), (0,1), (1,0), (1,1)); backward routes each output gradient to that one input.
 *
 * <p>Both passes are one loop over the windows ({@link Scalars}). Composed of ND4J ops (a permuted copy, argMax,
 * max; OneHot, a broadcast multiply, a permuted assign), the three pools of the benchmark U-Net took 16 ms forward
 * and about 70 ms backward per training step (batch 8, 64×64, two busy cores); as loops, 5 and 2 ms.
 *
 * <p>The argmax cache is a Java array, grown when needed and reused; the input is not kept. The output and dX are
 * detached arrays owned by the caller ({@link Memory}).
 */
public final class MaxPool2x2 {
    // caches for backward
    private long[] inShape;  // (N,C,H,W)
    private int[] argmax;    // (N,C,H/2,W/2) in c order: c-order index into the input of each window's maximum

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
        int planes = Math.toIntExact(n * c), outs = Math.toIntExact(y.length());
        if (argmax == null || argmax.length < outs) {
            argmax = new int[outs];
        }
        try (MemoryWorkspace ws = Memory.scratch()) {
            Scalars xs = Scalars.of(Scalars.contiguous(x));
            Scalars ys = Scalars.of(y);
            int iw = (int) w, plane = Math.toIntExact(h * w), oh = (int) ho, ow = (int) wo;
            int o = 0;
            for (int pl = 0; pl < planes; pl++) {
                for (int i = 0; i < oh; i++) {
                    int row = pl * plane + 2 * i * iw;
                    for (int j = 0; j < ow; j++, o++) {
                        int at = row + 2 * j;
                        int best = at;
                        double max = xs.get(at);
                        double v = xs.get(at + 1);
                        if (v > max) {
                            max = v;
                            best = at + 1;
                        }
                        v = xs.get(at + iw);
                        if (v > max) {
                            max = v;
                            best = at + iw;
                        }
                        v = xs.get(at + iw + 1);
                        if (v > max) {
                            max = v;
                            best = at + iw + 1;
                        }
                        ys.set(o, max);
                        argmax[o] = best;
                    }
                }
            }
        }
        return y;
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
            Scalars d = Scalars.of(Scalars.contiguous(dY));
            Scalars dx = Scalars.of(dX);
            int outs = (int) dY.length();
            for (int o = 0; o < outs; o++) {
                int at = argmax[o];
                dx.set(at, dx.get(at) + d.get(o));
            }
        }
        return dX;
    }
}
