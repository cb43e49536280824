package org.segmentation.core.coco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.Mask;

class CocoRleTest {
    /** Written by golden/coco/make_coco_goldens.py with pycocotools' mask API. */
    private static JsonNode goldens() throws IOException {
        try (InputStream in = CocoRleTest.class.getResourceAsStream("/golden/coco/coco_goldens.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).intValue();
        }
        return v;
    }

    private static Mask mask(String rowMajor, int h, int w) {
        Mask m = new Mask(w, h);
        for (int i = 0; i < rowMajor.length(); i++) {
            m.data[i] = (byte) (rowMajor.charAt(i) - '0');
        }
        return m;
    }

    @Test
    void handBuiltMaskIsColumnMajorAndStartsWithZeros() {
        // 3 rows, 2 columns: column 0 = (1, 1, 0), column 1 = (0, 1, 1)
        Mask m = mask("10" + "11" + "01", 3, 2);
        CocoRle rle = CocoRle.encode(m);
        assertArrayEquals(new int[] {0, 2, 2, 2}, rle.counts());
        assertEquals(4, rle.area());
        assertArrayEquals(new int[] {0, 0, 2, 3}, rle.bbox());
        assertArrayEquals(m.data, rle.decode(null).data);
        // a mask that ends on: no trailing zero run
        assertArrayEquals(new int[] {5, 1}, CocoRle.encode(mask("00" + "00" + "01", 3, 2)).counts());
        assertArrayEquals(new int[] {6}, CocoRle.encode(new Mask(2, 3)).counts());
    }

    @Test
    void compressedStringOfHandBuiltCounts() {
        // counts 0..31 fit one 5-bit group; 32 needs two; differences from the 3rd count on may be negative
        assertEquals("01", CocoRle.of(1, 1, new int[] {0, 1}).toCompressedString());
        assertEquals("P1", CocoRle.of(32, 1, new int[] {32}).toCompressedString());   // 0x20|0, then 1
        // 3, 5, 1, 2: the 4th is written as its difference 2 - 5 = -3, the 5-bit group 0x1d
        CocoRle r = CocoRle.of(11, 1, new int[] {3, 5, 1, 2});
        assertEquals("351M", r.toCompressedString());
        assertEquals(r, CocoRle.fromCompressedString("351M", 11, 1));
    }

    @Test
    void matchesPycocotoolsOnRandomMasks() throws IOException {
        JsonNode masks = goldens().get("masks");
        assertEquals(40, masks.size());
        for (JsonNode c : masks) {
            int h = c.get("height").intValue();
            int w = c.get("width").intValue();
            Mask m = mask(c.get("mask").textValue(), h, w);
            CocoRle rle = CocoRle.encode(m);
            String where = h + "x" + w + " " + c.get("string").textValue();
            assertArrayEquals(ints(c.get("counts")), rle.counts(), where);
            assertEquals(c.get("string").textValue(), rle.toCompressedString(), where);
            assertEquals(rle, CocoRle.fromCompressedString(c.get("string").textValue(), h, w), where);
            assertEquals(c.get("area").longValue(), rle.area(), where);
            int[] box = rle.bbox();
            for (int k = 0; k < 4; k++) {
                assertEquals(c.get("bbox").get(k).doubleValue(), box[k], where);
            }
            assertArrayEquals(m.data, rle.decode(null).data, where);
        }
    }

    /** The union on runs against the union of the decoded masks, on random masks of few and many runs. */
    @Test
    void unionOnRunsIsTheUnionOfTheMasks() {
        Random rng = new Random(5);
        for (int trial = 0; trial < 300; trial++) {
            int h = 1 + rng.nextInt(9);
            int w = 1 + rng.nextInt(9);
            int k = 1 + rng.nextInt(5);
            CocoRle[] parts = new CocoRle[k];
            Mask expected = new Mask(w, h);
            for (int p = 0; p < k; p++) {
                Mask m = new Mask(w, h);
                double density = rng.nextDouble();
                for (int i = 0; i < m.data.length; i++) {
                    m.data[i] = (byte) (rng.nextDouble() < density ? 1 : 0);
                    expected.data[i] |= m.data[i];
                }
                parts[p] = CocoRle.encode(m);
            }
            CocoRle union = CocoRle.union(parts);
            assertEquals(CocoRle.encode(expected), union, "trial " + trial);
            assertArrayEquals(expected.data, union.decode(null).data);
        }
        // counts with empty runs inside and at the end come out in encode's form
        CocoRle odd = CocoRle.of(2, 3, new int[] {1, 0, 2, 3, 0});
        assertArrayEquals(new int[] {3, 3}, CocoRle.union(odd).counts());
        assertArrayEquals(new int[] {0, 6}, CocoRle.union(odd, CocoRle.of(2, 3, new int[] {0, 3, 3})).counts());
    }

    /**
     * An annotation of many polygons: the union is taken on the runs (it used to decode every polygon at the
     * image's size, 20000 x 1 MPixel here), and the polygons' boundaries together are held to the limit.
     */
    @Test
    void manyPolygonsAreUnitedOnTheirRunsWithinOneBudget() {
        double[][] small = new double[20000][];
        for (int p = 0; p < small.length; p++) {
            double x = p % 997;
            double y = p / 997 * 40;
            small[p] = new double[] {x, y, x + 2, y, x + 2, y + 2, x, y + 2};
        }
        long t0 = System.nanoTime();
        CocoRle u = CocoRle.fromPolygons(small, 1000, 1000);
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "in moments");
        Mask m = u.decode(null);
        assertTrue(m.unsafe_get(0, 0) && m.unsafe_get(997, 1) && !m.unsafe_get(998, 0) && m.unsafe_get(5, 761),
                "squares on rows 0 and 760");
        // 20 bands of 997 overlapping 2 x 2 squares (998 x 2 pixels) and one of 60 (61 x 2)
        assertEquals(20 * 998 * 2 + 61 * 2, u.area());
        // triangles across a 4000 x 4000 image, 60003 boundary steps each: 280 fit the budget, 280 do not
        double[] across = {0, 0, 4000, 0, 0, 4000};
        double[][] many = new double[300][];
        java.util.Arrays.fill(many, across);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CocoRle.fromPolygons(many, 4000, 4000));
        assertEquals("polygons 0..279 of 300: their boundaries take 16800840 steps at 5x scale, more than the limit"
                + " of 16777216 for one annotation", e.getMessage());
        assertEquals(CocoRle.fromPolygon(across, 4000, 4000),
                CocoRle.fromPolygons(java.util.Arrays.copyOf(many, 279), 4000, 4000));
        e = assertThrows(IllegalArgumentException.class, () -> CocoRle.fromPolygons(new double[][] {across,
                {0, 0, 1, 1}}, 4000, 4000));
        assertEquals("polygon 1: a polygon needs an even number of at least 6 coordinates, got 4", e.getMessage());
    }

    @Test
    void polygonsRasteriseAsPycocotools() throws IOException {
        JsonNode cases = goldens().get("polygons");
        assertEquals(36, cases.size());
        int onPixels = 0;
        for (JsonNode c : cases) {
            int h = c.get("height").intValue();
            int w = c.get("width").intValue();
            CocoRle[] parts = new CocoRle[c.get("polygons").size()];
            for (int p = 0; p < parts.length; p++) {
                JsonNode poly = c.get("polygons").get(p);
                double[] xy = new double[poly.size()];
                for (int i = 0; i < xy.length; i++) {
                    xy[i] = poly.get(i).doubleValue();
                }
                parts[p] = CocoRle.fromPolygon(xy, h, w);
            }
            CocoRle rle = CocoRle.union(parts);
            assertArrayEquals(ints(c.get("counts")), rle.counts(), c.get("polygons").toString());
            assertEquals(c.get("string").textValue(), rle.toCompressedString());
            onPixels += rle.area();
        }
        assertTrue(onPixels > 1000, "the cases cover real areas, not only empty masks: " + onPixels);
    }

    @Test
    void axisAlignedSquareCoversThePixelsItsCentresLieIn() {
        // [1, 3] x [1, 3] contains the centres (1.5, 1.5) .. (2.5, 2.5): pixels x, y in {1, 2}
        Mask m = CocoRle.fromPolygon(new double[] {1, 1, 3, 1, 3, 3, 1, 3}, 5, 4).decode(null);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(x >= 1 && x <= 2 && y >= 1 && y <= 2, m.get(x, y), x + "," + y);
            }
        }
    }

    @Test
    void randomRoundTrips() {
        Random rng = new Random(13);
        for (int trial = 0; trial < 200; trial++) {
            int h = 1 + rng.nextInt(40);
            int w = 1 + rng.nextInt(40);
            Mask m = new Mask(w, h);
            double p = rng.nextDouble();
            for (int i = 0; i < m.data.length; i++) {
                m.data[i] = (byte) (rng.nextDouble() < p ? 1 : 0);
            }
            CocoRle rle = CocoRle.encode(m);
            assertEquals(m.countOn(), rle.area());
            assertEquals(rle, CocoRle.fromCompressedString(rle.toCompressedString(), h, w));
            assertArrayEquals(m.data, rle.decode(null).data);
        }
    }

    @Test
    void badRlesAreRejectedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CocoRle.of(2, 2, new int[] {1, 2}));
        assertTrue(e.getMessage().contains("sum to 3") && e.getMessage().contains("4 pixels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CocoRle.of(2, 2, new int[] {5, -1}));
        assertTrue(e.getMessage().contains("count 1 is negative"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CocoRle.fromCompressedString("3 1", 2, 2));
        assertTrue(e.getMessage().contains("character ' ' at 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CocoRle.fromCompressedString("0P", 2, 2));
        assertTrue(e.getMessage().contains("ends inside count 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CocoRle.fromCompressedString("05", 2, 2));
        assertTrue(e.getMessage().contains("sum to 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CocoRle.fromCompressedString("14O", 2, 2));
        assertTrue(e.getMessage().contains("count 2 is -"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CocoRle.fromPolygon(new double[] {0, 0, 5.5, 0, 0, 3}, 4, 5));
        assertTrue(e.getMessage().contains("vertex 1 (5.5, 0.0)") && e.getMessage().contains("5x4"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CocoRle.fromPolygon(new double[] {0, 0, 1, 1}, 4, 5));
        assertTrue(e.getMessage().contains("at least 6"), e.getMessage());
    }

    @Test
    void iouFromRunsEqualsIouFromPixels() {
        Random rng = new Random(29);
        for (int trial = 0; trial < 60; trial++) {
            int h = 1 + rng.nextInt(20);
            int w = 1 + rng.nextInt(20);
            int nd = rng.nextInt(4);
            int ng = rng.nextInt(4);
            CocoRle[] d = new CocoRle[nd];
            CocoRle[] g = new CocoRle[ng];
            boolean[][] dp = new boolean[nd][];
            boolean[][] gp = new boolean[ng][];
            boolean[] crowd = new boolean[ng];
            for (int k = 0; k < nd + ng; k++) {
                Mask m = new Mask(w, h);
                double p = rng.nextDouble();
                boolean[] px = new boolean[w * h];
                for (int i = 0; i < m.data.length; i++) {
                    px[i] = rng.nextDouble() < p;
                    m.data[i] = (byte) (px[i] ? 1 : 0);
                }
                if (k < nd) {
                    d[k] = CocoRle.encode(m);
                    dp[k] = px;
                } else {
                    g[k - nd] = CocoRle.encode(m);
                    gp[k - nd] = px;
                    crowd[k - nd] = rng.nextBoolean();
                }
            }
            double[][] runs = CocoRle.iou(d, g, crowd);
            double[][] pixels = org.segmentation.core.metrics.CocoAveragePrecision.maskIou(dp, gp, crowd);
            for (int a = 0; a < nd; a++) {
                assertArrayEquals(pixels[a], runs[a], 0, "trial " + trial);
            }
            if (nd > 0 && ng > 0) {
                int inter = 0;
                for (int i = 0; i < w * h; i++) {
                    inter += dp[0][i] && gp[0][i] ? 1 : 0;
                }
                assertEquals(inter, d[0].intersectionArea(g[0]));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> CocoRle.of(2, 2, new int[] {4})
                .intersectionArea(CocoRle.of(1, 4, new int[] {4})));
    }
}
