package org.segmentation.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.LabelMap;

class PartitionMetricsTest {

    private static boolean ignored(int label, int[] ignore) {
        for (int v : ignore) {
            if (v == label) {
                return true;
            }
        }
        return false;
    }

    @Test
    void contingencyTableMatchesHashMapCount() {
        Random rnd = new Random(1);
        for (int trial = 0; trial < 50; trial++) {
            int w = 1 + rnd.nextInt(9);
            int h = 1 + rnd.nextInt(9);
            LabelMap t = RandomLabels.labels(rnd, w, h, 4);
            LabelMap p = RandomLabels.labels(rnd, w, h, 6);
            int[] ignore = trial % 2 == 0 ? new int[0] : new int[] {0, 3};
            Map<Long, Long> expected = new HashMap<>();
            long total = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (!ignored(t.get(x, y), ignore)) {
                        expected.merge((long) t.get(x, y) * 1000 + p.get(x, y), 1L, Long::sum);
                        total++;
                    }
                }
            }
            ContingencyTable table = ContingencyTable.of(t, p, ignore);
            assertEquals(expected.size(), table.size());
            assertEquals(total, table.total());
            for (int k = 0; k < table.size(); k++) {
                assertEquals(expected.get((long) table.truthLabel(k) * 1000 + table.predLabel(k)), table.count(k));
                if (k > 0) {
                    long prev = (long) table.truthLabel(k - 1) * 1000 + table.predLabel(k - 1);
                    assertTrue(prev < (long) table.truthLabel(k) * 1000 + table.predLabel(k), "sorted entries");
                }
            }
            long[] ts = table.truthSizes();
            int[] tl = table.truthLabels();
            for (int i = 0; i < tl.length; i++) {
                long n = 0;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        n += t.get(x, y) == tl[i] ? 1 : 0;
                    }
                }
                assertEquals(n, ts[i], "truth size of " + tl[i]);
            }
            long[] ps = table.predSizes();
            int[] pl = table.predLabels();
            for (int j = 0; j < pl.length; j++) {
                long n = 0;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        n += p.get(x, y) == pl[j] && !ignored(t.get(x, y), ignore) ? 1 : 0;
                    }
                }
                assertEquals(n, ps[j], "prediction size of " + pl[j]);
            }
        }
    }

    /**
     * Adapted Rand precision and recall from their pair-counting definition: over all unordered pairs of counted
     * pixels, pairs with equal labels in both images divided by pairs with equal truth labels (skimage's
     * "precision") or equal prediction labels ("recall"). This shares nothing with the contingency formulas.
     */
    @Test
    void adaptedRandMatchesPairCounting() {
        Random rnd = new Random(2);
        for (int trial = 0; trial < 60; trial++) {
            int w = 1 + rnd.nextInt(8);
            int h = 2 + rnd.nextInt(8);
            LabelMap t = RandomLabels.labels(rnd, w, h, 3);
            LabelMap p = RandomLabels.labels(rnd, w, h, 3);
            int[] ignore = trial % 2 == 0 ? new int[] {0} : new int[0];
            long both = 0;
            long sameTruth = 0;
            long samePred = 0;
            for (int i = 0; i < w * h; i++) {
                for (int j = i + 1; j < w * h; j++) {
                    int ti = t.get(i % w, i / w);
                    int tj = t.get(j % w, j / w);
                    if (ignored(ti, ignore) || ignored(tj, ignore)) {
                        continue;
                    }
                    boolean st = ti == tj;
                    boolean sp = p.get(i % w, i / w) == p.get(j % w, j / w);
                    both += st && sp ? 1 : 0;
                    sameTruth += st ? 1 : 0;
                    samePred += sp ? 1 : 0;
                }
            }
            PartitionMetrics.AdaptedRand are = PartitionMetrics.adaptedRandError(t, p, ignore);
            double precision = (double) both / sameTruth;
            double recall = (double) both / samePred;
            // Same exact integers divided once: equal to the last bit, or both NaN/infinite.
            assertEquals(precision, are.precision());
            assertEquals(recall, are.recall());
            assertEquals(1 - 2 * precision * recall / (precision + recall), are.error());
        }
    }

    @Test
    void adaptedRandHandExampleFromScikitImageIssue6485() {
        // truth [[1,2],[3,2]], prediction all 1: scikit-image 0.19 returns (5/7, 1, 1/6).
        LabelMap t = LabelMap.wrap(new int[] {1, 2, 3, 2}, 2, 2);
        LabelMap p = LabelMap.wrap(new int[] {1, 1, 1, 1}, 2, 2);
        PartitionMetrics.AdaptedRand are = PartitionMetrics.adaptedRandError(t, p);
        // A few ulps of the double division chain.
        assertEquals(5.0 / 7.0, are.error(), 1e-15);
        assertEquals(1.0, are.precision(), 0.0);
        assertEquals(1.0 / 6.0, are.recall(), 1e-16);
        // Default ignores truth label 0: pixels labelled 0 in truth change nothing.
        LabelMap t0 = LabelMap.wrap(new int[] {1, 2, 3, 2, 0, 0}, 3, 2);
        LabelMap p0 = LabelMap.wrap(new int[] {1, 1, 1, 1, 5, 1}, 3, 2);
        LabelMap tc = LabelMap.wrap(new int[] {1, 2, 3, 2}, 4, 1);
        LabelMap pc = LabelMap.wrap(new int[] {1, 1, 1, 1}, 4, 1);
        assertEquals(PartitionMetrics.adaptedRandError(tc, pc), PartitionMetrics.adaptedRandError(t0, p0));
    }

    /** VI from joint and marginal entropies, {@code H(Y|X) = H(X,Y) - H(X)}: a different route to the same value. */
    @Test
    void variationOfInformationMatchesEntropyDifferences() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 60; trial++) {
            int w = 1 + rnd.nextInt(9);
            int h = 1 + rnd.nextInt(9);
            LabelMap t = RandomLabels.labels(rnd, w, h, 4);
            LabelMap p = RandomLabels.labels(rnd, w, h, 4);
            Map<Long, Integer> joint = new HashMap<>();
            Map<Long, Integer> mt = new HashMap<>();
            Map<Long, Integer> mp = new HashMap<>();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    joint.merge((long) t.get(x, y) * 100 + p.get(x, y), 1, Integer::sum);
                    mt.merge((long) t.get(x, y), 1, Integer::sum);
                    mp.merge((long) p.get(x, y), 1, Integer::sum);
                }
            }
            double n = w * h;
            double hj = entropy(joint, n);
            PartitionMetrics.VariationOfInformation vi = PartitionMetrics.variationOfInformation(t, p);
            // Entropies here are at most log2(81) ~ 6.3; sums of <= 81 terms lose at most ~1e-13.
            assertEquals(hj - entropy(mt, n), vi.split(), 1e-12);
            assertEquals(hj - entropy(mp, n), vi.merge(), 1e-12);
            assertEquals(vi.split() + vi.merge(), vi.total(), 0.0);
        }
    }

    private static double entropy(Map<Long, Integer> counts, double n) {
        double h = 0;
        for (int c : counts.values()) {
            h -= c / n * Math.log(c / n) / Math.log(2);
        }
        return h;
    }

    @Test
    void variationOfInformationHandCases() {
        LabelMap a = LabelMap.wrap(new int[] {1, 1, 2, 2}, 4, 1);
        LabelMap one = LabelMap.wrap(new int[] {7, 7, 7, 7}, 4, 1);
        LabelMap relabelled = LabelMap.wrap(new int[] {9, 9, 4, 4}, 4, 1);
        // Same partition under other names: both entropies are exactly 0.
        assertEquals(new PartitionMetrics.VariationOfInformation(0, 0),
                PartitionMetrics.variationOfInformation(a, relabelled));
        // Merging two equal halves loses exactly one bit: H(truth|pred) = 1, H(pred|truth) = 0.
        PartitionMetrics.VariationOfInformation vi = PartitionMetrics.variationOfInformation(a, one);
        assertEquals(0.0, vi.split(), 0.0);
        assertEquals(1.0, vi.merge(), 1e-15);
        // Nothing counted: NaN, like scikit-image's 0/0.
        vi = PartitionMetrics.variationOfInformation(one, a, 7);
        assertTrue(Double.isNaN(vi.split()) && Double.isNaN(vi.merge()));
    }

    @Test
    void badInputIsRejectedWithTheProblemNamed() {
        LabelMap a = new LabelMap(3, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PartitionMetrics.adaptedRandError(a, new LabelMap(2, 3)));
        assertTrue(e.getMessage().contains("2x3"), e.getMessage());
        LabelMap neg = new LabelMap(3, 2);
        neg.set(2, 1, -4);
        e = assertThrows(IllegalArgumentException.class, () -> PartitionMetrics.variationOfInformation(a, neg));
        assertTrue(e.getMessage().contains("-4") && e.getMessage().contains("(2, 1)"), e.getMessage());
    }
}
