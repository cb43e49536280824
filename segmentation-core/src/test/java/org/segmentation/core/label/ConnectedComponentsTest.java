package org.segmentation.core.label;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

class ConnectedComponentsTest {

    private static BufferedImage read(String name) throws IOException {
        try (InputStream in = ConnectedComponentsTest.class.getResourceAsStream("/golden/label/" + name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return ImageIO.read(in);
        }
    }

    /** Naive labeller: breadth-first flood from each unlabelled on pixel, in raster order. */
    static LabelMap naive(Mask m, Connectivity c) {
        LabelMap out = new LabelMap(m.width, m.height);
        int n = 0;
        ArrayDeque<int[]> queue = new ArrayDeque<>();
        for (int y = 0; y < m.height; y++) {
            for (int x = 0; x < m.width; x++) {
                if (!m.get(x, y) || out.get(x, y) != 0) {
                    continue;
                }
                n++;
                out.set(x, y, n);
                queue.add(new int[] {x, y});
                while (!queue.isEmpty()) {
                    int[] p = queue.poll();
                    for (int k = 0; k < c.size(); k++) {
                        int u = p[0] + c.dx(k);
                        int v = p[1] + c.dy(k);
                        if (m.isInBounds(u, v) && m.get(u, v) && out.get(u, v) == 0) {
                            out.set(u, v, n);
                            queue.add(new int[] {u, v});
                        }
                    }
                }
            }
        }
        return out;
    }

    private static int[] pixels(LabelMap l) {
        int[] a = new int[l.width * l.height];
        for (int y = 0; y < l.height; y++) {
            for (int x = 0; x < l.width; x++) {
                a[y * l.width + x] = l.get(x, y);
            }
        }
        return a;
    }

    @Test
    void handMadeFourVersusEight() {
        // 1 0 1
        // 0 1 0
        // 1 1 0
        Mask m = Mask.wrap(new byte[] {1, 0, 1, 0, 1, 0, 1, 1, 0}, 3, 3);
        LabelMap four = ConnectedComponents.label(m, Connectivity.FOUR);
        assertArrayEquals(new int[] {1, 0, 2, 0, 3, 0, 3, 3, 0}, four.data);
        ConnectedComponents eight = new ConnectedComponents(Connectivity.EIGHT);
        LabelMap l8 = eight.labels(m, null);
        assertEquals(1, eight.getComponentCount());
        assertArrayEquals(new int[] {1, 0, 1, 0, 1, 0, 1, 1, 0}, l8.data);
    }

    @Test
    void uShapeMergesLateAndKeepsRasterOrder() {
        // Two arms that only meet on the last row: provisional labels 1 and 2 merge; the lone pixel is 2.
        // 1 0 1 0 1
        // 1 0 1 0 0
        // 1 1 1 0 0
        Mask m = Mask.wrap(new byte[] {1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0}, 5, 3);
        LabelMap l = ConnectedComponents.label(m, Connectivity.FOUR);
        assertArrayEquals(new int[] {1, 0, 1, 0, 2, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0}, l.data);
    }

    @Test
    void emptyAndFullMasks() {
        ConnectedComponents cc = new ConnectedComponents(Connectivity.EIGHT);
        LabelMap out = new LabelMap(1, 1);
        assertEquals(0, cc.process(new Mask(4, 3), out));
        assertEquals(0, out.maxLabel());
        assertEquals(1, cc.process(new Mask(4, 3).fill(true), out));
        assertEquals(4, out.width);
        assertEquals(1, out.maxLabel());
    }

    @Test
    void randomMasksMatchNaiveFloodFillOnSubImages() {
        Random rnd = new Random(7);
        ConnectedComponents[] cc = {new ConnectedComponents(Connectivity.FOUR),
            new ConnectedComponents(Connectivity.EIGHT)};
        for (int trial = 0; trial < 300; trial++) {
            int w = 1 + rnd.nextInt(20);
            int h = 1 + rnd.nextInt(20);
            double density = rnd.nextDouble();
            Mask big = new Mask(w + 3, h + 2);
            for (int i = 0; i < big.data.length; i++) {
                big.data[i] = (byte) (rnd.nextDouble() < density ? 1 : 0);
            }
            Mask m = big.subimage(2, 1, w + 2, h + 1);
            for (ConnectedComponents c : cc) {
                Connectivity conn = c == cc[0] ? Connectivity.FOUR : Connectivity.EIGHT;
                LabelMap expected = naive(m, conn);
                // Output as a sub-image too, so that both strides are exercised.
                LabelMap out = new LabelMap(w + 1, h + 1).subimage(1, 1, w + 1, h + 1);
                int n = c.process(m, out);
                assertEquals(expected.maxLabel(), n, "trial " + trial + " " + conn);
                assertArrayEquals(pixels(expected), pixels(out), "trial " + trial + " " + conn);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"coins,1", "coins,2", "page,1", "page,2"})
    void equalsSkimageLabelOnRealImages(String name, int connectivity) throws IOException {
        Mask mask = new Mask(1, 1);
        BufferedImage mi = read(name + "_mask.png");
        mask.reshape(mi.getWidth(), mi.getHeight());
        var gray = ConvertImage.toGrayU8(mi, null);
        for (int i = 0; i < mask.data.length; i++) {
            mask.data[i] = (byte) (gray.data[i] != 0 ? 1 : 0);
        }
        GrayU16 golden = ConvertImage.toGrayU16(read(name + "_labels_c" + connectivity + ".png"), null);
        LabelMap out = new LabelMap(1, 1);
        int n = new ConnectedComponents(connectivity == 1 ? Connectivity.FOUR : Connectivity.EIGHT)
                .process(mask, out);
        int goldenMax = 0;
        int[] expected = new int[golden.data.length];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = golden.data[i] & 0xFFFF;
            goldenMax = Math.max(goldenMax, expected[i]);
        }
        assertEquals(goldenMax, n);
        // Exact equality, label numbers included: skimage numbers components in raster order too.
        assertArrayEquals(expected, out.data);
    }

    @Test
    void nullArgumentsAreNamed() {
        var e = assertThrows(NullPointerException.class, () -> new ConnectedComponents(null));
        assertEquals("connectivity", e.getMessage());
        var e2 = assertThrows(NullPointerException.class,
                () -> new ConnectedComponents(Connectivity.FOUR).process(null, null));
        assertEquals("mask", e2.getMessage());
    }
}
