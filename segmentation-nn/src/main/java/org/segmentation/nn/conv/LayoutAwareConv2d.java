package org.segmentation.nn.conv;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link Conv2dAlgorithm} whose passes read and write the {@link PhasedLayout} themselves: it implements the
 * three passes with a layout flag per tensor, and the standard-layout passes are those with every flag false.
 */
abstract class LayoutAwareConv2d implements Conv2dAlgorithm {
    @Override
    public final void forward(INDArray x, INDArray w, INDArray b, INDArray y) {
        forward(x, false, w, b, y, false, false);
    }

    @Override
    public final void forwardRelu(INDArray x, INDArray w, INDArray b, INDArray y) {
        forward(x, false, w, b, y, false, true);
    }

    @Override
    public final void backwardData(INDArray dY, INDArray w, INDArray dX) {
        backwardData(dY, false, w, dX, false);
    }

    @Override
    public final void backwardWeights(INDArray x, INDArray dY, INDArray dW, INDArray dB) {
        backwardWeights(x, false, dY, false, dW, dB);
    }

    @Override
    public abstract void forward(INDArray x, boolean xPhased, INDArray w, INDArray b, INDArray y, boolean yPhased,
            boolean relu);

    @Override
    public abstract void backwardData(INDArray dY, boolean dYPhased, INDArray w, INDArray dX, boolean dXPhased);

    @Override
    public abstract void backwardWeights(INDArray x, boolean xPhased, INDArray dY, boolean dYPhased, INDArray dW,
            INDArray dB);
}
