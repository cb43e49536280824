package org.segmentation.classic.threshold;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.classic.TestImages;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;

class MultiOtsuOpsTest {

    @Test
    @SuppressWarnings("unchecked")
    void equalsSkimageOnEveryRealImageForTwoToFiveClasses() {
        Map<String, Object> golden = (Map<String, Object>) TestImages.json("/golden/threshold.json").get("multiotsu");
        assertEquals(7, golden.size());
        for (Map.Entry<String, Object> e : golden.entrySet()) {
            GrayU8 g = TestImages.gray(e.getKey());
            for (int classes = 2; classes <= 5; classes++) {
                List<Object> expected = (List<Object>) ((Map<String, Object>) e.getValue()).get("" + classes);
                int[] exp = expected.stream().mapToInt(o -> ((Double) o).intValue()).toArray();
                assertArrayEquals(exp, MultiOtsuOps.thresholds(g, classes), e.getKey() + " classes=" + classes);
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void floatImagesWithinOneBinOfSkimage() {
        Map<String, Object> all = TestImages.json("/golden/threshold.json");
        Map<String, Object> golden = (Map<String, Object>) all.get("multiotsu_f32");
        Map<String, Object> otsu = (Map<String, Object>) all.get("otsu_f32");
        assertEquals(4, golden.size());
        for (Map.Entry<String, Object> e : golden.entrySet()) {
            GrayU16 u16 = TestImages.u16("/golden/threshold/" + e.getKey() + "_u16.png");
            GrayF32 f = new GrayF32(u16.width, u16.height);
            for (int i = 0; i < f.data.length; i++) {
                f.data[i] = (u16.data[i] & 0xFFFF) / 65535f;
            }
            double binWidth = (Double) ((Map<String, Object>) otsu.get(e.getKey())).get("bin_width");
            for (int classes = 2; classes <= 5; classes++) {
                List<Object> expected = (List<Object>) ((Map<String, Object>) e.getValue()).get("" + classes);
                double[] t = MultiOtsuOps.thresholds(f, classes, 256);
                assertEquals(expected.size(), t.length);
                for (int i = 0; i < t.length; i++) {
                    // numpy bins the float32 values with float32 edges, we in double: a pixel on an edge may change
                    // bin, so one bin of difference is allowed.
                    assertEquals((Double) expected.get(i), t[i], binWidth * 1.0001, e.getKey() + " " + classes);
                }
            }
            LabelMap l = MultiOtsuOps.classify(f, MultiOtsuOps.thresholds(f, 3, 256), null);
            assertEquals(3, l.maxLabel());
        }
    }

    /** Brute-force objective over all threshold tuples, in double, with scikit-image's moment convention. */
    private static int[] bruteForce(float[] prob, int k) {
        int n = prob.length;
        double[] z = new double[n];
        double[] f = new double[n];
        z[0] = prob[0];
        f[0] = prob[0];
        for (int i = 1; i < n; i++) {
            z[i] = z[i - 1] + prob[i];
            f[i] = f[i - 1] + i * (double) prob[i];
        }
        int[] cur = new int[k];
        int[] best = new int[k];
        double[] bestScore = {Double.NEGATIVE_INFINITY};
        search(z, f, n, k, 0, 0, cur, best, bestScore);
        return best;
    }

    private static double score(double[] z, double[] f, int i, int j) {
        if (i == 0 && j == 0) {
            return 0; // the first-class-of-bin-0 quirk
        }
        double zz = z[j] - (i > 0 ? z[i - 1] : 0);
        double ff = f[j] - (i > 0 ? f[i - 1] : 0);
        return zz > 0 ? ff * ff / zz : 0;
    }

    private static void search(double[] z, double[] f, int n, int k, int t, int start, int[] cur, int[] best,
            double[] bestScore) {
        if (t == k) {
            double s = score(z, f, 0, cur[0]) + score(z, f, cur[k - 1] + 1, n - 1);
            for (int i = 0; i + 1 < k; i++) {
                s += score(z, f, cur[i] + 1, cur[i + 1]);
            }
            // A strictly better score by more than rounding noise replaces; the first of near-ties is kept.
            if (s > bestScore[0] + 1e-9) {
                bestScore[0] = s;
                System.arraycopy(cur, 0, best, 0, k);
            }
            return;
        }
        for (int c = start; c < n - k + t; c++) {
            cur[t] = c;
            search(z, f, n, k, t + 1, c + 1, cur, best, bestScore);
        }
    }

    @Test
    void dynamicProgrammingEqualsExhaustiveSearchOnRandomHistograms() {
        Random rnd = new Random(5);
        for (int trial = 0; trial < 150; trial++) {
            int n = 6 + rnd.nextInt(20);
            int classes = 2 + rnd.nextInt(Math.min(4, n - 3));
            float[] prob = new float[n];
            for (int i = 0; i < n; i++) {
                // Integer counts, some zero, so that exact ties over empty bins occur.
                prob[i] = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(50);
            }
            prob[0] = 1 + rnd.nextInt(5);
            int nonEmpty = 0;
            for (float p : prob) {
                nonEmpty += p > 0 ? 1 : 0;
            }
            if (nonEmpty <= classes) {
                continue;
            }
            assertArrayEquals(bruteForce(prob, classes - 1), MultiOtsuOps.thresholdIndices(prob, classes),
                    "trial " + trial);
        }
    }

    @Test
    void labelsCountThresholdsExceeded() {
        GrayU8 g = GrayU8.wrap(new byte[] {0, 10, 20, 30, 40, 50}, 6, 1);
        LabelMap l = MultiOtsuOps.classify(g, new int[] {10, 30}, null);
        assertArrayEquals(new int[] {1, 1, 2, 2, 3, 3}, l.data);
        // Exactly as many values as classes: the thresholds are all values but the largest.
        GrayU8 three = GrayU8.wrap(new byte[] {5, 5, 9, 9, 40, 40}, 6, 1);
        MultiOtsuResult r = MultiOtsuOps.segment(three, 3, null);
        assertArrayEquals(new int[] {5, 9}, r.thresholds());
        assertArrayEquals(new int[] {1, 1, 2, 2, 3, 3}, r.labels().data);
    }

    @Test
    void badInput() {
        GrayU8 g = TestImages.gray("camera");
        for (int c : new int[] {-1, 0, 1, 6}) {
            var e = assertThrows(IllegalArgumentException.class, () -> MultiOtsuOps.thresholds(g, c));
            assertTrue(e.getMessage().contains("2..5") && e.getMessage().contains("" + c), e.getMessage());
        }
        GrayU8 two = GrayU8.wrap(new byte[] {1, 2, 1, 2}, 2, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> MultiOtsuOps.thresholds(two, 3));
        assertTrue(e.getMessage().contains("only 2 distinct values"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MultiOtsuOps.classify(g, new int[] {5, 3}, null));
        GrayF32 f = new GrayF32(4, 4);
        f.set(1, 1, 1f);
        f.set(2, 2, 2f);
        assertThrows(IllegalArgumentException.class, () -> MultiOtsuOps.thresholds(f, 3, 2)); // bins < classes
        assertThrows(IllegalArgumentException.class, () -> MultiOtsuOps.thresholds(f, 4, 256)); // 3 values only
        assertThrows(IllegalArgumentException.class, () -> MultiOtsuOps.thresholds(new GrayF32(2, 2), 2, 256));
        f.set(0, 0, Float.NaN);
        var nan = assertThrows(IllegalArgumentException.class, () -> MultiOtsuOps.thresholds(f, 2, 256));
        assertTrue(nan.getMessage().contains("NaN"), nan.getMessage());
    }
}
