package org.segmentation.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConvertImageTest {

    @Test
    void lumaIsBt601RoundedToNearest() {
        // The fixed-point weights sum to 2^14, so gray inputs map to themselves.
        for (int v = 0; v < 256; v++) {
            assertEquals(v, ConvertImage.luma(v, v, v));
        }
        Random rnd = new Random(7);
        for (int i = 0; i < 10000; i++) {
            int r = rnd.nextInt(256);
            int g = rnd.nextInt(256);
            int b = rnd.nextInt(256);
            double exact = 0.299 * r + 0.587 * g + 0.114 * b;
            // 14-bit weights differ from the decimal ones by < 1e-4 each: at most 0.05 off before rounding.
            assertEquals(exact, ConvertImage.luma(r, g, b), 0.5 + 0.05);
        }
    }

    @Test
    void labOfReferenceColours() {
        RgbU8 rgb = new RgbU8(4, 1);
        rgb.setRgb(0, 0, 0xFFFFFF);
        rgb.setRgb(1, 0, 0x000000);
        rgb.setRgb(2, 0, 0xFF0000);
        rgb.setRgb(3, 0, 0x808080);
        PlanarF32 lab = ConvertImage.rgbToLab(rgb, null);
        // White is L=100, a=b=0 by construction of the white point (the matrix rows sum to the white point
        // within 1e-5, hence the tolerance).
        assertEquals(100f, lab.get(0, 0, 0), 1e-3);
        assertEquals(0f, lab.get(1, 0, 0), 1e-2);
        assertEquals(0f, lab.get(2, 0, 0), 1e-2);
        assertEquals(0f, lab.get(0, 1, 0), 1e-6);
        // Pure sRGB red: L=53.24, a=80.09, b=67.20 (skimage.color.rgb2lab gives these to 2 decimals).
        assertEquals(53.24f, lab.get(0, 2, 0), 0.01);
        assertEquals(80.09f, lab.get(1, 2, 0), 0.01);
        assertEquals(67.20f, lab.get(2, 2, 0), 0.01);
        // Mid gray 128: L = 53.59.
        assertEquals(53.59f, lab.get(0, 3, 0), 0.01);
    }

    @Test
    void bufferedImageRoundTrips() {
        Random rnd = new Random(3);
        GrayU8 g8 = new GrayU8(7, 5);
        rnd.nextBytes(g8.data);
        GrayU8 back8 = ConvertImage.toGrayU8(ConvertImage.toBufferedImage(g8), null);
        assertEquals(java.util.Arrays.toString(g8.data), java.util.Arrays.toString(back8.data));

        GrayU16 g16 = new GrayU16(5, 4);
        for (int i = 0; i < g16.data.length; i++) {
            g16.data[i] = (short) rnd.nextInt(65536);
        }
        BufferedImage bi16 = ConvertImage.toBufferedImage(g16);
        GrayU16 back16 = ConvertImage.toGrayU16(bi16, null);
        assertEquals(java.util.Arrays.toString(g16.data), java.util.Arrays.toString(back16.data));
        // 16 -> 8 bits rounds v*255/65535.
        GrayU8 down = ConvertImage.toGrayU8(bi16, null);
        for (int i = 0; i < g16.data.length; i++) {
            assertEquals(Math.round((g16.data[i] & 0xFFFF) * 255.0 / 65535.0), down.data[i] & 0xFF);
        }

        RgbU8 rgb = new RgbU8(6, 3);
        rnd.nextBytes(rgb.data);
        RgbU8 backRgb = ConvertImage.toRgb(ConvertImage.toBufferedImage(rgb), null);
        assertEquals(java.util.Arrays.toString(rgb.data), java.util.Arrays.toString(backRgb.data));
        GrayU8 gray = ConvertImage.toGrayU8(ConvertImage.toBufferedImage(rgb), null);
        assertEquals(ConvertImage.luma(rgb.get(2, 1, 0), rgb.get(2, 1, 1), rgb.get(2, 1, 2)), gray.get(2, 1));
    }

    @Test
    void floatConversionsScaleAndClamp() {
        GrayU8 u8 = GrayU8.wrap(new byte[] {0, (byte) 128, (byte) 255}, 3, 1);
        GrayF32 f = ConvertImage.toF32(u8, 1f / 255f, null);
        assertEquals(1f, f.get(2, 0), 1e-7);
        assertEquals(128f / 255f, f.get(1, 0), 1e-7);
        GrayF32 g = GrayF32.wrap(new float[] {-3f, 0.5f, 2f, Float.NaN}, 4, 1);
        GrayU8 back = ConvertImage.toU8(g, 255f, null);
        assertEquals(0, back.get(0, 0));
        assertEquals(128, back.get(1, 0));
        assertEquals(255, back.get(2, 0));
        assertEquals(0, back.get(3, 0));
    }

    @Test
    void toUnitPlanarScalesByBitDepthAndConvertsChannels() {
        GrayU16 g16 = new GrayU16(2, 1);
        g16.set(0, 0, 65535);
        g16.set(1, 0, 1);
        PlanarF32 p16 = ConvertImage.toUnitPlanar(ConvertImage.toBufferedImage(g16), 1);
        assertEquals(1f, p16.data[0], 0f);
        assertEquals(1f / 65535f, p16.data[1], 1e-12f, "16-bit precision is kept with one channel");

        RgbU8 rgb = new RgbU8(1, 1);
        rgb.data[0] = (byte) 255;
        rgb.data[2] = (byte) 51;
        java.awt.image.BufferedImage img = ConvertImage.toBufferedImage(rgb);
        PlanarF32 three = ConvertImage.toUnitPlanar(img, 3);
        assertEquals(3, three.channels);
        assertEquals(1f, three.data[0], 0f);
        assertEquals(0f, three.data[1], 0f);
        assertEquals(0.2f, three.data[2], 1e-7f);
        PlanarF32 one = ConvertImage.toUnitPlanar(img, 1);
        // BT.601 with OpenCV's rounding: 0.299 * 255 + 0.114 * 51 = 82.06 -> 82
        assertEquals(82f / 255f, one.data[0], 1e-7f);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ConvertImage.toUnitPlanar(img, 2));
    }
}
