package org.segmentation.nn.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.core.segment.Baselines;
import org.segmentation.core.segment.Segmenter;
import org.segmentation.nn.data.InMemoryDataset;
import org.segmentation.nn.data.Sample;
import org.segmentation.nn.data.SegmentationDataset;

class EvaluatorTest {
    /*
     * Expected values below are worked out by hand from the 4x2 label arrays; they are ratios of small integers,
     * so a tolerance of 1e-12 only absorbs the rounding of one division and a few additions.
     */
    private static final double EPS = 1e-12;
    private static final EvaluationConfig NO_WARMUP = new EvaluationConfig(0, 1.0);

    private static final int[] TRUTH0 = {0, 0, 1, 1, 0, 0, 1, 1};
    private static final int[] PRED0 = {0, 1, 1, 1, 0, 0, 1, 1};
    private static final int[] TRUTH1 = {2, 2, 2, 2, 0, 0, 0, 0};
    private static final int[] PRED1 = {2, 2, 0, 0, 0, 0, 0, 0};

    private static LabelMap labels(int... v) {
        return LabelMap.wrap(v.clone(), 4, 2);
    }

    private static SegmentationDataset twoImages() {
        return new InMemoryDataset(List.of(new Sample(new PlanarF32(1, 4, 2), labels(TRUTH0)),
                new Sample(new PlanarF32(1, 4, 2), labels(TRUTH1))), 3);
    }

    /** Returns the fixed prediction of each image, looked up by the evaluator's id "#index". */
    private static Segmenter fixed(String name, Segmenter.Output output, Map<String, int[]> byId) {
        return Segmenter.of(name, output, in -> labels(byId.get(in.id())));
    }

    @Test
    void classScoresPoolTheConfusionMatrixOverImages() {
        Segmenter s = fixed("fixed", Segmenter.Output.CLASSES, Map.of("#0", PRED0, "#1", PRED1));
        EvaluationReport report = new Evaluator(NO_WARMUP).evaluate("hand", twoImages(), List.of(s));
        AlgorithmResult r = report.algorithms().get(0);

        // Image 0: class 0 TP 3 FN 1; class 1 TP 4 FP 1; class 2 absent (NaN, left out of the mean).
        ImageResult i0 = r.images().get(0);
        assertEquals((3.0 / 4 + 4.0 / 5) / 2, i0.get(Metric.MEAN_IOU), EPS);
        assertEquals((6.0 / 7 + 8.0 / 9) / 2, i0.get(Metric.DICE), EPS);
        assertEquals(7.0 / 8, i0.get(Metric.PIXEL_ACCURACY), EPS);
        // Foreground (class != 0): 4 true pixels inside 5 predicted ones.
        assertEquals(4.0 / 5, i0.get(Metric.FOREGROUND_IOU), EPS);
        // Image 1: class 0 TP 4 FP 2; class 2 TP 2 FN 2.
        ImageResult i1 = r.images().get(1);
        assertEquals((4.0 / 6 + 2.0 / 4) / 2, i1.get(Metric.MEAN_IOU), EPS);
        assertEquals(6.0 / 8, i1.get(Metric.PIXEL_ACCURACY), EPS);

        // Pooled: class 0 TP 7 FP 2 FN 1, class 1 TP 4 FP 1, class 2 TP 2 FN 2. This differs from the mean of
        // the per-image values (0.679...), which is the point of pooling.
        assertArrayEquals(new double[] {7.0 / 10, 4.0 / 5, 2.0 / 4}, r.perClassIoU(), EPS);
        assertEquals((0.7 + 0.8 + 0.5) / 3, r.get(Metric.MEAN_IOU), EPS);
        assertEquals((14.0 / 17 + 8.0 / 9 + 4.0 / 6) / 3, r.get(Metric.DICE), EPS);
        assertEquals(13.0 / 16, r.get(Metric.PIXEL_ACCURACY), EPS);
        assertEquals(6.0 / 9, r.get(Metric.FOREGROUND_IOU), EPS);
        // Boundary F1 is a mean over images, and instance scores do not apply to class maps.
        assertEquals((i0.get(Metric.BOUNDARY_F1) + i1.get(Metric.BOUNDARY_F1)) / 2, r.get(Metric.BOUNDARY_F1),
                EPS);
        assertFalse(r.aggregate().containsKey(Metric.AP50));
        assertEquals(2, report.imageCount());
        assertEquals(4, report.width());
        assertEquals(2, report.height());
    }

