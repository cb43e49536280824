package org.segmentation.classic.region;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.classic.TestImages;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.RgbU8;

class FloodFillTest {

    @Test
    @SuppressWarnings("unchecked")
    void equalsSkimageAndOpenCvOnRealGrayAndColourImages() {
        Map<String, Object> golden = TestImages.json("/golden/flood.json");
        assertEquals(7, golden.size());
        for (Map.Entry<String, Object> e : golden.entrySet()) {
            String name = e.getKey();
            Map<String, Object> g = (Map<String, Object>) e.getValue();
            List<Object> seed = (List<Object>) g.get("seed");
            Pixel p = new Pixel(((Double) seed.get(0)).intValue(), ((Double) seed.get(1)).intValue());
            double tol = (Double) g.get("tolerance");
            // bit 0: the 4-connected fill, bit 1: the 8-connected fill (skimage and OpenCV agree on gray images;
            // the script asserts it; colour images are OpenCV's per-channel fixed range).
            byte[] expected = ConvertImage.toGrayU8(TestImages.read("/golden/flood/" + name + "_flood.png"), null).data;
            for (Connectivity c : Connectivity.values()) {
                FloodFill fill = new FloodFill(FloodConfig.of(c, tol));
                Mask m = TestImages.isColour(name)
                        ? fill.process(TestImages.rgb(name), List.of(p), null, null)
                        : fill.process(TestImages.gray(name), List.of(p), null, null);
                int bit = c == Connectivity.FOUR ? 1 : 2;
                int mismatches = 0;
                for (int i = 0; i < m.data.length; i++) {
                    mismatches += ((expected[i] & bit) != 0) != (m.data[i] != 0) ? 1 : 0;
                }
                assertEquals(0, mismatches, name + " " + c);
                assertEquals(((Double) g.get(c == Connectivity.FOUR ? "4" : "8")).intValue(), m.countOn());
            }
        }
    }

