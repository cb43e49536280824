package org.segmentation.nn.testutil;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The checker itself: it must pass a right gradient and fail a slightly wrong one. */
class GradCheckTest {
    @Test
    void acceptsRightAndRejectsWrongGradient() {
        INDArray x = Nd4j.create(new double[] {0.3, -1.2, 2.0});
        // L = Σ x³, dL/dx = 3x²
        INDArray right = x.mul(x).mul(3);
        assertTrue(GradCheck.maxRelativeError(() -> x.mul(x).mul(x).sumNumber().doubleValue(), x, right)
                < GradCheck.TOLERANCE);
        INDArray wrong = right.dup();
        wrong.putScalar(1, wrong.getDouble(1) * 1.001);
        assertTrue(GradCheck.maxRelativeError(() -> x.mul(x).mul(x).sumNumber().doubleValue(), x, wrong)
                > 100 * GradCheck.TOLERANCE);
    }

    @Test
    void refusesFloat() {
        INDArray x = Nd4j.create(DataType.FLOAT, 2);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> GradCheck.maxRelativeError(() -> 0, x, x));
    }
}