    @Test
    void perfectPredictionScoresOneEverywhere() {
        Segmenter s = fixed("oracle", Segmenter.Output.CLASSES, Map.of("#0", TRUTH0, "#1", TRUTH1));
        AlgorithmResult r = new Evaluator(NO_WARMUP).evaluate("hand", twoImages(), List.of(s)).algorithms().get(0);
        for (Metric m : List.of(Metric.MEAN_IOU, Metric.DICE, Metric.PIXEL_ACCURACY, Metric.FOREGROUND_IOU,
                Metric.BOUNDARY_F1)) {
            assertEquals(1.0, r.get(m), EPS, m.key());
        }
    }

    @Test
    void foregroundOutputIsScoredAsBackgroundVersusAnyOtherLabel() {
        // Same foreground as PRED0/PRED1 but with an arbitrary label 7: only "not 0" matters.
        int[] p0 = {0, 7, 7, 7, 0, 0, 7, 7};
        int[] p1 = {7, 7, 0, 0, 0, 0, 0, 0};
        Segmenter s = fixed("fg", Segmenter.Output.FOREGROUND, Map.of("#0", p0, "#1", p1));
        AlgorithmResult r = new Evaluator(NO_WARMUP).evaluate("hand", twoImages(), List.of(s)).algorithms().get(0);
        // Pooled background: 7 common pixels, union 10; foreground: 6 common, union 9.
        assertArrayEquals(new double[] {7.0 / 10, 6.0 / 9}, r.perClassIoU(), EPS);
        assertEquals((7.0 / 10 + 6.0 / 9) / 2, r.get(Metric.MEAN_IOU), EPS);
        assertEquals(13.0 / 16, r.get(Metric.PIXEL_ACCURACY), EPS);
        assertEquals(6.0 / 9, r.get(Metric.FOREGROUND_IOU), EPS);
        assertFalse(r.aggregate().containsKey(Metric.AP50), "no instance labels in this dataset");
    }

    @Test
    void instanceOutputIsMatchedAgainstInstanceLabels() {
        // Two true objects, A (4 px) and B (2 px).
        int[] instances = {1, 1, 0, 2, 1, 1, 0, 2};
        int[] classes = {1, 1, 0, 1, 1, 1, 0, 1};
        SegmentationDataset data = new InMemoryDataset(List.of(
                new Sample(new PlanarF32(1, 4, 2), labels(classes), labels(instances))), 2);
        // Renumbered ids: a perfect answer.
        Segmenter renumbered = fixed("renumbered", Segmenter.Output.INSTANCES,
                Map.of("#0", new int[] {5, 5, 0, 9, 5, 5, 0, 9}));
        // One object over A, B and the gap: IoU with A = 4/8 matches at 0.5 (inclusive), B is missed.
        Segmenter merged = fixed("merged", Segmenter.Output.INSTANCES,
                Map.of("#0", new int[] {3, 3, 3, 3, 3, 3, 3, 3}));
        EvaluationReport report = new Evaluator(NO_WARMUP).evaluate("inst", data, List.of(renumbered, merged));

        AlgorithmResult good = report.algorithms().get(0);
        assertEquals(1.0, good.get(Metric.AP50), EPS);
        assertEquals(1.0, good.get(Metric.INSTANCE_F1), EPS);
        assertEquals(1.0, good.get(Metric.MATCHED_IOU), EPS);
        assertEquals(1.0, good.get(Metric.MEAN_AP), EPS);
        assertEquals(0.0, good.get(Metric.ADAPTED_RAND_ERROR), EPS);
        assertEquals(0.0, good.get(Metric.VOI), EPS);

        AlgorithmResult bad = report.algorithms().get(1);
        // TP 1, FP 0, FN 1.
        assertEquals(1.0 / 2, bad.get(Metric.AP50), EPS);
        assertEquals(2.0 / 3, bad.get(Metric.INSTANCE_F1), EPS);
        assertEquals(4.0 / 8, bad.get(Metric.MATCHED_IOU), EPS);
        assertTrue(bad.get(Metric.VOI) > 0.5, "merging two objects costs information");
        // Foreground scores: 6 true foreground pixels inside 8 predicted.
        assertEquals(6.0 / 8, bad.get(Metric.FOREGROUND_IOU), EPS);
        assertEquals(6.0 / 8, bad.get(Metric.PIXEL_ACCURACY), EPS);
    }

