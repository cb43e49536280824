package org.segmentation.nn.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.layers.BatchNorm2d;
import org.segmentation.nn.layers.Conv2d;
import org.segmentation.nn.layers.Dropout;
import org.segmentation.nn.layers.Relu;
import org.segmentation.nn.model.SegmentationModel;
import org.segmentation.nn.param.ParameterBuffer;

/** conv3x3 → BN → ReLU → dropout → conv3x3: the smallest model with parameters, buffers and randomness. */
public final class TinyNet implements SegmentationModel {
    private final int in;
    private final int out;
    private final ParameterBuffer params;
    private final Conv2d conv1;
    private final BatchNorm2d bn;
    private final Relu relu = new Relu();
    private final Dropout dropout;
    private final Conv2d conv2;

    /**
     * @param initSeed seed of the weight initialisation
     * @param dropoutP dropout probability between the two convolutions
     */
    public TinyNet(int in, int hidden, int out, double dropoutP, long initSeed) {
        this.in = in;
        this.out = out;
        Random rng = new Random(initSeed);
        ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.FLOAT);
        conv1 = new Conv2d(b, "conv1", in, hidden, 3, rng);
        bn = new BatchNorm2d(b, "bn", hidden);
        conv2 = new Conv2d(b, "conv2", hidden, out, 3, rng);
        params = b.build();
        dropout = new Dropout(dropoutP, initSeed);
    }

    @Override
    public int inputChannels() {
        return in;
    }

    @Override
    public int outputChannels() {
        return out;
    }

    @Override
    public int sizeMultiple() {
        return 1;
    }

    @Override
    public ParameterBuffer parameters() {
        return params;
    }

    @Override
    public Map<String, INDArray> buffers() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("bn.running_mean", bn.runningMean());
        m.put("bn.running_var", bn.runningVar());
        return m;
    }

    @Override
    public void reseed(long seed) {
        dropout.reseed(seed);
    }

    @Override
    public void setTraining(boolean training) {
        bn.setTraining(training);
        dropout.setTraining(training);
    }

    @Override
    public INDArray forward(INDArray x) {                          // (N,C,H,W)
        return conv2.forward(dropout.forward(relu.forward(bn.forward(conv1.forward(x))))); // (N,K,H,W)
    }

    @Override
    public void backward(INDArray dLogits) {
        conv1.backward(bn.backward(relu.backward(dropout.backward(conv2.backward(dLogits)))));
    }
}
