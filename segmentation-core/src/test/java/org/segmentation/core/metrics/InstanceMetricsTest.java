package org.segmentation.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.LabelMap;

class InstanceMetricsTest {

    /**
     * One row: truth A = x 0..5, B = 6..9; prediction X = 2..7, Y = 0..1. IoU(X,A) = 4/8, IoU(X,B) = 2/8,
     * IoU(Y,A) = 2/6. A greedy matching by IoU takes X-A and stops at one pair; the maximum matching at
     * threshold 0.25 is X-B plus Y-A.
     */
    private static final LabelMap TRUTH = LabelMap.wrap(new int[] {1, 1, 1, 1, 1, 1, 2, 2, 2, 2}, 10, 1);
    private static final LabelMap PRED = LabelMap.wrap(new int[] {5, 5, 3, 3, 3, 3, 3, 3, 0, 0}, 10, 1);

    @Test
    void lowThresholdFindsTheLargestMatching() {
        InstanceMetrics.Result r = InstanceMetrics.of(TRUTH, PRED).match(0.25);
        assertEquals(2, r.tp());
        assertEquals(0, r.fp());
        assertEquals(0, r.fn());
        assertEquals(1.0, r.ap(), 0.0);
        // Two terms and one division: 1e-15.
        assertEquals((0.25 + 1.0 / 3) / 2, r.meanMatchedIoU(), 1e-15);
    }

    @Test
    void thresholdHalf() {
        InstanceMetrics m = InstanceMetrics.of(TRUTH, PRED);
        assertEquals(2, m.numTruth());
        assertEquals(2, m.numPred());
        // Only X-A (IoU exactly 0.5, and the threshold is inclusive).
        assertEquals(new InstanceMetrics.Result(0.5, 1, 1, 1, 0.5, 0.5, 0.5, 1.0 / 3, 0.5), m.match());
        // From 0.55 up nothing matches: AP 0. Mean over the ten thresholds is (1/3) / 10.
        assertEquals(0, m.match(0.55).tp());
        assertEquals(1.0 / 30, m.meanAveragePrecision(), 1e-16);
    }

    @Test
    void thresholdsAreInclusiveAndExactlyTheDecimalValues() {
        // Prediction holds 11 of the 20 truth pixels: IoU 11/20 = 0.55 exactly as a decimal, and the division
        // rounds to the same double as the threshold 0.55, so it matches at 0.5 and 0.55 and not above.
        int[] t = new int[20];
        int[] p = new int[20];
        java.util.Arrays.fill(t, 1);
        java.util.Arrays.fill(p, 0, 11, 1);
        InstanceMetrics m = InstanceMetrics.of(LabelMap.wrap(t, 20, 1), LabelMap.wrap(p, 20, 1));
        assertEquals(1, m.match(0.55).tp());
        assertEquals(0, m.match(Math.nextUp(0.55)).tp());
        assertEquals(2.0 / 10, m.meanAveragePrecision(), 1e-16);
    }

    @Test
    void identicalAndEmptyImages() {
        Random rnd = new Random(31);
        LabelMap t = RandomLabels.labels(rnd, 9, 7, 5);
        InstanceMetrics same = InstanceMetrics.of(t, t.copy());
        assertEquals(1.0, same.meanAveragePrecision(), 0.0);
        assertEquals(1.0, same.match(1.0).meanMatchedIoU(), 0.0);

        LabelMap empty = new LabelMap(4, 3);
        InstanceMetrics.Result none = InstanceMetrics.of(empty, new LabelMap(4, 3)).match();
        assertEquals(new InstanceMetrics.Result(0.5, 0, 0, 0, 1, 1, 1, 1, Double.NaN), none);
        LabelMap one = new LabelMap(4, 3);
        one.set(1, 1, 4);
        assertEquals(new InstanceMetrics.Result(0.5, 0, 1, 0, 0, 1, 0, 0, Double.NaN),
                InstanceMetrics.of(empty, one).match());
        assertEquals(new InstanceMetrics.Result(0.5, 0, 0, 1, 1, 0, 0, 0, Double.NaN),
                InstanceMetrics.of(one, empty).match());
    }

