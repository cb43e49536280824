package org.segmentation.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ImageTypesTest {

    @Test
    void invalidSizesNameTheValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GrayU8(0, 5));
        assertTrue(e.getMessage().contains("width=0") && e.getMessage().contains("height=5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GrayF32(3, -2));
        assertTrue(e.getMessage().contains("height=-2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LabelMap(65536, 65536));
        assertTrue(e.getMessage().contains("65536"), e.getMessage());
        // 3 * 30000 * 30000 overflows an int although 30000 * 30000 does not.
        e = assertThrows(IllegalArgumentException.class, () -> new RgbU8(30000, 30000));
        assertTrue(e.getMessage().contains("bands=3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PlanarF32(0, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> GrayU8.wrap(new byte[5], 2, 3));
    }

    @Test
    void getAndSetCheckBounds() {
        GrayU16 img = new GrayU16(4, 3);
        img.set(3, 2, 65535);
        assertEquals(65535, img.get(3, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> img.get(4, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> img.get(0, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> img.set(-1, 0, 1));
        RgbU8 rgb = new RgbU8(2, 2);
        rgb.set(1, 1, 250, 10, 128);
        assertEquals(0xFA0A80, rgb.getRgb(1, 1));
        assertEquals(128, rgb.get(1, 1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> rgb.get(1, 1, 3));
        PlanarF32 p = new PlanarF32(2, 3, 3);
        assertThrows(IndexOutOfBoundsException.class, () -> p.get(2, 0, 0));
    }

    @Test
    void unsignedValuesReadBackUnsigned() {
        GrayU8 u8 = new GrayU8(1, 1);
        u8.set(0, 0, 200);
        assertEquals(200, u8.get(0, 0));
        assertEquals((byte) 200, u8.data[0]);
        GrayU16 u16 = new GrayU16(1, 1);
        u16.set(0, 0, 60000);
        assertEquals(60000, u16.get(0, 0));
    }

    @Test
    void subimageSharesStorageAndOffsetsCoordinates() {
        GrayU8 img = new GrayU8(6, 5);
        for (int i = 0; i < img.data.length; i++) {
            img.data[i] = (byte) i;
        }
        GrayU8 sub = img.subimage(2, 1, 5, 4);
        assertTrue(sub.isSubimage());
        assertFalse(sub.isContiguous());
        assertEquals(3, sub.width);
        assertEquals(3, sub.height);
        assertEquals(img.get(2, 1), sub.get(0, 0));
        assertEquals(img.get(4, 3), sub.get(2, 2));
        sub.set(1, 1, 99);
        assertEquals(99, img.get(3, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> sub.get(3, 0));
        assertThrows(IllegalArgumentException.class, () -> img.subimage(2, 1, 7, 4));
        assertThrows(IllegalArgumentException.class, () -> img.subimage(3, 1, 3, 4));
        assertThrows(IllegalStateException.class, () -> sub.reshape(2, 2));

        GrayU8 nested = sub.subimage(1, 1, 3, 3);
        assertEquals(img.get(3, 2), nested.get(0, 0));

        GrayU8 copy = sub.copy();
        assertFalse(copy.isSubimage());
        assertTrue(copy.isContiguous());
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 3; x++) {
                assertEquals(sub.get(x, y), copy.get(x, y));
            }
        }
        sub.fill(7);
        assertEquals(7, img.get(2, 1));
        assertEquals(0, img.get(0, 0));
        assertEquals(1, img.get(1, 0));
    }

    @Test
    void rgbSubimageUsesInterleavedStride() {
        RgbU8 img = new RgbU8(4, 3);
        img.set(2, 1, 1, 2, 3);
        RgbU8 sub = img.subimage(1, 1, 4, 3);
        assertEquals(0x010203, sub.getRgb(1, 0));
        RgbU8 copy = sub.copy();
        assertEquals(9, copy.stride);
        assertEquals(0x010203, copy.getRgb(1, 0));
    }

    @Test
    void planarChannelViewsAndCopy() {
        PlanarF32 p = new PlanarF32(3, 4, 2);
        p.set(2, 3, 1, 5f);
        GrayF32 band = p.channel(2);
        assertEquals(5f, band.get(3, 1));
        assertTrue(band.isSubimage());
        band.set(0, 0, -1f);
        assertEquals(-1f, p.get(2, 0, 0));
        PlanarF32 sub = p.subimage(1, 0, 4, 2);
        PlanarF32 copy = sub.copy();
        assertEquals(5f, copy.get(2, 2, 1));
        assertEquals(copy.width * copy.height, copy.planeStride);
        // NCHW layout of the contiguous copy: channel 2, row 1, column 2.
        assertEquals(5f, copy.data[2 * 6 + 1 * 3 + 2]);
    }

    @Test
    void reshapeReusesLargeEnoughArrays() {
        GrayF32 img = new GrayF32(10, 10);
        float[] before = img.data;
        img.reshape(5, 4);
        assertSame(before, img.data);
        assertEquals(5, img.stride);
        img.reshape(20, 20);
        assertEquals(400, img.data.length);
        GrayU8 out = new GrayU8(1, 1);
        assertSame(out, ImageBase.output(out, 3, 2, GrayU8::new));
        assertEquals(3, out.width);
    }

    @Test
    void maskAndLabelHelpers() {
        Mask m = new Mask(3, 3);
        m.set(1, 1, true);
        m.set(2, 2, true);
        assertEquals(2, m.countOn());
        assertTrue(m.get(1, 1));
        assertEquals(1, m.data[m.index(1, 1)]);
        LabelMap l = new LabelMap(2, 2);
        l.set(1, 0, 7);
        assertEquals(7, l.maxLabel());
    }

    @Test
    void copyToRefusesOtherShapes() {
        GrayU8 a = new GrayU8(3, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.copyTo(new GrayU8(3, 4)));
        assertTrue(e.getMessage().contains("3x4"), e.getMessage());
    }

    @Test
    void copyMatchesElementwiseOnRandomSubimages() {
        Random rnd = new Random(1);
        for (int trial = 0; trial < 50; trial++) {
            int w = 1 + rnd.nextInt(9);
            int h = 1 + rnd.nextInt(9);
            LabelMap img = new LabelMap(w, h);
            for (int i = 0; i < img.data.length; i++) {
                img.data[i] = rnd.nextInt();
            }
            int x0 = rnd.nextInt(w);
            int y0 = rnd.nextInt(h);
            int x1 = x0 + 1 + rnd.nextInt(w - x0);
            int y1 = y0 + 1 + rnd.nextInt(h - y0);
            LabelMap copy = img.subimage(x0, y0, x1, y1).copy();
            int[] expected = new int[(x1 - x0) * (y1 - y0)];
            for (int y = y0, k = 0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    expected[k++] = img.get(x, y);
                }
            }
            assertArrayEquals(expected, copy.data);
        }
    }
}
