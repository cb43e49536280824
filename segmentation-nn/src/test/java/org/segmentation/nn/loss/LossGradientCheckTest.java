package org.segmentation.nn.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.segmentation.nn.testutil.GradCheck.TOLERANCE;
import static org.segmentation.nn.testutil.GradCheck.gaussian;
import static org.segmentation.nn.testutil.GradCheck.maxRelativeError;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.nn.ParallelRanges;

/** Finite-difference checks (double, GradCheck's tolerance) of every loss, plus small exact values. */
class LossGradientCheckTest {
    private static final DataType D = DataType.DOUBLE;
    private static final int IGNORE = 255;
    private static final IgnoreLabel IGNORED = IgnoreLabel.of(IGNORE);

    /** Labels in [0,k), about a fifth of them replaced by IGNORE when {@code withIgnore}. */
    private static INDArray labels(Random rng, long n, long h, long w, int k, boolean withIgnore) {
        double[] v = new double[(int) (n * h * w)];
        for (int i = 0; i < v.length; i++) {
            v[i] = withIgnore && rng.nextInt(5) == 0 ? IGNORE : rng.nextInt(k);
        }
        return Nd4j.create(v, new long[] {n, h, w}, 'c').castTo(DataType.INT32);
    }

    private static void check(String what, Loss loss, Random rng, boolean withIgnore) {
        for (int trial = 0; trial < 3; trial++) {
            long n = trial == 0 ? 1 : 2; // batch 1, then 2
            int k = 2 + rng.nextInt(3);
            long h = 1 + rng.nextInt(3);
            long w = 2 + rng.nextInt(3);
            INDArray logits = gaussian(rng, D, n, k, h, w).muli(2);
            INDArray y = labels(rng, n, h, w, k, withIgnore);
            LossResult r = loss.compute(logits, y);
            double err = maxRelativeError(() -> loss.compute(logits, y).loss(), logits, r.dLogits());
            assertTrue(err < TOLERANCE, what + " trial " + trial + " relative error " + err);
        }
    }

    @Test
    void crossEntropyPlainWeightedAndIgnoring() {
        Random rng = new Random(11);
        check("CE", new SoftmaxCrossEntropy(), rng, false);
        // weights for up to 4 classes; only the first k are used, so build per k
        for (int k = 2; k <= 4; k++) {
            double[] wts = new double[k];
            for (int i = 0; i < k; i++) {
                wts[i] = 0.5 + i;
            }
            Loss ce = new SoftmaxCrossEntropy(wts, IGNORED);
            INDArray logits = gaussian(rng, D, 2, k, 3, 5);
            INDArray y = labels(rng, 2, 3, 5, k, true);
            LossResult r = ce.compute(logits, y);
            double err = maxRelativeError(() -> ce.compute(logits, y).loss(), logits, r.dLogits());
            assertTrue(err < TOLERANCE, "weighted CE k=" + k + " relative error " + err);
        }
        check("CE ignoring", new SoftmaxCrossEntropy(null, IGNORED), rng, true);
    }

    @Test
    void diceFocalBceAndCombined() {
        Random rng = new Random(12);
        check("Dice", new SoftDice(), rng, false);
        check("Dice ignoring", new SoftDice(0.5, IGNORED), rng, true);
        check("Focal γ=2", new FocalLoss(0.25, 2.0, IGNORED), rng, true);
        check("Focal γ=0.5", new FocalLoss(1.0, 0.5, IgnoreLabel.NONE), rng, false);
        check("CE+Dice", new CeDiceLoss(new SoftmaxCrossEntropy(null, IGNORED), 0.7, new SoftDice(1.0, IGNORED), 0.3),
                rng, true);
        Loss bce = new SigmoidBinaryCrossEntropy();
        INDArray z = gaussian(rng, D, 2, 1, 3, 5).muli(3);
        INDArray t = Nd4j.rand(D, 2, 1, 3, 5);
        double err = maxRelativeError(() -> bce.compute(z, t).loss(), z, bce.compute(z, t).dLogits());
        assertTrue(err < TOLERANCE, "BCE relative error " + err);
    }