    /** Best (count, IoU sum) over every one-to-one set of candidate pairs, by exhaustive search. */
    private static double[] best(double[][] iou, double thr, int row, boolean[] usedCol) {
        if (row == iou.length) {
            return new double[] {0, 0};
        }
        double[] bestSoFar = best(iou, thr, row + 1, usedCol); // leave this row unmatched
        for (int c = 0; c < usedCol.length; c++) {
            if (!usedCol[c] && iou[row][c] >= thr && iou[row][c] > 0) {
                usedCol[c] = true;
                double[] sub = best(iou, thr, row + 1, usedCol);
                usedCol[c] = false;
                double count = sub[0] + 1;
                double sum = sub[1] + iou[row][c];
                if (count > bestSoFar[0] || count == bestSoFar[0] && sum > bestSoFar[1] + 1e-12) {
                    bestSoFar = new double[] {count, sum};
                }
            }
        }
        return bestSoFar;
    }

    @Test
    void matchesExhaustiveSearchOnRandomInstances() {
        Random rnd = new Random(32);
        double[] thresholds = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.9};
        for (int trial = 0; trial < 80; trial++) {
            int w = 2 + rnd.nextInt(8);
            int h = 2 + rnd.nextInt(8);
            int k = 1 + rnd.nextInt(6);
            LabelMap t = RandomLabels.labels(rnd, w, h, k);
            LabelMap p = RandomLabels.labels(rnd, w, h, k);
            // IoU table of labels 1..k by counting pixels directly.
            double[][] iou = new double[k + 1][k + 1];
            int nt = 0;
            int np = 0;
            for (int a = 1; a <= k; a++) {
                int sa = 0;
                int sb = 0;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        sa += t.get(x, y) == a ? 1 : 0;
                        sb += p.get(x, y) == a ? 1 : 0;
                    }
                }
                nt += sa > 0 ? 1 : 0;
                np += sb > 0 ? 1 : 0;
                for (int b = 1; b <= k; b++) {
                    int inter = 0;
                    int union = 0;
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            boolean ia = t.get(x, y) == a;
                            boolean ib = p.get(x, y) == b;
                            inter += ia && ib ? 1 : 0;
                            union += ia || ib ? 1 : 0;
                        }
                    }
                    iou[a][b] = union == 0 ? 0 : (double) inter / union;
                }
            }
            InstanceMetrics m = InstanceMetrics.of(t, p);
            assertEquals(nt, m.numTruth());
            assertEquals(np, m.numPred());
            for (double thr : thresholds) {
                double[] expected = best(iou, thr, 0, new boolean[k + 1]);
                InstanceMetrics.Result r = m.match(thr);
                String what = "trial " + trial + " threshold " + thr;
                assertEquals((int) expected[0], r.tp(), what);
                assertEquals(np - r.tp(), r.fp(), what);
                assertEquals(nt - r.tp(), r.fn(), what);
                if (r.tp() > 0) {
                    // Sums of at most 6 IoUs in a different order: 1e-12.
                    assertEquals(expected[1] / expected[0], r.meanMatchedIoU(), 1e-12, what);
                }
            }
        }
    }

    @Test
    void hungarianMatchesPermutationSearch() {
        Random rnd = new Random(33);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rnd.nextInt(4);
            int m = n + rnd.nextInt(3);
            double[][] cost = new double[n][m];
            for (double[] row : cost) {
                for (int j = 0; j < m; j++) {
                    row[j] = rnd.nextInt(5) == 0 ? 0 : -rnd.nextDouble() * 3;
                }
            }
            int[] a = InstanceMetrics.hungarian(cost, n, m);
            double got = 0;
            boolean[] used = new boolean[m];
            for (int i = 0; i < n; i++) {
                assertTrue(!used[a[i]], "columns distinct");
                used[a[i]] = true;
                got += cost[i][a[i]];
            }
            // Both sum the same n terms: 1e-12.
            assertEquals(minCost(cost, 0, new boolean[m]), got, 1e-12);
        }
    }

    private static double minCost(double[][] cost, int row, boolean[] used) {
        if (row == cost.length) {
            return 0;
        }
        double best = Double.POSITIVE_INFINITY;
        for (int j = 0; j < used.length; j++) {
            if (!used[j]) {
                used[j] = true;
                best = Math.min(best, cost[row][j] + minCost(cost, row + 1, used));
                used[j] = false;
            }
        }
        return best;
    }

    @Test
    void badThreshold() {
        InstanceMetrics m = InstanceMetrics.of(TRUTH, PRED);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.match(0));
        assertEquals("IoU threshold must be in (0, 1], got 0.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.match(1.5));
        assertThrows(IllegalArgumentException.class, () -> m.match(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> InstanceMetrics.of(TRUTH, new LabelMap(5, 2)));
    }
}
