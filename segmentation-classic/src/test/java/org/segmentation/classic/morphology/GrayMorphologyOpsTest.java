package org.segmentation.classic.morphology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.classic.TestImages;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU8;

class GrayMorphologyOpsTest {

    private static int reflect(int i, int n) {
        while (i < 0 || i >= n) {
            i = i < 0 ? -i - 1 : 2 * n - 1 - i;
        }
        return i;
    }

    private static GrayU8 naive(GrayU8 g, Footprint fp, boolean min) {
        GrayU8 out = new GrayU8(g.width, g.height);
        int r = fp.radius();
        for (int y = 0; y < g.height; y++) {
            for (int x = 0; x < g.width; x++) {
                int v = min ? 255 : 0;
                for (int dy = -r; dy <= r; dy++) {
                    for (int dx = -r; dx <= r; dx++) {
                        if (fp.contains(dx, dy)) {
                            int u = g.get(reflect(x + dx, g.width), reflect(y + dy, g.height));
                            v = min ? Math.min(v, u) : Math.max(v, u);
                        }
                    }
                }
                out.set(x, y, v);
            }
        }
        return out;
    }

    @Test
    void erodeAndDilateMatchDefinitionWithReflectedBorder() {
        Random rnd = new Random(31);
        for (int trial = 0; trial < 80; trial++) {
            GrayU8 g = new GrayU8(1 + rnd.nextInt(15), 1 + rnd.nextInt(15));
            for (int i = 0; i < g.data.length; i++) {
                g.data[i] = (byte) rnd.nextInt(256);
            }
            int r = rnd.nextInt(5);
            Footprint fp = rnd.nextBoolean() ? Footprint.disk(r) : Footprint.square(r);
            assertArrayEquals(naive(g, fp, true).data, GrayMorphologyOps.erode(g, fp, null).data, "trial " + trial);
            assertArrayEquals(naive(g, fp, false).data, GrayMorphologyOps.dilate(g, fp, null).data, "trial " + trial);
        }
    }

    @Test
    void whiteTopHatEqualsSkimageOnCoins() {
        GrayU8 expected = ConvertImage.toGrayU8(TestImages.read("/golden/markers/coins_tophat30.png"), null);
        GrayU8 actual = GrayMorphologyOps.whiteTopHat(TestImages.gray("coins"), Footprint.disk(30), null);
        assertArrayEquals(expected.data, actual.data);
    }
}
