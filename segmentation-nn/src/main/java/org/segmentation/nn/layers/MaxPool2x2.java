package org.segmentation.nn.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.segmentation.nn.Shapes;

/**
 * 2×2 max pooling with stride 2, PyTorch's {@code MaxPool2d(2)}: an odd last row or column is dropped
 * (output H/2 rounded down). Forward caches the argmax of every window (the first maximum on ties); backward
 * routes each output gradient to that one input.
 */
public final class MaxPool2x2 {
    // caches for backward
    private long[] inShape;  // (N,C,H,W)
    private INDArray argmax; // (N,C,H/2,W/2), 0..3 = window position dy·2 + dx

    /**
     * @param x input (N,C,H,W), H and W at least 2
     * @return output (N,C,H/2,W/2)
     */
    public INDArray forward(INDArray x) {
        Shapes.require("MaxPool2x2 input x", "(N,C,H,W)", x, Shapes.ANY, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        long n = x.size(0), c = x.size(1), ho = x.size(2) / 2, wo = x.size(3) / 2;
        if (ho == 0 || wo == 0) {
            throw new IllegalArgumentException("MaxPool2x2 input x: expected H >= 2 and W >= 2, got "
                    + java.util.Arrays.toString(x.shape()));
        }
        inShape = x.shape();
        INDArray cropped = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 2 * ho),
                NDArrayIndex.interval(0, 2 * wo));
        INDArray windows = cropped.reshape('c', n, c, ho, 2, wo, 2).permute(0, 1, 2, 4, 3, 5)
                .dup('c').reshape('c', n, c, ho, wo, 4);                 // (N,C,Ho,Wo,4)
        argmax = windows.argMax(4);
        return windows.max(4);
    }

    /**
     * @param dY gradient of the output (N,C,H/2,W/2)
     * @return gradient of the input (N,C,H,W), zero except at each window's argmax
     */
    public INDArray backward(INDArray dY) {
        if (argmax == null) {
            throw new IllegalStateException("MaxPool2x2.backward called before forward");
        }
        long n = inShape[0], c = inShape[1], ho = inShape[2] / 2, wo = inShape[3] / 2;
        Shapes.require("MaxPool2x2 output gradient dY", "(N,C,H/2,W/2)", dY, n, c, ho, wo);
        INDArray oneHot = Nd4j.createUninitialized(dY.dataType(), n, c, ho, wo, 4);
        Nd4j.exec(new OneHot(argmax, oneHot, 4, -1, 1.0, 0.0));
        oneHot.muli(dY.reshape('c', n, c, ho, wo, 1).broadcast(n, c, ho, wo, 4));   // (N,C,Ho,Wo,4)
        INDArray dX = Nd4j.zeros(dY.dataType(), inShape);
        dX.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 2 * ho),
                NDArrayIndex.interval(0, 2 * wo))
                .assign(oneHot.reshape('c', n, c, ho, wo, 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(n, c, 2 * ho, 2 * wo));
        return dX;
    }
}
