package org.segmentation.nn.layers;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;

/**
 * Channel concatenation of two tensors, PyTorch's {@code torch.cat([a, b], dim=1)}. Sample i of the output is
 * a's sample i followed by b's, so each input is copied as N contiguous runs ({@link Scalars#copyRuns}) straight
 * into the one output buffer. Nothing is cached: the inputs may be freed as soon as forward returns.
 */
public final class Concat {
    // cache for backward
    private long channelsA;
    private long[] outShape; // (N, Ca+Cb, H, W)

    /**
     * @param a (N,Ca,H,W)
     * @param b (N,Cb,H,W)
     * @return (N,Ca+Cb,H,W), a new detached array
     */
    public INDArray forward(INDArray a, INDArray b) {
        Shapes.require("Concat input a", "(N,C,H,W)", a, Shapes.ANY, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        Shapes.require("Concat input b", "(N,C,H,W)", b, a.size(0), Shapes.ANY, a.size(2), a.size(3));
        Shapes.requireType("Concat input b", b, a.dataType());
        long n = a.size(0), ca = a.size(1), cb = b.size(1), plane = a.size(2) * a.size(3);
        INDArray y = bufferWithA(a, cb);
        try (MemoryWorkspace ws = Memory.scratch()) {
            Scalars.copyRuns(Scalars.contiguous(b), 0, cb * plane, y, ca * plane, (ca + cb) * plane, n, cb * plane);
        }
        return y;
    }

    /**
     * The concatenation's buffer with {@code a} copied into its first channels, the rest left for the caller to
     * write in place through {@link #second}: a layer that produces b can then write it there directly
     * ({@link ConvTranspose2x2#forward(INDArray, INDArray)}) instead of into an array that {@link #forward} would
     * copy. Backward is the same as after {@link #forward}.
     *
     * @param a (N,Ca,H,W)
     * @param channelsB Cb, at least 1
     * @return (N,Ca+Cb,H,W), a new detached array whose channels Ca.. are uninitialised
     */
    public INDArray withFirst(INDArray a, long channelsB) {
        Shapes.require("Concat input a", "(N,C,H,W)", a, Shapes.ANY, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        if (channelsB < 1) {
            throw new IllegalArgumentException("Concat: expected at least one channel after a, got " + channelsB);
        }
        return bufferWithA(a, channelsB);
    }

    /** The (N,Ca+Cb,H,W) output buffer with a copied into its first Ca channels; records the shapes for backward. */
    private INDArray bufferWithA(INDArray a, long channelsB) {
        long n = a.size(0), ca = a.size(1), plane = a.size(2) * a.size(3);
        INDArray y = Memory.detached(a.dataType(), n, ca + channelsB, a.size(2), a.size(3));
        try (MemoryWorkspace ws = Memory.scratch()) {
            Scalars.copyRuns(Scalars.contiguous(a), 0, ca * plane, y, 0, (ca + channelsB) * plane, n, ca * plane);
        }
        channelsA = ca;
        outShape = y.shape();
        return y;
    }

    /** Channels Ca.. of a buffer from {@link #withFirst}, as an (N,Cb,H,W) view. */
    public INDArray second(INDArray cat) {
        if (outShape == null || !java.util.Arrays.equals(cat.shape(), outShape)) {
            throw new IllegalStateException("Concat.second needs the buffer of the last withFirst");
        }
        return cat.get(NDArrayIndex.all(), NDArrayIndex.interval(channelsA, outShape[1]));
    }

    /**
     * The gradient of a (the skip in a U-Net) usually outlives dY, that of b is usually consumed at once: so dA is
     * a compact copy and dB a view of dY, valid while dY is.
     *
     * @param dY gradient of the output (N,Ca+Cb,H,W)
     * @return {dA (N,Ca,H,W) a new detached array, dB (N,Cb,H,W) a view of dY}
     */
    public INDArray[] backward(INDArray dY) {
        if (outShape == null) {
            throw new IllegalStateException("Concat.backward called before forward");
        }
        Shapes.require("Concat output gradient dY", "(N,Ca+Cb,H,W)", dY, outShape);
        long n = outShape[0], c = outShape[1], plane = outShape[2] * outShape[3];
        INDArray dA = Memory.detached(dY.dataType(), n, channelsA, outShape[2], outShape[3]);
        try (MemoryWorkspace ws = Memory.scratch()) {
            Scalars.copyRuns(Scalars.contiguous(dY), 0, c * plane, dA, 0, channelsA * plane, n, channelsA * plane);
        }
        INDArray dB = dY.get(NDArrayIndex.all(), NDArrayIndex.interval(channelsA, c));
        return new INDArray[] {dA, dB};
    }
}
