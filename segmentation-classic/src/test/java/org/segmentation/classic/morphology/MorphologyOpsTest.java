package org.segmentation.classic.morphology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.Mask;

class MorphologyOpsTest {

    /** Direct definition: outside the image counts as on for erosion and off for dilation. */
    private static Mask naive(Mask m, Footprint fp, boolean erode) {
        Mask out = new Mask(m.width, m.height);
        int r = fp.radius();
        for (int y = 0; y < m.height; y++) {
            for (int x = 0; x < m.width; x++) {
                boolean v = erode;
                for (int dy = -r; dy <= r; dy++) {
                    for (int dx = -r; dx <= r; dx++) {
                        if (!fp.contains(dx, dy)) {
                            continue;
                        }
                        int xx = x + dx;
                        int yy = y + dy;
                        boolean on = m.isInBounds(xx, yy) ? m.get(xx, yy) : erode;
                        v = erode ? v && on : v || on;
                    }
                }
                out.set(x, y, v);
            }
        }
        return out;
    }

    @Test
    void diskMatchesSkimageShape() {
        // skimage.morphology.disk(2) (x^2 + y^2 <= 4) has rows of widths 1, 3, 5, 3, 1.
        Footprint d = Footprint.disk(2);
        assertEquals(0, d.halfWidth(-2));
        assertEquals(1, d.halfWidth(-1));
        assertEquals(2, d.halfWidth(0));
        Footprint d3 = Footprint.disk(3);
        // dy=1: dx^2 <= 8 -> 2; dy=2: dx^2 <= 5 -> 2; dy=3: 0.
        assertEquals(3, d3.halfWidth(0));
        assertEquals(2, d3.halfWidth(1));
        assertEquals(2, d3.halfWidth(2));
        assertEquals(0, d3.halfWidth(3));
    }

    @Test
    void erodeDilateOpenCloseMatchDefinitionsOnRandomMasks() {
        Random rnd = new Random(23);
        for (int trial = 0; trial < 120; trial++) {
            int w = 1 + rnd.nextInt(18);
            int h = 1 + rnd.nextInt(18);
            Mask m = new Mask(w, h);
            double p = rnd.nextDouble();
            for (int i = 0; i < m.data.length; i++) {
                m.data[i] = (byte) (rnd.nextDouble() < p ? 1 : 0);
            }
            int r = rnd.nextInt(4);
            Footprint fp = rnd.nextBoolean() ? Footprint.disk(r) : Footprint.square(r);
            assertArrayEquals(naive(m, fp, true).data, MorphologyOps.erode(m, fp, null).data);
            assertArrayEquals(naive(m, fp, false).data, MorphologyOps.dilate(m, fp, null).data);
            assertArrayEquals(naive(naive(m, fp, true), fp, false).data, MorphologyOps.open(m, fp, null).data);
            assertArrayEquals(naive(naive(m, fp, false), fp, true).data, MorphologyOps.close(m, fp, null).data);
        }
    }

    @Test
    void fillHolesKeepsBorderConnectedBackground() {
        // A ring with holes at (2,1) and (3,2); (3,2) touches the outside only diagonally, through (4,3), which
        // does not count: background connectivity is 4.
        Mask m = Mask.wrap(new byte[] {
            0, 1, 1, 1, 0, 0,
            0, 1, 0, 1, 1, 0,
            0, 1, 1, 0, 1, 0,
            0, 0, 0, 1, 0, 0}, 6, 4);
        Mask f = MorphologyOps.fillHoles(m, null);
        assertArrayEquals(new byte[] {
            0, 1, 1, 1, 0, 0,
            0, 1, 1, 1, 1, 0,
            0, 1, 1, 1, 1, 0,
            0, 0, 0, 1, 0, 0}, f.data);
    }

    @Test
    void badInput() {
        assertThrows(IllegalArgumentException.class, () -> Footprint.disk(-1));
        Mask m = new Mask(3, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> MorphologyOps.erode(m, Footprint.square(1), m));
        assertTrue(e.getMessage().contains("input"));
    }
}
