package org.segmentation.nn.param;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class ParameterBufferTest {

    @Test
    void parametersAreViewsIntoOneBufferEach() {
        ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.FLOAT);
        Parameter w = b.add("w", new long[] {2, 3}, Init.constant(1.5));
        Parameter bias = b.add("b", new long[] {4}, Init.constant(-2));
        ParameterBuffer buf = b.build();

        assertEquals(10, buf.length());
        assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f, -2, -2, -2, -2},
                buf.values().toFloatVector());
        // writes through a view land in the flat buffer and the other way round
        w.value().putScalar(new long[] {1, 2}, 7.0);
        assertEquals(7.0, buf.values().getDouble(5), 0.0);
        buf.gradients().putScalar(7, 3.0);
        assertEquals(3.0, bias.grad().getDouble(1), 0.0);
        w.grad().addi(1.0); // six ones plus the 3 above
        assertEquals(9.0, buf.gradients().sumNumber().doubleValue(), 0.0);
        buf.zeroGradients();
        assertEquals(0.0, bias.grad().amaxNumber().doubleValue(), 0.0);
        assertEquals(0.0, w.grad().amaxNumber().doubleValue(), 0.0);
    }

    @Test
    void rejectsDuplicatesBadShapesAndUseBeforeBuild() {
        ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.DOUBLE);
        Parameter p = b.add("a", new long[] {2}, Init.constant(0));
        assertThrows(IllegalArgumentException.class, () -> b.add("a", new long[] {2}, Init.constant(0)));
        assertThrows(IllegalArgumentException.class, () -> b.add("z", new long[] {0, 2}, Init.constant(0)));
        assertThrows(IllegalStateException.class, p::value);
        INDArray v = b.build().values();
        assertEquals(2, v.length());
        assertThrows(IllegalArgumentException.class, () -> ParameterBuffer.builder(DataType.INT));
    }
}
