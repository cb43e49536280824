package org.segmentation.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.Mask;

class HausdorffDistanceTest {

    /** Directed distances of every on pixel of {@code a} to the on pixels of {@code b}, by comparing all pairs. */
    private static double[] directed(Mask a, Mask b) {
        double[] out = new double[a.countOn()];
        int n = 0;
        for (int y = 0; y < a.height; y++) {
            for (int x = 0; x < a.width; x++) {
                if (!a.get(x, y)) {
                    continue;
                }
                double best = Double.POSITIVE_INFINITY;
                for (int v = 0; v < b.height; v++) {
                    for (int u = 0; u < b.width; u++) {
                        if (b.get(u, v)) {
                            best = Math.min(best, Math.sqrt((double) (u - x) * (u - x) + (double) (v - y) * (v - y)));
                        }
                    }
                }
                out[n++] = best;
            }
        }
        return out;
    }

    /** numpy.percentile(values, q), method 'linear', written from its documented definition. */
    private static double numpyPercentile(double[] values, double q) {
        double[] s = values.clone();
        Arrays.sort(s);
        double pos = q / 100 * (s.length - 1);
        int lo = (int) pos;
        return lo + 1 < s.length ? s[lo] + (pos - lo) * (s[lo + 1] - s[lo]) : s[lo];
    }

    @Test
    void matchesAllPairsReferenceOnRandomMasks() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 150; trial++) {
            int w = 1 + rnd.nextInt(12);
            int h = 1 + rnd.nextInt(12);
            Mask a = RandomLabels.mask(rnd, w, h, rnd.nextDouble() * 0.5);
            Mask b = RandomLabels.mask(rnd, w, h, rnd.nextDouble() * 0.5);
            if (a.countOn() == 0 || b.countOn() == 0) {
                continue; // empty cases are tested separately
            }
            double[] ab = directed(a, b);
            double[] ba = directed(b, a);
            double hd = Math.max(Arrays.stream(ab).max().getAsDouble(), Arrays.stream(ba).max().getAsDouble());
            // Both are the square root of the same integer: identical doubles.
            assertEquals(hd, HausdorffDistance.distance(a, b), 0.0);
            assertEquals(hd, HausdorffDistance.percentile(a, b, 100), 0.0);
            double[] pooled = new double[ab.length + ba.length];
            System.arraycopy(ab, 0, pooled, 0, ab.length);
            System.arraycopy(ba, 0, pooled, ab.length, ba.length);
            for (double q : new double[] {0, 37.5, 50, 95, 99}) {
                // Same two roots and the same interpolation formula: a few ulps at most.
                assertEquals(numpyPercentile(pooled, q), HausdorffDistance.percentile(a, b, q), 1e-12, "q=" + q);
            }
            assertEquals(numpyPercentile(pooled, 95), HausdorffDistance.hd95(a, b), 1e-12);
        }
    }

    @Test
    void handCasesAndEmptySetConvention() {
        // scikit-image's docstring example: points (3, 0) and (6, 0) of a 7x1 column.
        Mask a = new Mask(1, 7);
        Mask b = new Mask(1, 7);
        a.set(0, 3, true);
        b.set(0, 6, true);
        assertEquals(3.0, HausdorffDistance.distance(a, b), 0.0);
        // A 3-4-5 triangle.
        Mask c = new Mask(5, 5);
        Mask d = new Mask(5, 5);
        c.set(0, 0, true);
        d.set(3, 4, true);
        d.set(0, 1, true);
        // d(c->d) = 1; d((3,4)->c) = 5; pooled {1, 1, 5}: 95th percentile at rank 1.9 = 1 + 0.9*4.
        assertEquals(5.0, HausdorffDistance.distance(c, d), 0.0);
        assertEquals(4.6, HausdorffDistance.hd95(c, d), 1e-15);
        // Empty sets (scikit-image 0.19): both empty 0, one empty infinity.
        Mask empty = new Mask(5, 5);
        assertEquals(0.0, HausdorffDistance.distance(empty, new Mask(5, 5)), 0.0);
        assertEquals(Double.POSITIVE_INFINITY, HausdorffDistance.distance(c, empty), 0.0);
        assertEquals(Double.POSITIVE_INFINITY, HausdorffDistance.distance(empty, c), 0.0);
        assertEquals(0.0, HausdorffDistance.hd95(empty, new Mask(5, 5)), 0.0);
        assertEquals(Double.POSITIVE_INFINITY, HausdorffDistance.hd95(empty, d), 0.0);
    }

    @Test
    void badInput() {
        Mask a = new Mask(4, 3);
        assertThrows(IllegalArgumentException.class, () -> HausdorffDistance.distance(a, new Mask(3, 4)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HausdorffDistance.percentile(a, a, 101));
        assertEquals("percentile must be in [0, 100], got 101.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HausdorffDistance.percentile(a, a, Double.NaN));
    }
}
