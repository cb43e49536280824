package org.segmentation.bench.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.infra.Blackhole;
import org.segmentation.bench.conv.Conv2dBenchmark;

/** The neural benchmark methods run on tiny shapes and give finite results. */
class UNetBenchmarkTest {
    @Test
    void trainStepAndInferenceRunAndAreFinite() {
        UNetBenchmark b = tinyPrepared();
        double first = b.trainStep();
        double second = b.trainStep();
        assertTrue(Double.isFinite(first) && Double.isFinite(second), first + " " + second);
        assertTrue(first > 0 && first < 3, "cross-entropy of 3 classes near ln 3 at the start: " + first);
        INDArray logits = b.inference();
        assertArrayEquals(new long[] {2, 3, 16, 16}, logits.shape());
        assertTrue(Double.isFinite(logits.sumNumber().doubleValue()));
        assertTrue(logits.amaxNumber().doubleValue() > 0, "not all zero");
    }

    @Test
    void theSetupsWarmUpTrainsTheBenchmarksModel() {
        UNetBenchmark b = tinyPrepared();
        double first = b.trainStep();
        // 40 steps of 2 images of 16² take well under the 30 s cap, so the count is the limit
        assertEquals(UNetBenchmark.WARM_CALLS, b.warmUp(true));
        double after = b.trainStep();
        // Adam at 1e-3 on one fixed batch: 41 steps bring the loss well below the first (about 1.1)
        assertTrue(after < 0.8 * first, "loss after the warm-up " + after + ", first " + first);
        assertTrue(b.warmUp(false) > 0, "inference warm-up");
    }

    /** The tiny U-Net on a batch of 2 images of 16², prepared without the setup's warm-up. */
    private static UNetBenchmark tinyPrepared() {
        UNetBenchmark b = new UNetBenchmark();
        b.arch = "tiny";
        b.batch = 2;
        b.size = 16;
        b.prepare();
        return b;
    }

    @Test
    void convStepRunsOnTheSmokeShape() {
        Conv2dBenchmark b = new Conv2dBenchmark();
        b.n = 1;
        b.cin = 8;
        b.channels = 8;
        b.size = 16;
        b.kernel = 3;
        b.setUp();
        b.freshAlgorithm();
        Blackhole bh = new Blackhole(
                "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
        b.step(bh);
        b.freshAlgorithm();
        INDArray y = b.forward();
        b.freshAlgorithm();
        INDArray dW = b.backwardWeights();
        assertTrue(dW.amaxNumber().doubleValue() > 0, "backward-weights without a forward first");
        assertEquals(8 * 16 * 16, y.length());
        assertTrue(Double.isFinite(y.sumNumber().doubleValue()));
        bh.evaporate("Yes, I am Stephen Hawking, and know a thing or two about black holes.");
    }
}
