package org.segmentation.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.GrayU8;

class GradientOpsTest {
    @Test
    void sobelOfARampIsTwiceItsSlopeInsideAndItsSlopeAtTheReplicatedEdges() {
        GrayU8 g = new GrayU8(8, 5);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 8; x++) {
                g.set(x, y, 10 * x);
            }
        }
        GrayU8 s = GradientOps.sobelMagnitude(g, null);
        // Inside: gx = 4 * (10 * 2) = 80, /4 = 20; at the replicated edges the step is one pixel: 10.
        for (int y = 0; y < 5; y++) {
            assertEquals(10, s.get(0, y));
            for (int x = 1; x < 7; x++) {
                assertEquals(20, s.get(x, y), x + "," + y);
            }
            assertEquals(10, s.get(7, y));
        }
    }

    @Test
    void sobelEqualsTheDefinitionOnRandomImagesAndClipsAt255() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 20; trial++) {
            int w = 1 + rnd.nextInt(9);
            int h = 1 + rnd.nextInt(9);
            GrayU8 g = new GrayU8(w, h);
            for (int i = 0; i < g.data.length; i++) {
                g.data[i] = (byte) (rnd.nextBoolean() ? 0 : 255);
            }
            GrayU8 s = GradientOps.sobelMagnitude(g, null);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double gx = 0;
                    double gy = 0;
                    int[] wts = {1, 2, 1};
                    for (int k = -1; k <= 1; k++) {
                        gx += wts[k + 1] * (px(g, x + 1, y + k) - px(g, x - 1, y + k));
                        gy += wts[k + 1] * (px(g, x + k, y + 1) - px(g, x + k, y - 1));
                    }
                    long expected = Math.min(255, Math.round(Math.hypot(gx, gy) / 4));
                    assertEquals(expected, s.get(x, y), "trial " + trial + " at " + x + "," + y);
                }
            }
        }
    }

    @Test
    void sobelOfAConstantIsZeroAndTheInputCannotBeTheOutput() {
        GrayU8 g = new GrayU8(4, 4);
        g.fill(77);
        GrayU8 s = GradientOps.sobelMagnitude(g, new GrayU8(2, 2));
        assertEquals(4, s.width);
        for (int i = 0; i < s.data.length; i++) {
            assertEquals(0, s.data[i]);
        }
        assertThrows(IllegalArgumentException.class, () -> GradientOps.sobelMagnitude(g, g));
    }

    /** Pixel with replicated borders. */
    private static int px(GrayU8 g, int x, int y) {
        return g.get(Math.min(Math.max(x, 0), g.width - 1), Math.min(Math.max(y, 0), g.height - 1));
    }
}
