package org.segmentation.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * {@link CocoAveragePrecision} on cases computed by hand from the definition in pycocotools' {@code COCOeval}
 * (evaluateImg, accumulate, summarize). Exact arithmetic: every expected value is a ratio of small counts, so the
 * tolerance is 1e-12.
 */
class CocoAveragePrecisionTest {
    static final double EPS = 1e-12;

    @Test
    void thresholdsAndRecallPointsAreNumpysLinspace() {
        // numpy 1.24's linspace(.5, .95, 10), printed with repr
        assertArrayEquals(new double[] {0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95},
                CocoAveragePrecision.IOU_THRESHOLDS, 0);
        assertEquals(101, CocoAveragePrecision.RECALL_POINTS.length);
        assertEquals(0.07, CocoAveragePrecision.RECALL_POINTS[7], 0);
        assertEquals(0.5700000000000001, CocoAveragePrecision.RECALL_POINTS[57], 0);
        assertEquals(1.0, CocoAveragePrecision.RECALL_POINTS[100], 0);
    }

    @Test
    void oneDetectionOfIou08CountsAtSevenOfTenThresholds() {
        CocoAveragePrecision ap = new CocoAveragePrecision();
        ap.add(1, new double[] {0.9}, new double[][] {{0.8}}, new boolean[] {false});
        CocoAveragePrecision.Result r = ap.compute();
        // true positive at 0.5 .. 0.8 (7 thresholds; 0.8 >= 0.8 matches), precision 1 at every recall point
        assertEquals(0.7, r.ap(), EPS);
        assertEquals(1, r.ap50(), EPS);
        assertEquals(1, r.ap75(), EPS);
    }

    @Test
    void aFalsePositiveRankedFirstHalvesThePrecision() {
        CocoAveragePrecision ap = new CocoAveragePrecision();
        ap.add(1, new double[] {0.3, 0.9}, new double[][] {{0.95}, {0.1}}, new boolean[] {false});
        // by score: FP then TP: precision 0, 1/2 at recall 0, 1; the monotone envelope is 1/2 everywhere
        CocoAveragePrecision.Result r = ap.compute();
        assertEquals(0.5, r.ap50(), EPS);
        assertEquals(0.5, r.ap(), EPS);   // IoU 0.95 matches at every threshold
    }

    @Test
    void halfRecallReadsZeroPastIt() {
        CocoAveragePrecision ap = new CocoAveragePrecision();
        ap.add(1, new double[] {0.9}, new double[][] {{0.7, 0.0}}, new boolean[] {false, false});
        // recall reaches 1/2 with precision 1: recall points 0 .. 0.5 (51 of 101) read 1, the rest 0
        CocoAveragePrecision.Result r = ap.compute();
        assertEquals(51.0 / 101, r.ap50(), EPS);
        assertEquals(0, r.ap75(), EPS);   // IoU 0.7 < 0.75
    }

    @Test
    void greedyMatchingTakesTheBestUnmatchedGroundTruth() {
        CocoAveragePrecision ap = new CocoAveragePrecision();
        // detection A (0.9) overlaps both ground truths, g1 best; B (0.8) overlaps only g1, which A took
        ap.add(1, new double[] {0.9, 0.8}, new double[][] {{0.6, 0.9}, {0.0, 0.85}}, new boolean[] {false, false});
        CocoAveragePrecision.CategoryAp c = ap.compute().perCategory().get(1);
        // at 0.5: A -> g1 (TP), B unmatched (FP): precision 1, 1/2 at recall 1/2, 1/2 -> envelope 1 up to recall 0.5
        assertEquals(51.0 / 101, c.ap50(), EPS);
    }

    @Test
    void crowdMatchesAreIgnoredAndCategoriesWithoutTruthAreLeftOut() {
        CocoAveragePrecision ap = new CocoAveragePrecision();
        // image 1, category 1: a TP and a detection on a crowd region (ignored: no false positive)
        ap.add(1, new double[] {0.9, 0.95}, new double[][] {{0.8, 0.0}, {0.0, 0.6}}, new boolean[] {false, true});
        // image 1, category 2: detections only: the category has no ground truth and is left out of the mean
        ap.add(2, new double[] {0.5}, new double[1][0], new boolean[0]);
        CocoAveragePrecision.Result r = ap.compute();
        assertEquals(1, r.perCategory().size());
        assertEquals(1, r.ap50(), EPS);
        // the crowd detection (score 0.95, IoU 0.6) is ignored at 0.5, 0.55, 0.6, where the TP gives precision 1;
        // at 0.65 .. 0.8 it is an unmatched detection ranked first: precision 0 then 1/2, envelope 1/2; above 0.8
        // the TP is lost too: (3·1 + 4·0.5 + 3·0) / 10
        assertEquals(0.5, r.ap(), EPS);
        assertEquals(0.5, r.perCategory().get(1).precision()[3][0], EPS);
    }

