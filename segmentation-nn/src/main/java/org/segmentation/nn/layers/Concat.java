package org.segmentation.nn.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.segmentation.nn.Shapes;

/** Channel concatenation of two tensors, PyTorch's {@code torch.cat([a, b], dim=1)}. */
public final class Concat {
    // cache for backward
    private long channelsA;
    private long[] outShape; // (N, Ca+Cb, H, W)

    /**
     * @param a (N,Ca,H,W)
     * @param b (N,Cb,H,W)
     * @return (N,Ca+Cb,H,W)
     */
    public INDArray forward(INDArray a, INDArray b) {
        Shapes.require("Concat input a", "(N,C,H,W)", a, Shapes.ANY, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        Shapes.require("Concat input b", "(N,C,H,W)", b, a.size(0), Shapes.ANY, a.size(2), a.size(3));
        Shapes.requireType("Concat input b", b, a.dataType());
        channelsA = a.size(1);
        INDArray y = Nd4j.concat(1, a, b);
        outShape = y.shape();
        return y;
    }

    /**
     * @param dY gradient of the output (N,Ca+Cb,H,W)
     * @return {dA (N,Ca,H,W), dB (N,Cb,H,W)}
     */
    public INDArray[] backward(INDArray dY) {
        if (outShape == null) {
            throw new IllegalStateException("Concat.backward called before forward");
        }
        Shapes.require("Concat output gradient dY", "(N,Ca+Cb,H,W)", dY, outShape);
        INDArray dA = dY.get(NDArrayIndex.all(), NDArrayIndex.interval(0, channelsA)).dup('c');
        INDArray dB = dY.get(NDArrayIndex.all(), NDArrayIndex.interval(channelsA, outShape[1])).dup('c');
        return new INDArray[] {dA, dB};
    }
}
