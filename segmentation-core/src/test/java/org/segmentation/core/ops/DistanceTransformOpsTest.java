package org.segmentation.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.Mask;

class DistanceTransformOpsTest {

    /** Brute force: minimum over all feature pixels. */
    private static double naive(Mask m, boolean featureIsOn, int x, int y) {
        double best = Double.POSITIVE_INFINITY;
        for (int v = 0; v < m.height; v++) {
            for (int u = 0; u < m.width; u++) {
                if (m.get(u, v) == featureIsOn) {
                    best = Math.min(best, Math.hypot(u - x, v - y));
                }
            }
        }
        return best;
    }

    @Test
    void matchesBruteForceOnRandomMasksIncludingOddAndDegenerateShapes() {
        Random rnd = new Random(42);
        for (int trial = 0; trial < 200; trial++) {
            int w = 1 + rnd.nextInt(13);
            int h = 1 + rnd.nextInt(13);
            double density = rnd.nextDouble();
            Mask big = new Mask(w + 2, h + 2);
            for (int i = 0; i < big.data.length; i++) {
                big.data[i] = (byte) (rnd.nextDouble() < density ? 1 : 0);
            }
            // Run on a sub-image to check stride handling too.
            Mask m = big.subimage(1, 1, w + 1, h + 1);
            GrayF32 edt = DistanceTransformOps.edt(m, null);
            GrayF32 toOn = DistanceTransformOps.distanceToOn(m, null);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    // Float holds sqrt of these small integers to 1 ulp: 1e-5 absolute is generous.
                    assertEquals(naive(m, false, x, y), edt.get(x, y), 1e-5, "edt at " + x + "," + y);
                    assertEquals(naive(m, true, x, y), toOn.get(x, y), 1e-5, "toOn at " + x + "," + y);
                }
            }
        }
    }

    @Test
    void singleBackgroundPixel() {
        Mask m = new Mask(5, 4).fill(true);
        m.set(0, 0, false);
        GrayF32 d = DistanceTransformOps.edt(m, null);
        assertEquals(Math.hypot(4, 3), d.get(4, 3), 1e-6);
        assertEquals(0f, d.get(0, 0));
    }
}
