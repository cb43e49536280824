package org.segmentation.nn.conv;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's conv2d / conv2d_bp behind the algorithm interface, for profiling only: backward-data runs the whole
 * conv2d_bp (both gradients), backward-weights does nothing.
 */
final class Nd4jAsAlgorithm implements Conv2dAlgorithm {
    @Override
    public void forward(INDArray x, INDArray w, INDArray b, INDArray y) {
        y.assign(Nd4jConvOracle.conv2d(x, w, b));
    }

    @Override
    public void backwardData(INDArray dY, INDArray w, INDArray dX) {
        dX.assign(Nd4jConvOracle.conv2dBp(dX.like(), w, Nd4j.zeros(w.dataType(), w.size(0)), dY)[0]);
    }

    @Override
    public void backwardWeights(INDArray x, INDArray dY, INDArray dW, INDArray dB) {
    }
}
