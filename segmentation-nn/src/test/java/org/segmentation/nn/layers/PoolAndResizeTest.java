package org.segmentation.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.testutil.GradCheck;

/**
 * {@link MaxPool2d} and {@link NearestUpsample} on hand-computed cases (ties, padding, PyTorch's nearest rows) and
 * against finite differences. Both also run inside ResNetFpnTest's comparison with torchvision (the 3×3/2 stem
 * pool, the FPN's 1×1/2 extra level and its 2× and non-2× resizes).
 */
class PoolAndResizeTest {

    @Test
    void maxPoolWindowsPaddingAndTies() {
        // 3x3 stride 2 padding 1 on a 4x4 plane: windows rows/cols {-1..1} and {1..3}
        INDArray x = Nd4j.create(new double[] {
            1, 5, 2, 0,
            3, 5, 4, 4,
            0, 1, 7, 2,
            6, 2, 2, 9}, new long[] {1, 1, 4, 4}, 'c');
        MaxPool2d pool = new MaxPool2d(3, 2, 1);
        INDArray y = pool.forward(x);
        assertArrayEquals(new double[] {5, 5, 6, 9}, y.reshape(4).toDoubleVector(), 0);
        INDArray dX = pool.backward(Nd4j.create(new double[] {1, 10, 100, 1000}, new long[] {1, 1, 2, 2}, 'c'));
        // windows (0,0) and (0,1) each hold the 5s at (0,1) and (1,1): the first in row-major order, (0,1), takes
        // both gradients, which add up
        double[] expected = new double[16];
        expected[1] = 11;
        expected[12] = 100;
        expected[15] = 1000;
        assertArrayEquals(expected, dX.reshape(16).toDoubleVector(), 0);
        // 1x1 stride 2: every other pixel
        assertArrayEquals(new double[] {1, 2, 0, 7}, new MaxPool2d(1, 2, 0).forward(x).reshape(4).toDoubleVector(), 0);
    }

    @Test
    void nearestRowsFollowPyTorch() {
        // F.interpolate(size=...) mode="nearest": floor(i * in/out) in float32
        int[] rows13to25 = new int[25];
        for (int i = 0; i < 25; i++) {
            rows13to25[i] = NearestUpsample.source(i, 13, 25);
        }
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12},
                rows13to25);
        assertEquals(2, NearestUpsample.source(5, 4, 7));   // 5·4/7 = 2.86
        INDArray x = Nd4j.create(new double[] {1, 2, 3, 4}, new long[] {1, 1, 2, 2}, 'c');
        INDArray y = new NearestUpsample().forward(x, 3, 4);
        assertArrayEquals(new double[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4}, y.reshape(12).toDoubleVector(), 0);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Random rng = new Random(2);
        INDArray x = GradCheck.gaussian(rng, DataType.DOUBLE, 2, 3, 7, 6);
        MaxPool2d pool = new MaxPool2d(3, 2, 1);
        INDArray r = GradCheck.gaussian(rng, DataType.DOUBLE, pool.forward(x).shape());
        INDArray dX = pool.backward(r);
        double err = GradCheck.maxRelativeError(() -> GradCheck.dot(new MaxPool2d(3, 2, 1).forward(x), r), x, dX);
        assertTrue(err < GradCheck.TOLERANCE, "max pool " + err);
        NearestUpsample up = new NearestUpsample();
        INDArray r2 = GradCheck.gaussian(rng, DataType.DOUBLE, 2, 3, 13, 11);
        up.forward(x, 13, 11);
        INDArray dX2 = up.backward(r2);
        double err2 = GradCheck.maxRelativeError(() -> GradCheck.dot(new NearestUpsample().forward(x, 13, 11), r2), x,
                dX2);
        assertTrue(err2 < GradCheck.TOLERANCE, "nearest " + err2);
    }

    @Test
    void badArgumentsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MaxPool2d(3, 2, 2));
        assertTrue(e.getMessage().contains("padding 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new NearestUpsample().forward(Nd4j.zeros(DataType.FLOAT, 1, 1, 2, 2), 0, 3));
        assertTrue(e.getMessage().contains("0x3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new MaxPool2d(5, 1, 0).forward(Nd4j.zeros(DataType.FLOAT, 1, 1, 3, 3)));
        assertTrue(e.getMessage().contains("smaller than the 5x5 window"), e.getMessage());
    }
}
