package org.segmentation.core.visual;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.Palette;
import org.segmentation.core.image.RgbU8;

class OverlayTest {
    private static final int RED = 0x800000; // Palette.label(1), the VOC colour of class 1
    private static final int GREEN = 0x008000; // Palette.label(2)

    private static GrayU8 gray(int w, int h, int... values) {
        GrayU8 g = new GrayU8(w, h);
        for (int i = 0; i < values.length; i++) {
            g.data[i] = (byte) values[i];
        }
        return g;
    }

    private static int gray3(int v) {
        return v << 16 | v << 8 | v;
    }

    @Test
    void paletteColoursAreTheOnesAssumedHere() {
        assertEquals(RED, Palette.label(1));
        assertEquals(GREEN, Palette.label(2));
    }

    @Test
    void blendLabelsOnGray() {
        GrayU8 img = gray(3, 2, 100, 101, 200, 0, 255, 7);
        LabelMap labels = LabelMap.wrap(new int[] {1, 1, 2, 0, 300, 0}, 3, 2);
        RgbU8 out = Overlay.blend(img, labels, 0.5, new RgbU8(1, 1)); // a reused buffer of another shape
        assertEquals(3, out.width);
        assertEquals(2, out.height);
        // (100 + 128) / 2 = 114, 100 / 2 = 50
        assertEquals(114 << 16 | 50 << 8 | 50, out.getRgb(0, 0));
        // 114.5 and 50.5 round half up
        assertEquals(115 << 16 | 51 << 8 | 51, out.getRgb(1, 0));
        // (200 + 0) / 2 = 100 and (200 + 128) / 2 = 164
        assertEquals(100 << 16 | 164 << 8 | 100, out.getRgb(2, 0));
        // label 0: the gray value in all three channels
        assertEquals(gray3(0), out.getRgb(0, 1));
        assertEquals(gray3(7), out.getRgb(2, 1));
        // an instance id beyond the VOC range takes Palette.label's colour
        int c = Palette.label(300);
        int expected = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            expected |= (int) Math.floor(255 + 0.5 * (((c >> shift) & 0xFF) - 255) + 0.5) << shift;
        }
        assertEquals(expected, out.getRgb(1, 1));

