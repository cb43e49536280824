package org.segmentation.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

class BoundaryTest {
    private static final int[][] N4 = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};

    private static boolean naiveBoundary(LabelMap m, int x, int y) {
        for (int[] d : N4) {
            int u = x + d[0];
            int v = y + d[1];
            if (m.isInBounds(u, v) && m.get(u, v) != m.get(x, y)) {
                return true;
            }
        }
        return false;
    }

    private static LabelMap toLabels(Mask m) {
        LabelMap l = new LabelMap(m.width, m.height);
        for (int y = 0; y < m.height; y++) {
            for (int x = 0; x < m.width; x++) {
                l.set(x, y, m.get(x, y) ? 1 : 0);
            }
        }
        return l;
    }

    @Test
    void boundariesMatchNeighbourDefinition() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 100; trial++) {
            int w = 1 + rnd.nextInt(10);
            int h = 1 + rnd.nextInt(10);
            LabelMap labels = RandomLabels.labels(rnd, w, h, 3);
            // Reuse a dirty output buffer of another shape to check reshaping and clearing.
            Mask dst = new Mask(3, 3).fill(true);
            Mask b = Boundaries.of(labels, dst);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    assertEquals(naiveBoundary(labels, x, y), b.get(x, y), "at " + x + "," + y);
                }
            }
            Mask mask = RandomLabels.mask(rnd, w, h, 0.5);
            assertArrayEquals(Boundaries.of(toLabels(mask), null).data, Boundaries.of(mask, null).data);
        }
        Mask m = new Mask(2, 2);
        assertThrows(IllegalArgumentException.class, () -> Boundaries.of(m, m));
    }

    /** Reference: for each boundary pixel, search all boundary pixels of the other image. */
    private static double fraction(Mask from, Mask to, double tol) {
        int n = 0;
        int hit = 0;
        for (int y = 0; y < from.height; y++) {
            for (int x = 0; x < from.width; x++) {
                if (!from.get(x, y)) {
                    continue;
                }
                n++;
                boolean found = false;
                for (int v = 0; v < to.height && !found; v++) {
                    for (int u = 0; u < to.width && !found; u++) {
                        found = to.get(u, v) && (u - x) * (u - x) + (v - y) * (v - y) <= tol * tol;
                    }
                }
                hit += found ? 1 : 0;
            }
        }
        return n == 0 ? 1.0 : (double) hit / n;
    }

    @Test
    void boundaryF1MatchesBruteForce() {
        Random rnd = new Random(12);
        for (int trial = 0; trial < 80; trial++) {
            int w = 2 + rnd.nextInt(10);
            int h = 2 + rnd.nextInt(10);
            LabelMap t = RandomLabels.labels(rnd, w, h, 2);
            LabelMap p = RandomLabels.labels(rnd, w, h, 2);
            double tol = rnd.nextInt(4) == 0 ? 0 : rnd.nextDouble() * 3;
            Mask bt = Boundaries.of(t, null);
            Mask bp = Boundaries.of(p, null);
            BoundaryF1.Score s = BoundaryF1.score(t, p, tol);
            double precision = bt.countOn() == 0 ? (bp.countOn() == 0 ? 1.0 : 0.0) : fraction(bp, bt, tol);
            double recall = bp.countOn() == 0 ? (bt.countOn() == 0 ? 1.0 : 0.0) : fraction(bt, bp, tol);
            // Same counts divided the same way: exact.
            assertEquals(precision, s.precision(), 0.0);
            assertEquals(recall, s.recall(), 0.0);
            assertEquals(precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall), s.f1(), 0.0);
        }
    }

    @Test
    void boundaryF1HandCases() {
        // A vertical edge between columns 1|2 in truth, 2|3 in prediction, 6 wide and 4 tall.
        Mask t = new Mask(6, 4);
        Mask p = new Mask(6, 4);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 6; x++) {
                t.set(x, y, x >= 2);
                p.set(x, y, x >= 3);
            }
        }
        // Boundaries: truth columns 1,2; prediction columns 2,3. At tolerance 0 only column 2 matches: 1/2 each.
        BoundaryF1.Score s0 = BoundaryF1.score(t, p, 0);
        assertEquals(new BoundaryF1.Score(0.5, 0.5, 0.5), s0);
        assertEquals(new BoundaryF1.Score(1, 1, 1), BoundaryF1.score(t, p, 1));
        assertEquals(new BoundaryF1.Score(1, 1, 1), BoundaryF1.score(t, t, 0));
        // Empty cases.
        Mask none = new Mask(6, 4);
        assertEquals(new BoundaryF1.Score(1, 1, 1), BoundaryF1.score(none, new Mask(6, 4), 2));
        assertEquals(new BoundaryF1.Score(1, 0, 0), BoundaryF1.score(t, none, 2));
        assertEquals(new BoundaryF1.Score(0, 1, 0), BoundaryF1.score(none, t, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BoundaryF1.score(t, p, -1));
        assertEquals("tolerance must be finite and >= 0, got -1.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BoundaryF1.score(t, new Mask(4, 6), 1));
    }
}
