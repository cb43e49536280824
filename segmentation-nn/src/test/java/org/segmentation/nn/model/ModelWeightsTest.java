package org.segmentation.nn.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.Tensor;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.layers.BatchNorm2d;
import org.segmentation.nn.layers.Conv2d;
import org.segmentation.nn.param.ParameterBuffer;

class ModelWeightsTest {
    /** conv -> BN, just enough to have parameters and buffers. */
    static final class Tiny implements SegmentationModel {
        final ParameterBuffer params;
        final Conv2d conv;
        final BatchNorm2d bn;

        Tiny(long seed, int channels) {
            ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.FLOAT);
            conv = new Conv2d(b, "conv", 2, channels, 3, new Random(seed));
            bn = new BatchNorm2d(b, "bn", channels);
            params = b.build();
        }

        @Override
        public int inputChannels() {
            return 2;
        }

        @Override
        public int outputChannels() {
            return (int) conv.weight().shape()[0];
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
        public void setTraining(boolean training) {
            bn.setTraining(training);
        }

        @Override
        public INDArray forward(INDArray x) {
            return bn.forward(conv.forward(x));
        }

        @Override
        public void backward(INDArray dLogits) {
            conv.backward(bn.backward(dLogits));
        }
    }

    @Test
    void roundTripCopiesParametersAndBuffers() throws Exception {
        Tiny a = new Tiny(1, 3);
        a.bn.runningMean().assign(0.25);
        TensorFile file = ModelWeights.toTensors(a);
        assertEquals(6, file.tensors().size());
        assertTrue(file.get("conv.weight").hasShape(3, 2, 3, 3));
        Tiny b = new Tiny(2, 3);
        ModelWeights.load(b, file);
        assertEquals(a.params.values(), b.params.values());
        assertEquals(0.25, b.bn.runningMean().getDouble(1), 0.0);
    }

    @Test
    void mismatchesAreNamedAndLeaveTheModelUnchanged() {
        Tiny a = new Tiny(1, 3);
        Tiny other = new Tiny(3, 4);
        INDArray before = a.params.values().dup();
        // conv.bias comes before bn.* in the file, so a partial load would already have changed the model.
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelWeights.load(a, ModelWeights.toTensors(other)));
        assertEquals("conv.weight", e.tensor());
        assertTrue(e.getMessage().contains("[4, 2, 3, 3]"), e.getMessage());
        assertEquals(before, a.params.values());

        TensorFile extra = TensorFile.builder().put("decoder.weight", Tensor.f32(new float[1], 1)).build();
        e = assertThrows(ModelFormatException.class, () -> ModelWeights.load(a, extra));
        assertEquals("decoder.weight", e.tensor());

        Map<String, Tensor> missing = new LinkedHashMap<>(ModelWeights.toTensors(a).tensors());
        missing.remove("bn.running_var");
        e = assertThrows(ModelFormatException.class,
                () -> ModelWeights.load(a, new TensorFile(missing, Map.of())));
        assertEquals("bn.running_var", e.tensor());

        Map<String, Tensor> wrongType = new LinkedHashMap<>(ModelWeights.toTensors(a).tensors());
        wrongType.put("bn.weight", Tensor.f64(new double[3], 3));
        e = assertThrows(ModelFormatException.class,
                () -> ModelWeights.load(a, new TensorFile(wrongType, Map.of())));
        assertTrue(e.getMessage().contains("F64"), e.getMessage());
        assertEquals(before, a.params.values());
    }

    @Test
    void pytorchBatchCountersAreIgnored() throws Exception {
        Tiny a = new Tiny(1, 3);
        Map<String, Tensor> withCounter = new LinkedHashMap<>(ModelWeights.toTensors(a).tensors());
        withCounter.put("bn.num_batches_tracked", Tensor.i64(new long[] {7}));
        ModelWeights.load(new Tiny(5, 3), new TensorFile(withCounter, Map.of()));
    }
}
