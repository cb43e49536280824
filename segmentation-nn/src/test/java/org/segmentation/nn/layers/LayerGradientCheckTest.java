package org.segmentation.nn.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.segmentation.nn.testutil.GradCheck.TOLERANCE;
import static org.segmentation.nn.testutil.GradCheck.dot;
import static org.segmentation.nn.testutil.GradCheck.gaussian;
import static org.segmentation.nn.testutil.GradCheck.maxRelativeError;

import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * Finite-difference checks (double precision, see GradCheck for the tolerance) of every layer's input and
 * parameter gradients, on random shapes that include odd sizes and batch 1. The scalar is Σ y·r for a fixed
 * random r, so the output gradient is r.
 */
class LayerGradientCheckTest {
    private static final DataType D = DataType.DOUBLE;

    /** Random (N,C,H,W) with N in 1..2 (trial 0 always N=1), C in 1..3 and H,W in 2..5. */
    private static long[] shape(Random rng, int trial, int channels) {
        return new long[] {trial == 0 ? 1 : 1 + rng.nextInt(2), channels, 2 + rng.nextInt(4), 2 + rng.nextInt(4)};
    }

    private static void checkLayer(String what, INDArray x, UnaryOperator<INDArray> forward,
            UnaryOperator<INDArray> backward, ParameterBuffer params) {
        INDArray y = forward.apply(x);
        INDArray r = gaussian(new Random(99), D, y.shape());
        if (params != null) {
            params.zeroGradients();
        }
        INDArray dX = backward.apply(r);
        double errX = maxRelativeError(() -> dot(forward.apply(x), r), x, dX);
        assertTrue(errX < TOLERANCE, what + " dX relative error " + errX);
        if (params != null) {
            for (Parameter p : params.parameters()) {
                INDArray analytic = p.grad().dup();
                double errP = maxRelativeError(() -> dot(forward.apply(x), r), p.value(), analytic);
                assertTrue(errP < TOLERANCE, what + " d" + p.name() + " relative error " + errP);
            }
        }
    }

    @Test
    void conv2d() {
        Random rng = new Random(1);
        for (int trial = 0; trial < 4; trial++) {
            int k = trial == 1 ? 1 : (trial == 3 ? 5 : 3);
            long[] s = shape(rng, trial, 1 + rng.nextInt(3));
            ParameterBuffer.Builder b = ParameterBuffer.builder(D);
            Conv2d conv = new Conv2d(b, "conv", (int) s[1], 1 + rng.nextInt(3), k, rng);
            ParameterBuffer params = b.build();
            checkLayer("Conv2d k=" + k + " " + java.util.Arrays.toString(s), gaussian(rng, D, s), conv::forward,
                    conv::backward, params);
        }
    }

    @Test
    void relu() {
        Random rng = new Random(2);
        Relu relu = new Relu();
        for (int trial = 0; trial < 3; trial++) {
            checkLayer("Relu", gaussian(rng, D, shape(rng, trial, 1 + rng.nextInt(3))), relu::forward,
                    relu::backward, null);
        }
    }

    @Test
    void batchNormTrainingAndEvaluation() {
        Random rng = new Random(3);
        for (int trial = 0; trial < 8; trial++) {
            long[] s = shape(rng, trial % 4, 1 + rng.nextInt(3));
            ParameterBuffer.Builder b = ParameterBuffer.builder(D);
            BatchNorm2d bn = new BatchNorm2d(b, "bn", (int) s[1], trial % 3 == 0);   // some with the fused ReLU
            // in float64 batch norm runs the ND4J ops (its float32 loops are checked against this path in
            // LayerBehaviourTest)
            ParameterBuffer params = b.build();
            // non-trivial gamma and beta so that their gradients are exercised away from the identity
            params.values().assign(gaussian(rng, D, params.length()));
            bn.setTraining(trial % 2 == 0);
            if (trial % 2 == 1) {
                bn.runningMean().assign(gaussian(rng, D, s[1]));
                bn.runningVar().assign(gaussian(rng, D, s[1]).mul(0.3).addi(1.0));
            }
            checkLayer("BatchNorm2d training=" + (trial % 2 == 0) + " relu=" + bn.relu() + " "
                    + java.util.Arrays.toString(s),
                    gaussian(rng, D, s).mul(2).add(0.5), bn::forward, bn::backward, params);
        }
    }

    @Test
    void maxPoolIncludingOddSizes() {
        Random rng = new Random(4);
        for (MaxPool2x2 pool : new MaxPool2x2[] {new MaxPool2x2(), new MaxPool2x2().useNd4jOps()}) {
            for (int trial = 0; trial < 4; trial++) {
                checkLayer("MaxPool2x2", gaussian(rng, D, shape(rng, trial, 1 + rng.nextInt(3))), pool::forward,
                        pool::backward, null);
            }
        }
    }

    @Test
    void convTranspose() {
        Random rng = new Random(5);
        for (int trial = 0; trial < 6; trial++) {
            long[] s = shape(rng, trial % 3, 1 + rng.nextInt(3));
            ParameterBuffer.Builder b = ParameterBuffer.builder(D);
            ConvTranspose2x2 up = new ConvTranspose2x2(b, "up", (int) s[1], 1 + rng.nextInt(3), rng);
            if (trial >= 3) {
                up.useNd4jOps();
            }
            ParameterBuffer params = b.build();
            checkLayer("ConvTranspose2x2", gaussian(rng, D, s), up::forward, up::backward, params);
        }
    }

    @Test
    void bilinearUpsample() {
        Random rng = new Random(6);
        BilinearUpsample2x up = new BilinearUpsample2x();
        for (int trial = 0; trial < 3; trial++) {
            long[] s = shape(rng, trial, 1 + rng.nextInt(3));
            if (trial == 2) {
                s[2] = 1; // a single row: both taps clamp to it
            }
            checkLayer("BilinearUpsample2x", gaussian(rng, D, s), up::forward, up::backward, null);
        }
    }

    @Test
    void softmax() {
        Random rng = new Random(7);
        Softmax sm = new Softmax();
        for (int trial = 0; trial < 3; trial++) {
            checkLayer("Softmax", gaussian(rng, D, shape(rng, trial, 1 + rng.nextInt(4))), sm::forward,
                    sm::backward, null);
        }
    }

    @Test
    void concatBothInputs() {
        Random rng = new Random(8);
        for (int trial = 0; trial < 3; trial++) {
            long[] sa = shape(rng, trial, 1 + rng.nextInt(3));
            long[] sb = sa.clone();
            sb[1] = 1 + rng.nextInt(3);
            INDArray a = gaussian(rng, D, sa);
            INDArray bIn = gaussian(rng, D, sb);
            Concat cat = new Concat();
            checkLayer("Concat a", a, x -> cat.forward(x, bIn), dY -> cat.backward(dY)[0], null);
            checkLayer("Concat b", bIn, x -> cat.forward(a, x), dY -> cat.backward(dY)[1], null);
        }
    }
}
