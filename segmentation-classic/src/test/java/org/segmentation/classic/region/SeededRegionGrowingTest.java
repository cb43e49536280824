package org.segmentation.classic.region;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.classic.TestImages;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.RgbU8;
import org.segmentation.core.label.ConnectedComponents;

class SeededRegionGrowingTest {

    /**
     * Reference with the same rule and a linear scan instead of a heap: the waiting entry of smallest (distance,
     * insertion order) joins; distances are |value - region mean| computed when the entry is added.
     */
    private static int[] naive(int[] v, int w, int h, int[] seeds, boolean[] allowed, Connectivity c) {
        int n = w * h;
        int[] out = new int[n];
        double[] sum = new double[64];
        int[] cnt = new int[64];
        for (int p = 0; p < n; p++) {
            if (seeds[p] > 0 && allowed[p]) {
                out[p] = seeds[p];
                sum[seeds[p]] += v[p];
                cnt[seeds[p]]++;
            }
        }
        List<double[]> waiting = new ArrayList<>(); // {distance, pixel, label}, in insertion order
        for (int p = 0; p < n; p++) {
            if (out[p] != 0) {
                add(waiting, p, out[p], v, w, h, out, allowed, c, sum, cnt);
            }
        }
        while (!waiting.isEmpty()) {
            int best = 0;
            for (int i = 1; i < waiting.size(); i++) {
                if (waiting.get(i)[0] < waiting.get(best)[0]) {
                    best = i;
                }
            }
            double[] e = waiting.remove(best);
            int p = (int) e[1];
            int l = (int) e[2];
            if (out[p] != 0) {
                continue;
            }
            out[p] = l;
            sum[l] += v[p];
            cnt[l]++;
            add(waiting, p, l, v, w, h, out, allowed, c, sum, cnt);
        }
        return out;
    }

    private static void add(List<double[]> waiting, int p, int l, int[] v, int w, int h, int[] out, boolean[] allowed,
            Connectivity c, double[] sum, int[] cnt) {
        for (int k = 0; k < c.size(); k++) {
            int x = p % w + c.dx(k);
            int y = p / w + c.dy(k);
            if (x >= 0 && y >= 0 && x < w && y < h && out[y * w + x] == 0 && allowed[y * w + x]) {
                waiting.add(new double[] {Math.abs(v[y * w + x] - sum[l] / cnt[l]), y * w + x, l});
            }
        }
    }