    @Test
    void crossEntropyFloatLoopsMatchTheGradientCheckedDoublePath() {
        // float32 on the CPU backend runs a loop per pixel; float64 runs the ND4J ops checked above. The same logits
        // and labels (weights and ignored pixels included) must give the same loss and gradient up to float32
        // rounding: log-softmax of logits of size ~4 rounds to about 1e-6, so 1e-5 of the loss and of the largest
        // gradient leaves a margin of 10, far below a wrong term (order 1/pixels and more).
        Random rng = new Random(21);
        double[] weights = {0.5, 2, 1, 3};
        for (boolean weightedIgnoring : new boolean[] {false, true}) {
            Loss ce = weightedIgnoring ? new SoftmaxCrossEntropy(weights, IGNORED) : new SoftmaxCrossEntropy();
            INDArray logits = gaussian(rng, D, 3, 4, 5, 7).muli(2);
            INDArray y = labels(rng, 3, 5, 7, 4, weightedIgnoring);
            LossResult d = ce.compute(logits, y);
            LossResult f = ce.compute(logits.castTo(DataType.FLOAT), y);
            assertEquals(d.loss(), f.loss(), 1e-5 * d.loss());
            double scale = d.dLogits().amaxNumber().doubleValue();
            double diff = d.dLogits().sub(f.dLogits().castTo(D)).amaxNumber().doubleValue();
            assertTrue(diff < 1e-5 * scale, "largest gradient difference " + diff + " of " + scale);
        }
        // the loop's label check reports like the ND4J path's
        for (DataType t : new DataType[] {DataType.FLOAT, D}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SoftmaxCrossEntropy(
                    null, IgnoreLabel.of(7)).compute(Nd4j.zeros(t, 2, 3, 4, 4), Nd4j.zeros(DataType.INT32, 2, 4, 4)
                    .addi(3)));
            assertTrue(e.getMessage().contains("[0, 3)") && e.getMessage().contains("7")
                    && e.getMessage().contains("[3.0, 3.0]"), e.getMessage());
        }
    }

    @Test
    void crossEntropyLoopsGiveTheSameBitsOnAnyNumberOfThreads() {
        // the float32 loop splits the pixels over threads in fixed chunks and sums the chunks' losses in order:
        // 3 × 50 × 60 = 9,000 pixels make three chunks of 4,096 or fewer
        Random rng = new Random(22);
        INDArray logits = gaussian(rng, DataType.FLOAT, 3, 4, 50, 60).muli(2);
        INDArray y = labels(rng, 3, 50, 60, 4, false);
        Loss ce = new SoftmaxCrossEntropy();
        LossResult one = ParallelRanges.callWithThreads(1, () -> ce.compute(logits, y));
        for (int threads : new int[] {2, 3}) {
            LossResult many = ParallelRanges.callWithThreads(threads, () -> ce.compute(logits, y));
            assertEquals(one.loss(), many.loss(), 0.0, threads + " threads");
            assertArrayEquals(one.dLogits().data().asFloat(), many.dLogits().data().asFloat(), threads + " threads");
        }
    }

    @Test
    void exactValues() {
        // equal logits: every class has p = 1/K, so CE = log K and focal(γ=2) = (1 − 1/K)²·log K
        INDArray flat = Nd4j.zeros(D, 1, 4, 2, 3);
        INDArray y = labels(new Random(1), 1, 2, 3, 4, false);
        assertEquals(Math.log(4), new SoftmaxCrossEntropy().compute(flat, y).loss(), 1e-12);
        assertEquals(0.5625 * Math.log(4), new FocalLoss(1, 2, IgnoreLabel.NONE).compute(flat, y).loss(), 1e-12);
        // BCE at z = 0 is log 2 whatever the target
        assertEquals(Math.log(2), new SigmoidBinaryCrossEntropy().compute(Nd4j.zeros(D, 1, 1, 2, 2),
                Nd4j.rand(D, 1, 1, 2, 2)).loss(), 1e-12);
        // BCE stays finite for large logits (no overflow of exp): z = ±800, t = 1
        INDArray big = Nd4j.create(new double[] {800, -800}, new long[] {1, 1, 1, 2}, 'c');
        assertEquals(400.0, new SigmoidBinaryCrossEntropy().compute(big, Nd4j.ones(D, 1, 1, 1, 2)).loss(), 1e-9);
        // Dice with hard, correct probabilities: every class present gives D_k = 1; smoothing s = 1:
        // a class absent from both prediction and target gives (0+1)/(0+0+1) = 1, so the loss is ~0
        INDArray sure = Nd4j.zeros(D, 1, 3, 1, 2);
        sure.putScalar(new long[] {0, 0, 0, 0}, 60);
        sure.putScalar(new long[] {0, 2, 0, 1}, 60);
        INDArray yy = Nd4j.create(new double[] {0, 2}, new long[] {1, 1, 2}, 'c');
        assertEquals(0.0, new SoftDice().compute(sure, yy).loss(), 1e-12);
        // weighted CE with one class ignored entirely equals the CE of the kept pixels
        INDArray logits = gaussian(new Random(3), D, 1, 2, 1, 2);
        INDArray ign = Nd4j.create(new double[] {1, IGNORE}, new long[] {1, 1, 2}, 'c');
        double lp1 = logits.getDouble(0, 1, 0, 0)
                - Math.log(Math.exp(logits.getDouble(0, 0, 0, 0)) + Math.exp(logits.getDouble(0, 1, 0, 0)));
        assertEquals(-lp1, new SoftmaxCrossEntropy(new double[] {2, 3}, IGNORED).compute(logits, ign).loss(), 1e-12);
        // all ignored: zero loss and gradient
        LossResult none = new SoftmaxCrossEntropy(null, IGNORED).compute(logits,
                Nd4j.create(new double[] {IGNORE, IGNORE}, new long[] {1, 1, 2}, 'c'));
        assertEquals(0.0, none.loss(), 0.0);
        assertEquals(0.0, none.dLogits().amaxNumber().doubleValue(), 0.0);
    }

    @Test
    void badInputAndNonFiniteLoss() {
        INDArray logits = Nd4j.zeros(D, 2, 3, 4, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SoftmaxCrossEntropy().compute(logits, Nd4j.zeros(DataType.INT32, 2, 4, 5)));
        assertTrue(e.getMessage().contains("[2, 4, 4]") && e.getMessage().contains("[2, 4, 5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new SoftDice().compute(logits, Nd4j.zeros(DataType.INT32, 2, 4, 4).addi(3)));
        assertThrows(IllegalArgumentException.class,
                () -> new SoftmaxCrossEntropy(new double[] {1, 2}, IgnoreLabel.NONE)
                        .compute(logits, Nd4j.zeros(DataType.INT32, 2, 4, 4)));
        IllegalArgumentException inRange = assertThrows(IllegalArgumentException.class, () -> new SoftmaxCrossEntropy(
                null, IgnoreLabel.of(2)).compute(logits, Nd4j.zeros(DataType.INT32, 2, 4, 4)));
        assertTrue(inRange.getMessage().contains("ignore label 2"), inRange.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SigmoidBinaryCrossEntropy().compute(
                Nd4j.zeros(D, 1, 1, 2, 2), Nd4j.ones(D, 1, 1, 2, 2).muli(2)));
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> Loss.requireFinite(Double.NaN, 17));
        assertTrue(s.getMessage().contains("NaN") && s.getMessage().contains("step 17"), s.getMessage());
        assertThrows(IllegalStateException.class, () -> Loss.requireFinite(Double.POSITIVE_INFINITY, 3));
        assertEquals(1.5, Loss.requireFinite(1.5, 1), 0.0);
    }
}
