package org.segmentation.nn.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Scalars;
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
            out = Memory.detachedCopy(x);
        } else if (out != x) {
            Shapes.requireSameShape("Relu output", x, out);
            out.assign(x);
        }
        y = Transforms.relu(out, false);
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
        INDArray dX = Memory.detachedCopy(dY);
        Scalars ys = Scalars.of(Scalars.contiguous(y));
        Scalars d = Scalars.of(dX);
        for (int i = 0, len = Math.toIntExact(dX.length()); i < len; i++) {
            if (!(ys.get(i) > 0)) {
                d.set(i, 0);
            }
        }
        y = null;
        return dX;
    }
}
