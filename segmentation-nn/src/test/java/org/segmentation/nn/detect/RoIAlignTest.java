package org.segmentation.nn.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.testutil.Golden;
import org.segmentation.nn.testutil.GradCheck;

/**
 * RoIAlign, the level mapper and the multi-scale pooler against torchvision 0.14's {@code roi_align},
 * {@code LevelMapper} and {@code MultiScaleRoIAlign} (goldens from src/test/python/make_detect_golden.py), and the
 * backward pass against finite differences.
 *
 * <p>Tolerances, relative to each tensor's largest magnitude: float64 against torchvision's float64 run, 1e-12
 * (the same sums in a different order: a few ulps). float32 against torchvision's float32 run, 1e-4 as issue 13
 * asks; the two differ only by float32 rounding of sample coordinates and of sums of at most a few hundred terms
 * (measured below 1e-6). The level indices must be equal.
 */
class RoIAlignTest {
    static final Golden G = BoxesTest.G;
    private static final java.util.Map<String, Double> WORST = new java.util.concurrent.ConcurrentHashMap<>();

    @org.junit.jupiter.api.AfterAll
    static void report() {
        org.slf4j.LoggerFactory.getLogger(RoIAlignTest.class).info("largest relative errors: {}",
                new java.util.TreeMap<>(WORST));
    }

    static void record(String what, double err) {
        WORST.merge(what, err, Math::max);
    }

