package org.segmentation.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.image.RgbU8;

/**
 * Floating-point and signed TIFF samples, read from the hostile-input corpus ({@code segmentation-core/src/test/hostile}, written by
 * its {@code generate.py}): each file is one row of three pixels whose values the script states.
 */
class SampleFormatTest {
    private static final Path FILES = Path.of("src", "test", "hostile", "files");

    private static int[] gray8(String name) throws IOException {
        GrayU8 g = ImageFiles.readGrayU8(FILES.resolve(name));
        return new int[] {g.get(0, 0), g.get(1, 0), g.get(2, 0)};
    }

    private static int[] gray16(String name) throws IOException {
        GrayU16 g = ImageFiles.readGrayU16(FILES.resolve(name));
        return new int[] {g.get(0, 0), g.get(1, 0), g.get(2, 0)};
    }

    @Test
    void float32InUnitRangeIsIntensity() throws IOException {
        // samples 0, 0.5, 1: round(255 v) and round(65535 v), not the truncation to 0 that made the image black
        assertArrayEquals(new int[] {0, 128, 255}, gray8("tiff_float32_unit.tif"));
        assertArrayEquals(new int[] {0, 32768, 65535}, gray16("tiff_float32_unit.tif"));
        PlanarF32 unit = ImageFiles.readUnitPlanar(FILES.resolve("tiff_float32_unit.tif"), 1,
                ImageFiles.DEFAULT_MAX_PIXELS);
        assertArrayEquals(new float[] {0f, 0.5f, 1f}, unit.data, 0f, "one channel keeps the float values exactly");
        RgbU8 rgb = ImageFiles.readRgb(FILES.resolve("tiff_float32_unit.tif"));
        assertEquals(128, rgb.get(1, 0, 0));
    }

    @Test
    void float64IsReadLikeFloat32() throws IOException {
        // samples 0, 0.25, 1 (the division by zero of 2^64 - 1 is gone)
        assertArrayEquals(new int[] {0, 64, 255}, gray8("tiff_float64_unit.tif"));
    }

    @Test
    void signed16KeepsItsOrder() throws IOException {
        // samples -1000, 0, 1000 map (v + 32768) / 65535 onto the unsigned range: -1000 is darker than +1000
        assertArrayEquals(new int[] {31768, 32768, 33768}, gray16("tiff_int16_signed.tif"));
        int[] g = gray8("tiff_int16_signed.tif");
        assertArrayEquals(new int[] {Math.round(31768 * 255f / 65535), Math.round(32768 * 255f / 65535),
            Math.round(33768 * 255f / 65535)}, g);
        assertTrue(g[0] < g[1] && g[1] < g[2]);
    }

    @Test
    void floatOutsideUnitRangeIsRefusedNamingFileAndPixel() {
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> ImageFiles.readGrayU8(FILES.resolve("tiff_float32_255.tif")));
        assertTrue(e.getMessage().startsWith(FILES.resolve("tiff_float32_255.tif").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("128.0 at (1, 0)"), e.getMessage());
    }

    @Test
    void nanAndInfinityAreRefusedByEveryReader() {
        for (String name : new String[] {"tiff_float32_nan.tif", "tiff_float32_inf.tif", "tiff_float64_neg_inf.tif"}) {
            Path file = FILES.resolve(name);
            for (ImageReadCall read : new ImageReadCall[] {ImageFiles::readGrayU8, ImageFiles::readRgb,
                ImageFiles::readMask, ImageFiles::readGrayU16, f -> ImageFiles.readUnitPlanar(f, 1, 1 << 20)}) {
                ImageFormatException e = assertThrows(ImageFormatException.class, () -> read.read(file), name);
                assertTrue(e.getMessage().contains("NaN and infinite samples are not accepted"), e.getMessage());
            }
        }
    }

    @Test
    void pixelLimitIsCheckedAgainstTheHeaderBeforeDecoding() throws IOException {
        // 4097 x 4096 is one row over the default limit: refused from the header, with the numbers
        Path file = FILES.resolve("png_bomb_just_over_limit.png");
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> ImageFiles.readGrayU8(file));
        assertTrue(e.getMessage().contains("4097x4096 = 16781312 pixels, more than the limit of 16777216"),
                e.getMessage());
        // and read with an explicit higher limit (all zeros)
        GrayU8 g = ImageFiles.readGrayU8(file, 4097L * 4096);
        assertEquals(4097, g.width);
        assertEquals(0, g.get(4096, 4095));
    }

    @FunctionalInterface
    private interface ImageReadCall {
        Object read(Path file) throws IOException;
    }
}
