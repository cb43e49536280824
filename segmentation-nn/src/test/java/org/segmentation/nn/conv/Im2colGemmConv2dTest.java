package org.segmentation.nn.conv;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class Im2colGemmConv2dTest {

    static INDArray random(Random rng, DataType dt, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
        }
        return Nd4j.create(v, shape, 'c').castTo(dt);
    }

    /** max |a-b| / max(max|b|, 1e-12): error relative to the scale of the reference. */
    static double relError(INDArray a, INDArray b) {
        double diff = a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        double scale = Math.max(b.castTo(DataType.DOUBLE).amaxNumber().doubleValue(), 1e-12);
        return diff / scale;
    }

    @Test
    void matchesNd4jConv2dAndConv2dBpOnRandomShapes() {
        check(Im2colGemmConv2d::new);
    }

    @Test
    void shiftedGemmMatchesNd4jConv2dAndConv2dBpOnRandomShapes() {
        check(ShiftedGemmConv2d::new);
    }

    @Test
    void shiftedGemmWithColumnsInChunksMatchesNd4j() {
        // chunks of one sample, and of two (a partial last chunk when N = 3)
        check(() -> new ShiftedGemmConv2d(1));
        check(() -> new ShiftedGemmConv2d(2 * 5 * 25 * 11 * 11));
    }

    static void check(java.util.function.Supplier<Conv2dAlgorithm> algorithm) {
        Random rng = new Random(7);
        for (int trial = 0; trial < 12; trial++) {
            int k = new int[] {1, 3, 5}[trial % 3];
            int n = 1 + rng.nextInt(3);
            int c = 1 + rng.nextInt(5);
            int kOut = 1 + rng.nextInt(5);
            int h = 1 + rng.nextInt(9);
            int w = 1 + rng.nextInt(9);
            DataType dt = trial % 2 == 0 ? DataType.FLOAT : DataType.DOUBLE;
            // float32 sums of up to C·k·k = 125 products of unit Gaussians: a relative error well below
            // 1e-5 of the output scale is expected from rounding alone; double agrees to ~1e-14.
            double tol = dt == DataType.FLOAT ? 1e-5 : 1e-12;
            INDArray x = random(rng, dt, n, c, h, w);
            INDArray wt = random(rng, dt, kOut, c, k, k);
            INDArray b = random(rng, dt, kOut);
            INDArray dY = random(rng, dt, n, kOut, h, w);

            Conv2dAlgorithm conv = algorithm.get();
            INDArray y = Nd4j.create(dt, n, kOut, h, w);
            conv.forward(x, wt, b, y);
            INDArray dX = Nd4j.create(dt, n, c, h, w);
            conv.backwardData(dY, wt, dX);
            INDArray dW = Nd4j.create(dt, kOut, c, k, k);
            INDArray dB = Nd4j.create(dt, kOut);
            conv.backwardWeights(x, dY, dW, dB);

            INDArray yRef = Nd4jConvOracle.conv2d(x, wt, b);
            INDArray[] ref = Nd4jConvOracle.conv2dBp(x, wt, b, dY);
            String shape = "trial " + trial + " N=" + n + " C=" + c + " K=" + kOut + " H=" + h + " W=" + w + " k=" + k
                    + " " + dt;
            assertTrue(relError(y, yRef) < tol, shape + " forward " + relError(y, yRef));
            assertTrue(relError(dX, ref[0]) < tol, shape + " dX " + relError(dX, ref[0]));
            assertTrue(relError(dW, ref[1]) < tol, shape + " dW " + relError(dW, ref[1]));
            assertTrue(relError(dB, ref[2]) < tol, shape + " dB " + relError(dB, ref[2]));
        }
    }
}