    /** Breadth-first reference over the same predicate. */
    private static Mask naive(int[] v, int w, int h, List<Pixel> seeds, double tol, Connectivity c, Mask limit) {
        Mask out = new Mask(w, h);
        for (Pixel s : seeds) {
            int sv = v[s.y() * w + s.x()];
            boolean[] seen = new boolean[w * h];
            ArrayDeque<Pixel> q = new ArrayDeque<>();
            q.add(s);
            while (!q.isEmpty()) {
                Pixel p = q.poll();
                int i = p.y() * w + p.x();
                if (seen[i] || Math.abs(v[i] - sv) > tol || (limit != null && !limit.get(p.x(), p.y()))) {
                    continue;
                }
                seen[i] = true;
                out.set(p.x(), p.y(), true);
                for (int k = 0; k < c.size(); k++) {
                    int x = p.x() + c.dx(k);
                    int y = p.y() + c.dy(k);
                    if (x >= 0 && y >= 0 && x < w && y < h) {
                        q.add(new Pixel(x, y));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void allPixelTypesMatchBreadthFirstReferenceOnRandomImages() {
        Random rnd = new Random(17);
        for (int trial = 0; trial < 200; trial++) {
            int w = 1 + rnd.nextInt(25);
            int h = 1 + rnd.nextInt(25);
            int[] v = new int[w * h];
            GrayU8 u8 = new GrayU8(w, h);
            GrayU16 u16 = new GrayU16(w, h);
            GrayF32 f32 = new GrayF32(w, h);
            RgbU8 rgb = new RgbU8(w, h);
            for (int i = 0; i < v.length; i++) {
                v[i] = rnd.nextInt(8);
                u8.data[i] = (byte) v[i];
                u16.data[i] = (short) (v[i] * 1000);
                f32.data[i] = v[i];
                rgb.data[3 * i] = (byte) v[i]; // red carries the value, green/blue are constant
                rgb.data[3 * i + 1] = 7;
            }
            Mask limit = null;
            if (rnd.nextBoolean()) {
                limit = new Mask(w, h);
                for (int i = 0; i < limit.data.length; i++) {
                    limit.data[i] = (byte) (rnd.nextInt(5) == 0 ? 0 : 1);
                }
            }
            List<Pixel> seeds = List.of(new Pixel(rnd.nextInt(w), rnd.nextInt(h)),
                    new Pixel(rnd.nextInt(w), rnd.nextInt(h)));
            int tol = rnd.nextInt(3);
            Connectivity c = rnd.nextBoolean() ? Connectivity.FOUR : Connectivity.EIGHT;
            Mask expected = naive(v, w, h, seeds, tol, c, limit);
            FloodFill fill = new FloodFill(FloodConfig.of(c, tol));
            assertArrayEquals(expected.data, fill.process(u8, seeds, limit, null).data, "u8 trial " + trial);
            assertArrayEquals(expected.data, fill.process(f32, seeds, limit, null).data, "f32 trial " + trial);
            assertArrayEquals(expected.data, fill.process(rgb, seeds, limit, null).data, "rgb trial " + trial);
            FloodFill fill16 = new FloodFill(FloodConfig.of(c, tol * 1000 + 999));
            assertArrayEquals(expected.data, fill16.process(u16, seeds, limit, null).data, "u16 trial " + trial);
        }
    }

    /**
     * Sub-images for the image, the limiting mask and the output, one reused {@link FloodFill} over shapes that
     * shrink and grow (its visited marks must be clear again after each seed) and up to six seeds, every
     * connectivity and pixel type, against the breadth-first reference.
     */
    @Test
    void subImagesReuseAndManySeedsMatchReference() {
        Random rnd = new Random(23);
        for (Connectivity c : Connectivity.values()) {
            for (int tol = 0; tol <= 2; tol++) {
                FloodFill fill = new FloodFill(FloodConfig.of(c, tol));
                FloodFill fill16 = new FloodFill(FloodConfig.of(c, tol * 1000 + 999));
                for (int trial = 0; trial < 60; trial++) {
                    int w = 1 + rnd.nextInt(30);
                    int h = 1 + rnd.nextInt(30);
                    int x0 = rnd.nextInt(4);
                    int y0 = rnd.nextInt(4);
                    int pw = w + x0 + rnd.nextInt(4);
                    int ph = h + y0 + rnd.nextInt(4);
                    GrayU8 u8p = new GrayU8(pw, ph);
                    GrayU16 u16p = new GrayU16(pw, ph);
                    GrayF32 f32p = new GrayF32(pw, ph);
                    RgbU8 rgbp = new RgbU8(pw, ph);
                    Mask limp = new Mask(pw, ph);
                    for (int i = 0; i < pw * ph; i++) {
                        int v = rnd.nextInt(5);
                        u8p.data[i] = (byte) v;
                        u16p.data[i] = (short) (v * 1000);
                        f32p.data[i] = v;
                        rgbp.data[3 * i] = (byte) v;
                        rgbp.data[3 * i + 2] = 3;
                        limp.data[i] = (byte) (rnd.nextInt(6) == 0 ? 0 : 1);
                    }
                    GrayU8 u8 = u8p.subimage(x0, y0, x0 + w, y0 + h);
                    int[] v = new int[w * h];
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            v[y * w + x] = u8.unsafe_get(x, y);
                        }
                    }
                    Mask limit = rnd.nextBoolean() ? limp.subimage(x0, y0, x0 + w, y0 + h) : null;
                    Pixel[] s = new Pixel[1 + rnd.nextInt(6)];
                    for (int k = 0; k < s.length; k++) {
                        s[k] = new Pixel(rnd.nextInt(w), rnd.nextInt(h));
                    }
                    List<Pixel> seeds = List.of(s);
                    Mask expected = naive(v, w, h, seeds, tol, c, limit);
                    String what = c + " tol " + tol + " trial " + trial;
                    // The output is a sub-image too, pre-filled with ones that the fill must clear.
                    Mask dstp = new Mask(pw, ph).fill(true);
                    Mask dst = dstp.subimage(x0, y0, x0 + w, y0 + h);
                    assertArrayEquals(expected.data, fill.process(u8, seeds, limit, dst).copy().data, "u8 " + what);
                    assertEquals(pw * ph - w * h + expected.countOn(), dstp.countOn(), "outside the view " + what);
                    assertArrayEquals(expected.data, fill.process(f32p.subimage(x0, y0, x0 + w, y0 + h), seeds,
                            limit, null).data, "f32 " + what);
                    assertArrayEquals(expected.data, fill.process(rgbp.subimage(x0, y0, x0 + w, y0 + h), seeds,
                            limit, null).data, "rgb " + what);
                    assertArrayEquals(expected.data, fill16.process(u16p.subimage(x0, y0, x0 + w, y0 + h), seeds,
                            limit, null).data, "u16 " + what);
                }
            }
        }
    }

    @Test
    void perChannelToleranceAndDiagonalOnlyLink() {
        // (0,0) and (1,1) touch only by a corner; green differs by 5 at (1,1).
        RgbU8 img = new RgbU8(2, 2);
        img.set(0, 0, 100, 100, 100);
        img.set(1, 1, 100, 105, 100);
        img.set(1, 0, 0, 0, 0);
        img.set(0, 1, 0, 0, 0);
        List<Pixel> seed = List.of(new Pixel(0, 0));
        assertEquals(1, new FloodFill(FloodConfig.of(Connectivity.EIGHT, 4)).process(img, seed, null, null).countOn());
        assertEquals(2, new FloodFill(new FloodConfig(Connectivity.EIGHT, new double[] {0, 5, 0}))
                .process(img, seed, null, null).countOn());
        assertEquals(1, new FloodFill(new FloodConfig(Connectivity.FOUR, new double[] {0, 5, 0}))
                .process(img, seed, null, null).countOn());
    }

    @Test
    void badInput() {
        FloodFill fill = new FloodFill(new FloodConfig());
        GrayU8 g = new GrayU8(4, 3);
        var e = assertThrows(IllegalArgumentException.class,
                () -> fill.process(g, List.of(new Pixel(4, 0)), null, null));
        assertTrue(e.getMessage().contains("(4, 0)") && e.getMessage().contains("4x3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fill.process(g, List.of(new Pixel(0, -1)), null, null));
        assertThrows(IllegalArgumentException.class, () -> fill.process(g, List.of(), null, null));
        e = assertThrows(IllegalArgumentException.class,
                () -> fill.process(g, List.of(new Pixel(0, 0)), new Mask(3, 3), null));
        assertTrue(e.getMessage().contains("3x3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FloodConfig.of(Connectivity.FOUR, -1));
        assertThrows(IllegalArgumentException.class, () -> FloodConfig.of(Connectivity.FOUR, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new FloodConfig(Connectivity.FOUR, new double[2]));
        assertThrows(IllegalArgumentException.class, () -> new FloodFill(new FloodConfig(Connectivity.FOUR,
                new double[3])).process(g, List.of(new Pixel(0, 0)), null, null));
        GrayF32 f = new GrayF32(2, 2);
        f.set(1, 1, Float.NaN);
        e = assertThrows(IllegalArgumentException.class, () -> fill.process(f, List.of(new Pixel(1, 1)), null, null));
        assertTrue(e.getMessage().contains("NaN"));
        // NaN pixels never join: the 2x2 zero image minus its NaN corner.
        assertEquals(3, fill.process(f, List.of(new Pixel(0, 0)), null, null).countOn());
        // A seed outside the limiting mask fills nothing.
        assertEquals(0, fill.process(g, List.of(new Pixel(0, 0)), new Mask(4, 3), null).countOn());
    }
}