    @Test
    void ignoredPixelsAreLeftOutOfTheConfusionMatrices() {
        int[] truth = {0, 0, 1, 9, 0, 0, 1, 9};
        int[] pred = {0, 0, 1, 0, 0, 0, 1, 0};
        SegmentationDataset data = new InMemoryDataset(List.of(new Sample(new PlanarF32(1, 4, 2),
                labels(truth))), 2, IgnoreLabel.of(9));
        Segmenter classes = fixed("c", Segmenter.Output.CLASSES, Map.of("#0", pred));
        Segmenter fg = fixed("f", Segmenter.Output.FOREGROUND, Map.of("#0", pred));
        EvaluationReport report = new Evaluator(NO_WARMUP).evaluate("ignore", data, List.of(classes, fg));
        for (AlgorithmResult r : report.algorithms()) {
            // Wrong only on the two ignored pixels.
            assertEquals(1.0, r.get(Metric.MEAN_IOU), EPS, r.algorithm());
            assertEquals(1.0, r.get(Metric.PIXEL_ACCURACY), EPS, r.algorithm());
            assertEquals(1.0, r.get(Metric.FOREGROUND_IOU), EPS, r.algorithm());
        }
    }

    @Test
    void warmupRunsBeforeTimingAndTimesCoverTheSegmentCall() {
        AtomicInteger calls = new AtomicInteger();
        Segmenter slow = Segmenter.of("slow", Segmenter.Output.CLASSES, in -> {
            calls.incrementAndGet();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new LabelMap(in.width(), in.height());
        });
        AlgorithmResult r = new Evaluator(new EvaluationConfig(1, 1.0)).evaluate("hand", twoImages(),
                List.of(slow)).algorithms().get(0);
        assertEquals(3, calls.get(), "one warm-up call and one per image");
        for (ImageResult row : r.images()) {
            // Thread.sleep waits at least the time asked for; 0.1 ms allows for the clocks' granularity.
            assertTrue(row.millis() >= 4.9, "timed " + row.millis());
        }
        assertEquals((r.images().get(0).millis() + r.images().get(1).millis()) / 2, r.meanMillis(), EPS);
        assertEquals(r.meanMillis(), r.medianMillis(), EPS, "the median of two values is their mean");
    }

    @Test
    void misbehavingSegmentersAreNamedWithTheImage() {
        SegmentationDataset data = twoImages();
        Evaluator ev = new Evaluator(NO_WARMUP);
        Segmenter wrongSize = Segmenter.of("small", Segmenter.Output.CLASSES, in -> new LabelMap(2, 2));
        EvaluationException e = assertThrows(EvaluationException.class,
                () -> ev.evaluate("d", data, List.of(wrongSize)));
        assertTrue(e.getMessage().contains("'small'") && e.getMessage().contains("#0")
                && e.getMessage().contains("2x2"), e.getMessage());

        Segmenter badClass = fixed("bad", Segmenter.Output.CLASSES,
                Map.of("#0", new int[] {0, 0, 0, 5, 0, 0, 0, 0}));
        e = assertThrows(EvaluationException.class, () -> ev.evaluate("d", data, List.of(badClass)));
        assertTrue(e.getMessage().contains("'bad'") && e.getMessage().contains("predicted label 5"),
                e.getMessage());

        Segmenter throwing = Segmenter.of("boom", Segmenter.Output.CLASSES, in -> {
            throw new IllegalStateException("out of ideas");
        });
        e = assertThrows(EvaluationException.class, () -> ev.evaluate("d", data, List.of(throwing)));
        assertTrue(e.getMessage().contains("'boom'") && e.getMessage().contains("out of ideas"), e.getMessage());

        Segmenter nothing = Segmenter.of("null", Segmenter.Output.CLASSES, in -> null);
        assertThrows(EvaluationException.class, () -> ev.evaluate("d", data, List.of(nothing)));

        Segmenter a = Baselines.allBackground();
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                () -> ev.evaluate("d", data, List.of(a, Baselines.allBackground())));
        assertTrue(dup.getMessage().contains(Baselines.ALL_BACKGROUND), dup.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ev.evaluate("d", data, List.of()));
    }
}