        assertEquals(gray3(101), Overlay.blend(img, labels, 0.0, null).getRgb(1, 0));
        assertEquals(GREEN, Overlay.blend(img, labels, 1.0, null).getRgb(2, 0));
    }

    @Test
    void blendOnColourImageInPlaceAndThroughViews() {
        RgbU8 img = new RgbU8(2, 2);
        img.setRgb(0, 0, 0x102030);
        img.setRgb(1, 0, 0x405060);
        img.setRgb(0, 1, 0xFFFFFF);
        img.setRgb(1, 1, 0x000000);
        LabelMap big = new LabelMap(4, 3);
        big.fill(9); // outside the view: never read
        LabelMap labels = big.subimage(1, 1, 3, 3);
        labels.set(0, 0, 2);
        labels.set(1, 0, 0);
        labels.set(0, 1, 0);
        labels.set(1, 1, 1);
        RgbU8 out = Overlay.blend(img, labels, 0.25, img);
        assertSame(img, out);
        // 0x10 + 0.25 (0 - 16) = 12; 0x20 + 0.25 (128 - 32) = 56; 0x30 + 0.25 (0 - 48) = 36
        assertEquals(12 << 16 | 56 << 8 | 36, out.getRgb(0, 0));
        assertEquals(0x405060, out.getRgb(1, 0));
        assertEquals(0xFFFFFF, out.getRgb(0, 1));
        // 0.25 * 128 = 32
        assertEquals(32 << 16, out.getRgb(1, 1));
    }

    @Test
    void blendMask() {
        GrayU8 img = gray(2, 1, 40, 40);
        Mask m = new Mask(2, 1);
        m.set(1, 0, true);
        RgbU8 out = Overlay.blend(img, m, 0x00FF00, 0.5, null);
        assertEquals(gray3(40), out.getRgb(0, 0));
        // 40 + 0.5 (255 - 40) = 147.5 -> 148; 40 / 2 = 20
        assertEquals(20 << 16 | 148 << 8 | 20, out.getRgb(1, 0));
        assertEquals(RED, Overlay.blend(img, m, Overlay.LABEL_COLOURS, 1.0, null).getRgb(1, 0));
    }

    @Test
    void boundariesOfLabels() {
        // 5x3: region 1 is the left 2x3 block, region 2 the pixel (4, 1); the rest is background.
        LabelMap labels = LabelMap.wrap(new int[] {
            1, 1, 0, 0, 0,
            1, 1, 0, 0, 2,
            1, 1, 0, 0, 0}, 5, 3);
        GrayU8 img = new GrayU8(5, 3).fill(50);
        int blue = 0x0000FF;
        RgbU8 out = Overlay.boundaries(img, labels, blue, null);
        // Only the inner side of each region is drawn: column 1 of region 1 and the single pixel of region 2.
        int b = blue;
        int g = gray3(50);
        int[] expected = {
            g, b, g, g, g,
            g, b, g, g, b,
            g, b, g, g, g};
        assertArrayEquals(expected, pixels(out));

        RgbU8 own = Overlay.boundaries(img, labels, Overlay.LABEL_COLOURS, null);
        assertEquals(RED, own.getRgb(1, 0));
        assertEquals(GREEN, own.getRgb(4, 1));
        assertEquals(g, own.getRgb(0, 1));
        assertEquals(g, own.getRgb(3, 1));

        // Two touching regions: both sides are drawn.
        LabelMap touching = LabelMap.wrap(new int[] {1, 1, 2, 2}, 4, 1);
        RgbU8 t = Overlay.boundaries(new GrayU8(4, 1), touching, Overlay.LABEL_COLOURS, null);
        assertArrayEquals(new int[] {0, RED, GREEN, 0}, pixels(t));
    }

    @Test
    void boundariesOfMaskOnColourImage() {
        Mask m = Mask.wrap(new byte[] {
            1, 1, 1, 0,
            1, 1, 1, 0,
            1, 1, 1, 0}, 4, 3);
        RgbU8 img = new RgbU8(4, 3);
        RgbU8 out = Overlay.boundaries(img, m, 0xABCDEF, null);
        int c = 0xABCDEF;
        assertArrayEquals(new int[] {0, 0, c, 0, 0, 0, c, 0, 0, 0, c, 0}, pixels(out));
        assertEquals(0, img.getRgb(2, 0)); // the input is not modified
    }

    private static int[] pixels(RgbU8 img) {
        int[] out = new int[img.width * img.height];
        for (int y = 0; y < img.height; y++) {
            for (int x = 0; x < img.width; x++) {
                out[y * img.width + x] = img.getRgb(x, y);
            }
        }
        return out;
    }

    @Test
    void badInput() {
        GrayU8 img = new GrayU8(3, 2);
        LabelMap labels = new LabelMap(3, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Overlay.blend(img, labels, 1.5, null));
        assertEquals("alpha must be in [0, 1], got 1.5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Overlay.blend(img, new LabelMap(2, 3), 0.5, null));
        assertEquals("label image is 2x3 but the image is 3x2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Overlay.boundaries(img, labels, 0x1000000, null));
        assertEquals("colour must be 0xRRGGBB or LABEL_COLOURS, got 0x1000000", e.getMessage());
        labels.set(2, 1, -3);
        e = assertThrows(IllegalArgumentException.class, () -> Overlay.boundaries(img, labels, 0xFF, null));
        assertEquals("negative label -3 at (2, 1)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Overlay.blend(img, labels, 0.5, null));
    }

    @Test
    void instancesAreBlendedAndOutlinedInTheirClassColour() {
        GrayU8 img = gray(5, 4, new int[20]);
        LabelMap labels = LabelMap.wrap(new int[] {
            0, 0, 0, 0, 0,
            0, 1, 1, 0, 0,
            0, 1, 1, 0, 0,
            0, 0, 0, 0, 0}, 5, 4);
        // box [0.6, 0.6, 3.4, 3.4) rounds to pixels 1..2 (x2, y2 exclusive); a second box leaves the image
        org.segmentation.core.segment.InstanceSegmentation inst = new org.segmentation.core.segment
                .InstanceSegmentation(labels, new int[] {2, 1}, new double[] {0.9, 0.5},
                new double[] {0.6, 0.6, 3.4, 3.4, 3, 2, 9, 9});
        RgbU8 out = Overlay.instances(img, inst, 1.0, null);
        // every pixel of instance 1 lies on its box's outline: class 2's colour
        assertEquals(GREEN, out.getRgb(1, 1));
        assertEquals(GREEN, out.getRgb(2, 2));
        // the second box, clipped to x 3..4, y 2..3, in class 1's colour; pixels outside both stay black
        assertEquals(RED, out.getRgb(3, 2));
        assertEquals(RED, out.getRgb(4, 3));
        assertEquals(0, out.getRgb(0, 0));
        assertEquals(0, out.getRgb(4, 0));
    }
}
