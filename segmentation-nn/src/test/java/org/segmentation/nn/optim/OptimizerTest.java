package org.segmentation.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.segmentation.nn.param.Init;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;

/** Hand-computed steps on a two-element buffer; schedules in closed form; clipping. */
class OptimizerTest {

    private static ParameterBuffer buffer(double a, double b) {
        ParameterBuffer.Builder bb = ParameterBuffer.builder(DataType.DOUBLE);
        Parameter p = bb.add("p", new long[] {2}, Init.constant(0));
        ParameterBuffer buf = bb.build();
        p.value().putScalar(0, a);
        p.value().putScalar(1, b);
        return buf;
    }

    @Test
    void sgdMomentumAndNesterovByHand() {
        ParameterBuffer buf = buffer(1.0, -2.0);
        Sgd sgd = new Sgd(buf, 0.1, 0.5, false, 0.0);
        buf.gradients().assign(1.0);
        sgd.step(); // v = 1, p -= 0.1
        sgd.step(); // v = 1.5, p -= 0.15
        assertArrayEquals(new double[] {0.75, -2.25}, buf.values().toDoubleVector(), 1e-15);

        ParameterBuffer nb = buffer(1.0, -2.0);
        Sgd nesterov = new Sgd(nb, 0.1, 0.5, true, 0.1);
        nb.gradients().assign(1.0);
        nesterov.step(); // d = 1 + 0.1·p = (1.1, 0.8); v = d; d += 0.5·v → (1.65, 1.2)
        assertArrayEquals(new double[] {1 - 0.165, -2 - 0.12}, nb.values().toDoubleVector(), 1e-15);
    }

    @Test
    void adamFirstStepIsLearningRateTimesSign() {
        // at t = 1 the bias corrections make m̂ = g and v̂ = g², so the step is lr·g/(|g| + ε)
        ParameterBuffer buf = buffer(1.0, 1.0);
        Adam adam = Adam.adam(buf, 0.01, 0.9, 0.999, 1e-8, 0.0);
        buf.gradients().putScalar(0, 3.0);
        buf.gradients().putScalar(1, -0.002);
        adam.step();
        assertEquals(1 - 0.01 * 3 / (3 + 1e-8), buf.values().getDouble(0), 1e-15);
        assertEquals(1 + 0.01 * 0.002 / (0.002 + 1e-8), buf.values().getDouble(1), 1e-15);
        assertEquals(1, adam.steps());
        // AdamW with zero gradient only shrinks: p·(1 − lr·λ)
        ParameterBuffer w = buffer(2.0, -4.0);
        Adam.adamW(w, 0.1, 0.9, 0.999, 1e-8, 0.5).step();
        assertArrayEquals(new double[] {2 * 0.95, -4 * 0.95}, w.values().toDoubleVector(), 1e-15);
    }

    /** A buffer of n parameters of type dt holding values[i], with gradients grads[i]. */
    private static ParameterBuffer filled(DataType dt, double[] values, double[] grads) {
        ParameterBuffer.Builder bb = ParameterBuffer.builder(dt);
        bb.add("p", new long[] {values.length}, Init.constant(0));
        ParameterBuffer buf = bb.build();
        buf.values().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(values).castTo(dt));
        buf.gradients().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(grads).castTo(dt));
        return buf;
    }

    @Test
    void adamsFusedFloat32StepFollowsTheFloat64Ops() {
        // float32 buffers take the one-pass loop on the CPU backend, float64 ones the ND4J ops: over 20 steps with
        // changing gradients, both weight decays, 10000 elements (three chunks, split over the threads), they must
        // agree to float32 rounding. Each step's update is at most lr = 0.01 and rounds at ~1e-7 of |p| ≤ 3, so
        // 20 steps stay within 2e-5 absolute; a wrong term (bias correction, ε, decay) is off by 1e-3 or more.
        java.util.Random rng = new java.util.Random(11);
        int n = 10_000;
        for (boolean decoupled : new boolean[] {false, true}) {
            double[] p0 = new double[n];
            for (int i = 0; i < n; i++) {
                p0[i] = rng.nextGaussian();
            }
            ParameterBuffer f = filled(DataType.FLOAT, p0, new double[n]);
            ParameterBuffer d = filled(DataType.DOUBLE, p0, new double[n]);
            Adam af = decoupled ? Adam.adamW(f, 0.01, 0.9, 0.999, 1e-8, 0.05) : Adam.adam(f, 0.01, 0.9, 0.999, 1e-8, 0.05);
            Adam ad = decoupled ? Adam.adamW(d, 0.01, 0.9, 0.999, 1e-8, 0.05) : Adam.adam(d, 0.01, 0.9, 0.999, 1e-8, 0.05);
            for (int step = 0; step < 20; step++) {
                double[] g = new double[n];
                for (int i = 0; i < n; i++) {
                    g[i] = rng.nextGaussian() * (i % 7 == 0 ? 1e-4 : 1);
                }
                // the float32 run sees the gradient rounded to float32, as its own backward pass would give it
                f.gradients().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(g).castTo(DataType.FLOAT));
                d.gradients().assign(f.gradients().castTo(DataType.DOUBLE));
                af.step();
                ad.step();
            }
            assertArrayEquals(d.values().toDoubleVector(), f.values().castTo(DataType.DOUBLE).toDoubleVector(), 2e-5,
                    decoupled ? "AdamW" : "Adam");
        }
    }

    @Test
    void clippingScalesOnlyAboveTheLimit() {
        ParameterBuffer buf = buffer(0, 0);
        buf.gradients().putScalar(0, 3.0);
        buf.gradients().putScalar(1, 4.0);
        assertEquals(5.0, GradientClipping.clipByNorm(buf, 10.0), 1e-15);
        assertArrayEquals(new double[] {3, 4}, buf.gradients().toDoubleVector(), 0.0);
        assertEquals(5.0, GradientClipping.clipByNorm(buf, 1.0), 1e-15);
        assertEquals(1.0, buf.gradients().norm2Number().doubleValue(), 1e-6);
    }

    @Test
    void schedules() {
        LearningRateSchedule step = LearningRateSchedule.step(0.1, 3, 0.5);
        assertEquals(0.1, step.rate(2), 1e-15);
        assertEquals(0.05, step.rate(3), 1e-15);
        assertEquals(0.025, step.rate(7), 1e-15);
        LearningRateSchedule poly = LearningRateSchedule.poly(0.1, 10, 0.9);
        assertEquals(0.1, poly.rate(0), 1e-15);
        assertEquals(0.1 * Math.pow(0.5, 0.9), poly.rate(5), 1e-15);
        assertEquals(0.0, poly.rate(10), 0.0);
        LearningRateSchedule cos = LearningRateSchedule.cosine(0.1, 10, 0.001);
        assertEquals(0.1, cos.rate(0), 1e-15);
        assertEquals(0.0505, cos.rate(5), 1e-15);
        assertEquals(0.001, cos.rate(10), 1e-15);
        LearningRateSchedule warm = LearningRateSchedule.linearWarmup(poly, 4, 0.2);
        assertEquals(0.02, warm.rate(0), 1e-15);
        assertEquals(poly.rate(2) * 0.6, warm.rate(2), 1e-15);
        assertEquals(poly.rate(4), warm.rate(4), 0.0);
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.step(0.1, 0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(buffer(0, 0), -1, 0, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(buffer(0, 0), 0.1, 0, true, 0));
    }
}
