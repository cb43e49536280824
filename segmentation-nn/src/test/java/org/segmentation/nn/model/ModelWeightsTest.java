package org.segmentation.nn.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.train.TinyNet;

/** ModelWeights on the trainer tests' TinyNet (conv1, bn, conv2: parameters and batch-norm buffers). */
class ModelWeightsTest {

    @Test
    void roundTripCopiesParametersAndBuffers() throws Exception {
        TinyNet a = new TinyNet(2, 3, 2, 0, 1);
        a.buffers().get("bn.running_mean").assign(0.25);
        TensorFile file = ModelWeights.toTensors(a);
        assertEquals(8, file.tensors().size());
        assertTrue(file.get("conv1.weight").hasShape(3, 2, 3, 3));
        TinyNet b = new TinyNet(2, 3, 2, 0, 2);
        ModelWeights.load(b, file);
        assertEquals(a.parameters().values(), b.parameters().values());
        assertEquals(0.25, b.buffers().get("bn.running_mean").getDouble(1), 0.0);
    }

    @Test
    void mismatchesAreNamedAndLeaveTheModelUnchanged() {
        TinyNet a = new TinyNet(2, 3, 2, 0, 1);
        TinyNet other = new TinyNet(2, 4, 2, 0, 3);
        INDArray before = a.parameters().values().dup();
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelWeights.load(a, ModelWeights.toTensors(other)));
        assertEquals("conv1.weight", e.tensor());
        assertTrue(e.getMessage().contains("[4, 2, 3, 3]"), e.getMessage());
        assertEquals(before, a.parameters().values());

        TensorFile extra = TensorFile.builder().put("decoder.weight", Tensor.f32(new float[1], 1)).build();
        e = assertThrows(ModelFormatException.class, () -> ModelWeights.load(a, extra));
        assertEquals("decoder.weight", e.tensor());

        Map<String, Tensor> missing = new LinkedHashMap<>(ModelWeights.toTensors(a).tensors());
        missing.remove("bn.running_var");
        e = assertThrows(ModelFormatException.class,
                () -> ModelWeights.load(a, new TensorFile(missing, Map.of())));
        assertEquals("bn.running_var", e.tensor());

        // A wrong dtype late in the file: conv1 and bn would already be written by a loader that wrote as it
        // checked, so the unchanged values show that nothing is written before everything is checked.
        Map<String, Tensor> wrongType = new LinkedHashMap<>(ModelWeights.toTensors(new TinyNet(2, 3, 2, 0, 9))
                .tensors());
        wrongType.put("conv2.bias", Tensor.f64(new double[2], 2));
        e = assertThrows(ModelFormatException.class,
                () -> ModelWeights.load(a, new TensorFile(wrongType, Map.of())));
        assertTrue(e.getMessage().contains("F64"), e.getMessage());
        assertEquals(before, a.parameters().values());
    }

    @Test
    void pytorchBatchCountersAreIgnored() throws Exception {
        TinyNet a = new TinyNet(2, 3, 2, 0, 1);
        Map<String, Tensor> withCounter = new LinkedHashMap<>(ModelWeights.toTensors(a).tensors());
        withCounter.put("bn.num_batches_tracked", Tensor.i64(new long[] {7}));
        TinyNet b = new TinyNet(2, 3, 2, 0, 5);
        ModelWeights.load(b, new TensorFile(withCounter, Map.of()));
        assertEquals(a.parameters().values(), b.parameters().values());
    }
}
