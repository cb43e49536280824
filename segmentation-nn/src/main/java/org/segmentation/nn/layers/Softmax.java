package org.segmentation.nn.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Shapes;

/** Softmax over the channel axis of (N,C,H,W) logits: class probabilities per pixel. */
public final class Softmax {
    // cache for backward
    private INDArray y; // (N,C,H,W)

    /**
     * @param x logits (N,C,H,W)
     * @return probabilities (N,C,H,W), summing to 1 over C
     */
    public INDArray forward(INDArray x) {
        Shapes.require("Softmax input x", "(N,C,H,W)", x, Shapes.ANY, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        y = apply(x);
        return y;
    }

    /**
     * @param dY gradient of the probabilities (N,C,H,W)
     * @return gradient of the logits: y·(dY − Σ_c dY·y)
     */
    public INDArray backward(INDArray dY) {
        if (y == null) {
            throw new IllegalStateException("Softmax.backward called before forward");
        }
        Shapes.requireSameShape("Softmax output gradient dY", y, dY);
        INDArray dot = dY.mul(y).sum(1);                                            // (N,H,W)
        INDArray dX = Broadcast.sub(dY, dot, Nd4j.createUninitialized(dY.dataType(), dY.shape()), 0, 2, 3);
        return dX.muli(y);
    }

    /** Softmax over axis 1 of (N,C,H,W), without caching. */
    public static INDArray apply(INDArray x) {
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.shape());
        Nd4j.exec(new SoftMax(x, out, 1));
        return out;
    }
}