    @Test
    void twoToneImageSplitsAtTheEdge() {
        GrayU8 g = new GrayU8(6, 3);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 6; x++) {
                g.set(x, y, x < 2 ? 10 : 200);
            }
        }
        LabelMap seeds = new LabelMap(6, 3);
        seeds.set(0, 1, 4);
        seeds.set(5, 1, 9);
        LabelMap out = new SeededRegionGrowing(new SrgConfig()).process(g, seeds, null, null);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 6; x++) {
                assertEquals(x < 2 ? 4 : 9, out.get(x, y));
            }
        }
    }

    @Test
    void matchesLinearScanReferenceOnRandomImages() {
        Random rnd = new Random(41);
        for (int trial = 0; trial < 150; trial++) {
            int w = 1 + rnd.nextInt(14);
            int h = 1 + rnd.nextInt(14);
            GrayU8 g = new GrayU8(w, h);
            int[] v = new int[w * h];
            for (int i = 0; i < v.length; i++) {
                v[i] = rnd.nextInt(6) * 7; // few levels: many exact ties, decided by insertion order
                g.data[i] = (byte) v[i];
            }
            LabelMap seeds = new LabelMap(w, h);
            int ns = 1 + rnd.nextInt(4);
            for (int s = 0; s < ns; s++) {
                seeds.data[rnd.nextInt(w * h)] = 1 + rnd.nextInt(5);
            }
            Mask mask = new Mask(w, h);
            boolean[] allowed = new boolean[w * h];
            for (int i = 0; i < allowed.length; i++) {
                allowed[i] = rnd.nextInt(6) != 0;
                mask.data[i] = (byte) (allowed[i] ? 1 : 0);
            }
            if (seeds.maxLabel() == 0 || !anySeedAllowed(seeds, allowed)) {
                continue;
            }
            Connectivity c = rnd.nextBoolean() ? Connectivity.FOUR : Connectivity.EIGHT;
            int[] expected = naive(v, w, h, seeds.data, allowed, c);
            LabelMap out = new SeededRegionGrowing(SrgConfig.of(c, SrgConfig.Criterion.MEAN))
                    .process(g, seeds, mask, null);
            assertArrayEquals(expected, out.data, "trial " + trial);
        }
    }

    private static boolean anySeedAllowed(LabelMap seeds, boolean[] allowed) {
        for (int i = 0; i < allowed.length; i++) {
            if (seeds.data[i] > 0 && allowed[i]) {
                return true;
            }
        }
        return false;
    }

    @Test
    void mahalanobisPrefersTheVariedRegion() {
        // Left: a noisy region around 100 (values 70..130); right: a flat region at 130. The middle pixel, 118, is
        // 12 from the flat mean and 18 from the noisy one: MEAN gives it to the flat region, MAHALANOBIS (the
        // noisy region has variance 600 + 4, deviation 24.6, so 18 / 24.6 = 0.73; the flat one only the
        // regularization, deviation 2, so 12 / 2 = 6) to the noisy one.
        int[] row = {70, 130, 70, 130, 100, 100, 118, 130, 130, 130, 130, 130};
        GrayU8 g = new GrayU8(row.length, 1);
        for (int x = 0; x < row.length; x++) {
            g.set(x, 0, row[x]);
        }
        LabelMap seeds = new LabelMap(row.length, 1);
        for (int x = 0; x < 6; x++) {
            seeds.set(x, 0, 1);
        }
        for (int x = 7; x < row.length; x++) {
            seeds.set(x, 0, 2);
        }
        LabelMap mean = new SeededRegionGrowing(SrgConfig.of(Connectivity.FOUR, SrgConfig.Criterion.MEAN))
                .process(g, seeds, null, null);
        assertEquals(2, mean.get(6, 0));
        LabelMap maha = new SeededRegionGrowing(SrgConfig.of(Connectivity.FOUR, SrgConfig.Criterion.MAHALANOBIS))
                .process(g, seeds, null, null);
        assertEquals(1, maha.get(6, 0));
    }

    @Test
    void everyPixelOfARealColourImageJoinsOneConnectedRegion() {
        RgbU8 img = TestImages.rgb("coffee");
        LabelMap seeds = new LabelMap(img.width, img.height);
        int[][] pts = {{10, 10}, {100, 66}, {180, 30}, {60, 120}, {190, 120}};
        for (int i = 0; i < pts.length; i++) {
            seeds.set(pts[i][0], pts[i][1], i + 1);
        }
        for (SrgConfig.Criterion crit : SrgConfig.Criterion.values()) {
            LabelMap out = new SeededRegionGrowing(SrgConfig.of(Connectivity.FOUR, crit)).process(img, seeds, null,
                    null);
            for (int i = 0; i < out.data.length; i++) {
                assertTrue(out.data[i] >= 1 && out.data[i] <= pts.length, crit + " pixel " + i);
            }
            // Each region is one 4-connected piece containing its seed.
            for (int l = 1; l <= pts.length; l++) {
                Mask m = new Mask(out.width, out.height);
                for (int i = 0; i < m.data.length; i++) {
                    m.data[i] = (byte) (out.data[i] == l ? 1 : 0);
                }
                assertEquals(1, new ConnectedComponents(Connectivity.FOUR).process(m, null), crit + " region " + l);
                assertTrue(m.get(pts[l - 1][0], pts[l - 1][1]));
            }
        }
    }

    @Test
    void maskedOutAndUnreachablePixelsStayZero() {
        GrayU8 g = new GrayU8(5, 1);
        LabelMap seeds = LabelMap.wrap(new int[] {3, 0, 0, 0, 0}, 5, 1);
        Mask mask = Mask.wrap(new byte[] {1, 1, 0, 1, 1}, 5, 1);
        LabelMap out = new SeededRegionGrowing(new SrgConfig()).process(g, seeds, mask, null);
        assertArrayEquals(new int[] {3, 3, 0, 0, 0}, out.data);
    }

    @Test
    void badInput() {
        SeededRegionGrowing srg = new SeededRegionGrowing(new SrgConfig());
        var e = assertThrows(IllegalArgumentException.class,
                () -> srg.process(new GrayU8(3, 3), new LabelMap(3, 4), null, null));
        assertTrue(e.getMessage().contains("seed map is 3x4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> srg.process(new GrayU8(3, 3), new LabelMap(3, 3), null, null));
        assertTrue(e.getMessage().contains("no seed"), e.getMessage());
        LabelMap neg = new LabelMap(3, 3);
        neg.set(2, 2, -1);
        assertThrows(IllegalArgumentException.class, () -> srg.process(new RgbU8(3, 3), neg, null, null));
        assertThrows(IllegalArgumentException.class,
                () -> new SrgConfig(Connectivity.FOUR, SrgConfig.Criterion.MAHALANOBIS, 0));
    }
}
