package org.segmentation.nn.layers;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Shapes;

/**
 * max(x, 0), elementwise; any shape. The gradient at exactly 0 is taken as 0, as in PyTorch. Backward needs only
 * the output's sign (y &gt; 0 exactly where x &gt; 0), so the input may be overwritten: {@code forward(x, x)} is
 * PyTorch's {@code ReLU(inplace=True)}. The cache is a reference to the output, which the caller keeps unmodified
 * until {@link #backward}.
 */
public final class Relu {
    // cache for backward
    private INDArray y; // same shape as the input, owned by the caller

    /** @return max(x, 0), a new detached array */
    public INDArray forward(INDArray x) {
        return forward(x, null);
    }

    /**
     * @param x input, any shape
     * @param out receives max(x, 0): x itself (in place), or null for a new detached array
     * @return out
     */
    public INDArray forward(INDArray x, INDArray out) {
        if (out == null) {
            out = Memory.detached(x.dataType(), x.shape());
        } else {
            Shapes.requireSameShape("Relu output", x, out);
        }
        Nd4j.getExecutioner().exec(new RectifiedLinear(x, out));
        y = out;
        return y;
    }

    /**
     * Drops the reference to the output.
     *
     * @return dY where y &gt; 0, else 0: a new detached array
     */
    public INDArray backward(INDArray dY) {
        if (y == null) {
            throw new IllegalStateException("Relu.backward called before forward");
        }
        Shapes.requireSameShape("Relu output gradient dY", y, dY);
        INDArray dX = Memory.detached(dY.dataType(), dY.shape());
        try (MemoryWorkspace ws = Memory.scratch()) {
            // step(y)·dY: two ND4J ops; dY.mul(y.gt(0).castTo(...)) was three
            dX.assign(Transforms.step(y, true)).muli(dY);
        }
        y = null;
        return dX;
    }
}