    @Test
    void maxDetectionsKeepsTheBestScoresPerImage() {
        CocoAveragePrecision ap = new CocoAveragePrecision(1);
        ap.add(1, new double[] {0.2, 0.9}, new double[][] {{0.9}, {0.0}}, new boolean[] {false});
        // only the 0.9 detection (a FP) is kept
        assertEquals(0, ap.compute().ap50(), EPS);
        assertEquals(-1, new CocoAveragePrecision().compute().ap(), 0);
    }

    @Test
    void boxAndMaskIou() {
        double[][] iou = CocoAveragePrecision.boxIou(new double[] {0, 0, 2, 2}, new double[] {1, 1, 3, 3, 0, 0, 4, 4},
                new boolean[] {false, true});
        assertArrayEquals(new double[] {1 / 7.0, 1.0}, iou[0], EPS);   // crowd: intersection over the detection
        boolean[] a = {true, true, false, false};
        boolean[] b = {false, true, true, false};
        assertArrayEquals(new double[] {1 / 3.0, 0.5}, CocoAveragePrecision.maskIou(new boolean[][] {a},
                new boolean[][] {b, b}, new boolean[] {false, true})[0], EPS);
        assertThrows(IllegalArgumentException.class, () -> new CocoAveragePrecision().add(1, new double[2],
                new double[1][1], new boolean[1]));
    }

    @Test
    void addMasksGroupsByCategoryAndMatchesByMaskIou() {
        // 4x1 image. Truth: class 1 = pixels {0, 1}, class 2 = pixel {3}. Detections: class 1 (0.9) = pixel {0}
        // (IoU 1/2), class 2 (0.8) = pixel {3} (IoU 1), class 2 (0.7) = pixel {2}, a false positive ranked second
        org.segmentation.core.image.LabelMap truth = org.segmentation.core.image.LabelMap.wrap(new int[] {1, 1, 0,
            2}, 4, 1);
        org.segmentation.core.image.LabelMap det = org.segmentation.core.image.LabelMap.wrap(new int[] {1, 0, 3,
            2}, 4, 1);
        CocoAveragePrecision ap = new CocoAveragePrecision();
        ap.addMasks(new org.segmentation.core.segment.InstanceSegmentation(det, new int[] {1, 2, 2},
                new double[] {0.9, 0.8, 0.7}, new double[] {0, 0, 1, 1, 3, 0, 4, 1, 2, 0, 3, 1}),
                org.segmentation.core.segment.InstanceSegmentation.fromLabels(truth, new int[] {0, 1, 2}), null);
        CocoAveragePrecision.Result r = ap.compute();
        // class 1: a true positive at threshold 0.5 only: AP 1/10, AP50 1, AP75 0
        assertEquals(0.1, r.perCategory().get(1).ap(), EPS);
        assertEquals(1, r.perCategory().get(1).ap50(), EPS);
        assertEquals(0, r.perCategory().get(1).ap75(), EPS);
        // class 2: the true positive ranks first, so the false positive does not lower the envelope: AP 1
        assertEquals(1, r.perCategory().get(2).ap(), EPS);
        assertEquals(0.55, r.ap(), EPS);
        // the same as adding each category's IoU matrix by hand
        CocoAveragePrecision manual = new CocoAveragePrecision();
        manual.add(1, new double[] {0.9}, new double[][] {{0.5}}, new boolean[1]);
        manual.add(2, new double[] {0.8, 0.7}, new double[][] {{1}, {0}}, new boolean[1]);
        assertEquals(manual.compute().ap(), r.ap(), 0);
        assertThrows(IllegalArgumentException.class, () -> ap.addMasks(
                org.segmentation.core.segment.InstanceSegmentation.empty(4, 1),
                org.segmentation.core.segment.InstanceSegmentation.empty(2, 2), null));
    }
}
