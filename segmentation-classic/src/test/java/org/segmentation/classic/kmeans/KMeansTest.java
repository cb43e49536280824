package org.segmentation.classic.kmeans;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.classic.TestImages;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.RgbU8;

class KMeansTest {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KMeansTest.class);

    /** Config as in make_golden.py: 100 iterations, epsilon 1e-3, 3 attempts. */
    private static KMeans kmeans(int k, long seed) {
        return new KMeans(new KMeansConfig(k, 100, 1e-3, 3, seed, 2));
    }

    @Test
    void inertiaWithinOnePercentOfOpenCvOnRealImages() {
        Map<String, Object> golden = TestImages.json("/golden/kmeans.json");
        assertEquals(26, golden.size());
        double worst = 0;
        for (Map.Entry<String, Object> e : golden.entrySet()) {
            String[] key = e.getKey().split("/");
            String name = key[0];
            int k = Integer.parseInt(key[2]);
            double expected = (Double) e.getValue();
            // Best of three seeds, as the golden is the best of three OpenCV seeds: single runs of either library
            // often end in local minima a few percent apart (gray with k = 8 most), the best of nine is stable.
            double[] runs = new double[3];
            for (int seed = 0; seed < runs.length; seed++) {
                if (key[1].equals("gray")) {
                    runs[seed] = kmeans(k, seed).segment(TestImages.gray(name), 0, null).clustering().inertia();
                } else {
                    FeatureSpace space = key[1].equals("lab") ? FeatureSpace.LAB : FeatureSpace.RGB;
                    double weight = key[1].equals("rgbxy") ? 0.5 : 0;
                    runs[seed] = kmeans(k, seed).segment(TestImages.rgb(name), space, weight, null).clustering()
                            .inertia();
                }
            }
            double best = Math.min(runs[0], Math.min(runs[1], runs[2]));
            double rel = (best - expected) / expected;
            LOG.info("k-means {}: best inertia {} vs OpenCV {} ({} %)", e.getKey(), best, expected, 100 * rel);
            worst = Math.max(worst, Math.abs(rel));
            // The acceptance: within 1% of cv2.kmeans with the same k, attempts and k-means++ seeding.
            // Inertia is what k-means minimises, so only "worse by more than 1%" is a failure; a lower inertia is a
            // better clustering, not a disagreement (camera gray k=8 is 1.3% lower than OpenCV's best of three:
            // OpenCV's own best-of-3-attempts results over 12 seeds spread from 3.054e6 to 3.134e6 there). The
            // result is deterministic (seeded, fixed summation order), so this check cannot flicker.
            double tolerance = 0.01;
            assertTrue(best <= (1 + tolerance) * expected, e.getKey() + ": " + best + " vs " + expected);
        }
        LOG.info("k-means: largest relative inertia difference to OpenCV {} %", 100 * worst);
    }

    @Test
    void sameSeedSameResultWhateverTheParallelism() {
        RgbU8 img = TestImages.rgb("chelsea");
        KMeansConfig c = new KMeansConfig(5, 20, 0, 2, 7L, 1);
        KMeansSegmentation a = new KMeans(c).segment(img, FeatureSpace.RGB, 0, null);
        KMeansSegmentation b = new KMeans(c.withParallelism(3)).segment(img, FeatureSpace.RGB, 0, null);
        assertArrayEquals(a.labels().data, b.labels().data);
        assertArrayEquals(a.clustering().centers(), b.clustering().centers(), 0.0);
        assertEquals(a.clustering().inertia(), b.clustering().inertia(), 0.0);
        KMeansSegmentation other = new KMeans(c.withSeed(8L)).segment(img, FeatureSpace.RGB, 0, null);
        assertTrue(other.labels().maxLabel() == 5 && other.labels().data.length == a.labels().data.length);
    }

    @Test
    void separatedBlobsAreRecoveredExactly() {
        // Three tight groups far apart: every restart converges to the groups; centres are the group means.
        float[] x = {0, 0, 1, 0, 0, 1, 100, 100, 101, 100, 100, 101, 0, 200, 1, 200};
        KMeansResult r = new KMeans(new KMeansConfig(3, 50, 0, 2, 1L, 1)).cluster(x, 8, 2);
        int[] a = r.assignment();
        assertTrue(a[0] == a[1] && a[1] == a[2] && a[3] == a[4] && a[4] == a[5] && a[6] == a[7]);
        assertTrue(a[0] != a[3] && a[3] != a[6] && a[0] != a[6]);
        assertEquals(100 + 1 / 3.0, r.center(a[3], 0), 1e-9); // mean of 100, 101, 100; 1e-9 covers rounding
        // Inertia: each triple has squared distances summing to 4/3, the pair to 1/2.
        assertEquals(4 / 3.0 + 4 / 3.0 + 0.5, r.inertia(), 1e-9);
    }

    @Test
    void lloydMatchesNaiveStepsFromTheSameStart() {
        // With k = n every point is its own cluster: inertia 0 and each centre equals its point.
        Random rnd = new Random(2);
        float[] x = new float[12 * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextInt(1000);
        }
        KMeansResult r = new KMeans(new KMeansConfig(12, 10, 0, 1, 3L, 1)).cluster(x, 12, 3);
        assertEquals(0.0, r.inertia(), 0.0);
        for (int i = 0; i < 12; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(x[i * 3 + j], r.center(r.assignment()[i], j), 0.0);
            }
        }
    }

    @Test
    void emptyClusterIsReseededFromTheFarthestPoint() {
        // Start from centres 0, 10, 100 on the points 0, 1, 10, 11: the centre at 100 gets no point. The points
        // farthest from their centre are 1 and 11 (distance 1); the first, 1, re-seeds cluster 2. Then Lloyd
        // converges to {0}, {10, 11}, {1}: inertia 2 * 0.5^2.
        float[] x = {0, 1, 10, 11};
        KMeansResult r = new KMeans(new KMeansConfig(3, 20, 0, 1, 0L, 1)).refine(x, 4, 1, new double[] {0, 10, 100});
        assertArrayEquals(new int[] {0, 2, 1, 1}, r.assignment());
        assertArrayEquals(new double[] {0, 10.5, 1}, r.centers(), 0.0);
        assertEquals(0.5, r.inertia(), 0.0);
    }

    @Test
    void spatialFeaturesAndGrayLabels() {
        GrayU8 g = new GrayU8(8, 2); // flat image: with a spatial weight the halves separate by x
        KMeansSegmentation s = new KMeans(new KMeansConfig(2, 50, 0, 3, 0L, 1)).segment(g, 1.0, null);
        LabelMap l = s.labels();
        assertEquals(l.get(0, 0), l.get(3, 1));
        assertEquals(l.get(4, 0), l.get(7, 1));
        assertTrue(l.get(0, 0) != l.get(7, 0));
        assertTrue(l.get(0, 0) >= 1 && l.get(0, 0) <= 2); // labels are cluster + 1
    }

    @Test
    void subImageEqualsItsCopy() {
        RgbU8 img = TestImages.rgb("coffee").subimage(20, 10, 120, 90);
        KMeans km = new KMeans(new KMeansConfig(3, 30, 0, 1, 5L, 1));
        KMeansSegmentation a = km.segment(img, FeatureSpace.LAB, 0.3, null);
        KMeansSegmentation b = km.segment(img.copy(), FeatureSpace.LAB, 0.3, null);
        assertArrayEquals(b.labels().data, a.labels().data);
        assertEquals(b.clustering().inertia(), a.clustering().inertia(), 0.0);
    }

    @Test
    void badInput() {
        var e = assertThrows(IllegalArgumentException.class, () -> KMeansConfig.of(0));
        assertTrue(e.getMessage().contains("k must be >= 1, got 0"));
        assertThrows(IllegalArgumentException.class, () -> KMeansConfig.of(-2));
        e = assertThrows(IllegalArgumentException.class,
                () -> new KMeans(KMeansConfig.of(7)).segment(new GrayU8(2, 3), 0, null));
        assertTrue(e.getMessage().contains("k=7") && e.getMessage().contains("6"), e.getMessage());
        float[] x = {1, Float.NaN};
        e = assertThrows(IllegalArgumentException.class, () -> new KMeans(KMeansConfig.of(1)).cluster(x, 2, 1));
        assertTrue(e.getMessage().contains("NaN"));
        assertThrows(IllegalArgumentException.class, () -> new KMeans(KMeansConfig.of(1)).cluster(x, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> new KMeansConfig(2, 0, 0, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new KMeansConfig(2, 1, -1, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new KMeansConfig(2, 1, 0, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new KMeansConfig(2, 1, 0, 1, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new KMeans(KMeansConfig.of(2)).segment(new GrayU8(3, 3), -1, null));
    }
}