    @ParameterizedTest
    @CsvSource({"plain,sr2,false,2", "plain,adaptive,false,-1", "aligned,sr2,true,2", "aligned,adaptive,true,-1"})
    void forwardAndBackwardEqualTorchvision(String mode, String sampling, boolean aligned, int ratio) {
        double[] boxes = BoxesTest.d("roi.boxes");
        int[] batch = BoxesTest.i("roi.batch");
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            String tag = "roi." + mode + "." + sampling + "." + (dt == DataType.DOUBLE ? "f64" : "f32");
            double tol = dt == DataType.DOUBLE ? 1e-12 : 1e-4;
            RoIAlign pool = new RoIAlign(3, 4, 0.5, ratio, aligned);
            INDArray y = pool.forward(G.get("roi.x", dt), boxes, batch);
            double errY = Golden.relError(y, G.get(tag + ".out", dt));
            INDArray dX = pool.backward(G.get("roi.r", dt));
            double errG = Golden.relError(dX, G.get(tag + ".grad", dt));
            record("torchvision " + dt + " forward", errY);
            record("torchvision " + dt + " backward", errG);
            assertTrue(errY < tol, tag + " output relative error " + errY);
            assertTrue(errG < tol, tag + " gradient relative error " + errG);
        }
    }

    @ParameterizedTest
    @CsvSource({"false,2", "false,0", "true,2", "true,-1"})
    void backwardMatchesFiniteDifferences(boolean aligned, int ratio) {
        Random rng = new Random(5);
        INDArray x = GradCheck.gaussian(rng, DataType.DOUBLE, 2, 2, 6, 7);
        // edge-crossing, inside and tiny boxes, at scale 0.5 on a 12x14 image
        double[] boxes = {-3, -2, 6.5, 5.2, 3.1, 2.7, 11.3, 9.9, 8.2, 1.5, 16, 13, 4.4, 4.6, 4.9, 5.0};
        int[] batch = {0, 1, 1, 0};
        RoIAlign pool = new RoIAlign(2, 3, 0.5, ratio, aligned);
        INDArray r = GradCheck.gaussian(rng, DataType.DOUBLE, 4, 2, 2, 3);
        pool.forward(x, boxes, batch);
        INDArray dX = pool.backward(r);
        double err = GradCheck.maxRelativeError(
                () -> GradCheck.dot(new RoIAlign(2, 3, 0.5, ratio, aligned).forward(x, boxes, batch), r), x, dX);
        record("finite differences", err);
        assertTrue(err < GradCheck.TOLERANCE, "relative error " + err);
    }

    @Test
    void oneThreadAndAllThreadsGiveTheSameBits() {
        // the channels are split over the threads; each channel's planes keep the regions' order, so float32
        // results, whose sums round at every step of the backward scatter, must not depend on the thread count
        Random rng = new Random(11);
        INDArray x = GradCheck.gaussian(rng, DataType.FLOAT, 2, 7, 9, 11);
        double[] boxes = {-3, -2, 6.5, 5.2, 3.1, 2.7, 11.3, 9.9, 8.2, 1.5, 16, 13, 4.4, 4.6, 4.9, 5.0, 0, 0, 20, 17};
        int[] batch = {0, 1, 1, 0, 0};
        INDArray dY = GradCheck.gaussian(rng, DataType.FLOAT, 5, 7, 3, 3);
        INDArray[] one = ParallelRanges.callWithThreads(1, () -> pass(x, boxes, batch, dY));
        INDArray[] all = ParallelRanges.callWithThreads(Math.max(2, ParallelRanges.THREADS),
                () -> pass(x, boxes, batch, dY));
        assertArrayEquals(one[0].ravel().toFloatVector(), all[0].ravel().toFloatVector());
        assertArrayEquals(one[1].ravel().toFloatVector(), all[1].ravel().toFloatVector());
    }

    private static INDArray[] pass(INDArray x, double[] boxes, int[] batch, INDArray dY) {
        RoIAlign pool = new RoIAlign(3, 3, 0.5, 2, false);
        INDArray y = pool.forward(x, boxes, batch);
        return new INDArray[] {y, pool.backward(dY)};
    }

    @Test
    void oneCellBoxesSampleTheCellExactly() {
        // aligned: the box [2, 3] x [1, 2] in pixels covers cell (1, 2) of the map, centred on it; its one bin's
        // single sample sits at the cell centre minus 0.5, i.e. exactly on the value x[1][2]
        INDArray x = Nd4j.arange(20).castTo(DataType.DOUBLE).reshape(1, 1, 4, 5);
        RoIAlign aligned = new RoIAlign(1, 1, 1.0, 1, true);
        assertEquals(7.0, aligned.forward(x, new double[] {2, 1, 3, 2}, new int[] {0}).getDouble(0), 0);
        // not aligned: the same box samples at (1.5, 2.5), the mean of cells 7, 8, 12, 13
        RoIAlign plain = new RoIAlign(1, 1, 1.0, 1, false);
        assertEquals(10.0, plain.forward(x, new double[] {2, 1, 3, 2}, new int[] {0}).getDouble(0), 0);
        // a box entirely more than one cell outside the map pools to 0
        assertEquals(0.0, plain.forward(x, new double[] {10, 10, 12, 12}, new int[] {0}).getDouble(0), 0);
    }

    @Test
    void levelMapperEqualsTorchvision() {
        assertArrayEquals(BoxesTest.i("levels.out"), new LevelMapper(2, 5).levels(BoxesTest.d("levels.boxes")));
        // 56, 112, 224 and 448 pixels map to levels 2, 3, 4 and 5 exactly
        int[] l = new LevelMapper(2, 5).levels(new double[] {0, 0, 56, 56, 0, 0, 112, 112, 0, 0, 224, 224, 0, 0,
            448, 448});
        assertArrayEquals(new int[] {0, 1, 2, 3}, l);
        LevelMapper m = LevelMapper.forScales(new double[] {0.25, 0.125, 0.0625, 0.03125});
        assertEquals(2, m.kMin());
        assertEquals(5, m.kMax());
        assertEquals(0.25, LevelMapper.inferScale(50, 200), 0);
        assertEquals(0.125, LevelMapper.inferScale(13, 100), 0);   // 0.13 rounds to 1/8
    }

    @Test
    void multiScaleEqualsTorchvision() {
        INDArray[] feats = new INDArray[4];
        for (int l = 0; l < 4; l++) {
            feats[l] = G.get("msroi.x" + l, DataType.DOUBLE);
        }
        MultiScaleRoIAlign pool = new MultiScaleRoIAlign(7, 7, 2, false);
        double[] boxes = BoxesTest.d("msroi.boxes");
        INDArray y = pool.forward(feats, boxes, new int[boxes.length / 4], 256);
        int[] levels = pool.lastLevels();
        java.util.Set<Integer> used = new java.util.HashSet<>();
        for (int l : levels) {
            used.add(l);
        }
        assertTrue(used.size() >= 3, "the boxes should reach at least three levels, got " + used);
        double err = Golden.relError(y, G.get("msroi.out", DataType.DOUBLE));
        record("multi-scale forward", err);
        assertTrue(err < 1e-12, "output relative error " + err);
        INDArray[] dX = pool.backward(G.get("msroi.r", DataType.DOUBLE));
        for (int l = 0; l < 4; l++) {
            double e = Golden.relError(dX[l], G.get("msroi.grad" + l, DataType.DOUBLE));
            record("multi-scale backward", e);
            assertTrue(e < 1e-12, "level " + l + " gradient relative error " + e);
        }
    }

    @Test
    void badInputIsRejectedWithTheReason() {
        INDArray x = Nd4j.zeros(DataType.FLOAT, 2, 1, 4, 4);
        RoIAlign pool = new RoIAlign(2, 2, 1, 2, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pool.forward(x, new double[] {0, 0, 1, 1}, new int[] {2}));
        assertTrue(e.getMessage().contains("image 2 of a batch of 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> pool.forward(x, new double[] {0, 0, 1, Double.NaN}, new int[] {0}));
        assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> pool.forward(Nd4j.zeros(DataType.FLOAT, 1, 4, 4), new double[] {0, 0, 1, 1}, new int[] {0}));
        assertTrue(e.getMessage().contains("(N,C,H,W)"), e.getMessage());
        pool.forward(x, new double[] {0, 0, 1, 1}, new int[] {0});
        e = assertThrows(IllegalArgumentException.class, () -> pool.backward(Nd4j.zeros(DataType.FLOAT, 1, 1, 3, 2)));
        assertTrue(e.getMessage().contains("(K,C,outH,outW)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RoIAlign(0, 2, 1, 2, false));
        e = assertThrows(IllegalArgumentException.class,
                () -> new MultiScaleRoIAlign(7, 7, 2, false).forward(new INDArray[] {x, Nd4j.zeros(DataType.FLOAT, 2, 1,
                    1, 1)}, new double[] {0, 0, 1, 1}, new int[] {0}, 4));
        assertTrue(e.getMessage().contains("span"), e.getMessage());
    }
}
