package org.segmentation.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.Palette;
import org.segmentation.core.image.RgbU8;

class ImageFilesTest {
    @TempDir
    Path tmp;

    // ---------------------------------------------------------------- files written by OpenCV and Pillow

    @Test
    void readsLosslessGrayFixturesExactly() throws IOException {
        for (String name : List.of("img_gray8.png", "img_gray8.tif", "img_gray8.bmp")) {
            GrayU8 expected = expected(name).toGrayU8(null);
            GrayU8 actual = ImageFiles.readGrayU8(Fixtures.path("io/" + name));
            assertArrayEquals(expected.data, actual.data, name);
            // 8-bit files read as 16-bit keep their raw values.
            GrayU16 wide = ImageFiles.readGrayU16(Fixtures.path("io/" + name));
            for (int i = 0; i < expected.data.length; i++) {
                assertEquals(expected.data[i] & 0xFF, wide.data[i] & 0xFFFF, name);
            }
        }
    }

    @Test
    void reads16BitFixturesExactly() throws IOException {
        for (String name : List.of("img_gray16.png", "img_gray16.tif")) {
            GrayU16 expected = expected(name).toGrayU16(null);
            GrayU16 actual = ImageFiles.readGrayU16(Fixtures.path("io/" + name));
            assertArrayEquals(expected.data, actual.data, name);
            assertTrue(actual.get(1, 0) > 255, "the fixture must hold values above 8 bits");
            // As labels, a 16-bit gray file gives the raw values too.
            LabelMap labels = ImageFiles.readLabels(Fixtures.path("io/" + name));
            for (int i = 0; i < expected.data.length; i++) {
                assertEquals(expected.data[i] & 0xFFFF, labels.data[i], name);
            }
        }
    }

    @Test
    void reads16BitTiffWithHorizontalDifferencing() throws IOException {
        // OpenCV's default TIFF (LZW + horizontal differencing predictor), which the JDK decoder refuses at 16 bits
        // and ImageFiles undoes itself.
        GrayU16 expected = expected("img_gray16_lzw.tif").toGrayU16(null);
        assertArrayEquals(expected.data, ImageFiles.readGrayU16(Fixtures.path("io/img_gray16_lzw.tif")).data);

        // Three components: each is differenced separately, so each must be summed separately.
        Path rgb16 = Fixtures.path("io/img_rgb16_lzw.tif");
        short[] e = expected("img_rgb16_lzw.tif").shorts();
        java.awt.image.Raster raster = ImageFiles.readBufferedImage(rgb16, 1000).getRaster();
        int[] samples = raster.getPixels(0, 0, 23, 17, (int[]) null);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i] & 0xFFFF, samples[i], "sample " + i);
        }
        // As 8-bit RGB the JDK colour model scales each sample by 255/65535, rounding or truncating: within 1.
        RgbU8 rgb = ImageFiles.readRgb(rgb16);
        for (int i = 0; i < e.length; i++) {
            assertEquals((e[i] & 0xFFFF) * 255.0 / 65535, rgb.data[i] & 0xFF, 1.0, "sample " + i);
        }
    }

    @Test
    void readsLosslessColourFixturesExactly() throws IOException {
        for (String name : List.of("img_rgb.png", "img_rgb.tif", "img_rgb.bmp")) {
            RgbU8 expected = expected(name).toRgbU8(null);
            assertArrayEquals(expected.data, ImageFiles.readRgb(Fixtures.path("io/" + name)).data, name);
        }
    }

    @Test
    void readsRgbaDroppingAlpha() throws IOException {
        Tensor rgba = expected("img_rgba.png");
        byte[] e = rgba.bytes();
        RgbU8 rgb = ImageFiles.readRgb(Fixtures.path("io/img_rgba.png"));
        for (int i = 0, j = 0; i < rgb.data.length; i += 3, j += 4) {
            assertEquals(e[j], rgb.data[i]);
            assertEquals(e[j + 1], rgb.data[i + 1]);
            assertEquals(e[j + 2], rgb.data[i + 2]);
        }
    }

    @Test
    void jpegMatchesOpenCvDecoderWithinRounding() throws IOException {
        // Both sides run an IJG-lineage decoder (OpenCV: libjpeg-turbo; the JDK: its bundled libjpeg 6b or, as
        // on Debian, the system libjpeg-turbo) with the integer "islow" inverse DCT and fancy chroma upsampling,
        // which libjpeg-turbo reproduces bit for bit. Measured here: max |diff| = 0 on all three files. We allow
        // 1 level for a decoder built with a different IDCT rounding; a real decoding error (a channel swap, a
        // shifted block, a missed colour transform) moves values by tens of levels and still fails.
        assertClose(expected("img_rgb.jpg").toRgbU8(null).data,
                ImageFiles.readRgb(Fixtures.path("io/img_rgb.jpg")).data, "img_rgb.jpg");
        assertClose(expected("img_gray8.jpg").toGrayU8(null).data,
                ImageFiles.readGrayU8(Fixtures.path("io/img_gray8.jpg")).data, "img_gray8.jpg");
        RgbU8 fish = ImageFiles.readRgb(Fixtures.path("images/HappyFish.jpg"));
        assertEquals(259, fish.width);
        assertEquals(194, fish.height);
        assertClose(NpyFiles.read(Fixtures.path("io/expect_happyfish_crop.npy")).toRgbU8(null).data,
                fish.subimage(100, 60, 164, 124).copy().data, "HappyFish.jpg");
    }

    private static void assertClose(byte[] expected, byte[] actual, String name) {
        assertEquals(expected.length, actual.length, name);
        int max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs((expected[i] & 0xFF) - (actual[i] & 0xFF)));
        }
        assertTrue(max <= 1, name + ": max |diff| " + max);
    }

    @Test
    void paletteFilesGiveIndicesAsLabelsAndColoursAsRgb() throws IOException {
        for (String name : List.of("img_pal_voc.png", "img_pal4.png")) {
            Path file = Fixtures.path("io/" + name);
            LabelMap expected = expected(name).toLabelMap(null);
            assertArrayEquals(expected.data, ImageFiles.readLabels(file).data, name);
            String base = name.replace('.', '_');
            RgbU8 colours = NpyFiles.read(Fixtures.path("io/expect_" + base + "_rgb.npy")).toRgbU8(null);
            assertArrayEquals(colours.data, ImageFiles.readRgb(file).data, name);
            Mask mask = ImageFiles.readMask(file);
            for (int i = 0; i < expected.data.length; i++) {
                assertEquals(expected.data[i] != 0, mask.data[i] != 0, name);
            }
        }
        assertEquals(255, ImageFiles.readLabels(Fixtures.path("io/img_pal_voc.png")).get(0, 0), "VOC void label");
    }

    @Test
    void oneBitMaskPng() throws IOException {
        Path file = Fixtures.path("io/img_mask1.png");
        byte[] bits = expected("img_mask1.png").bytes(); // 0 or 1
        assertArrayEquals(bits, ImageFiles.readMask(file).data);
        int[] labels = ImageFiles.readLabels(file).data;
        byte[] gray = ImageFiles.readGrayU8(file).data;
        for (int i = 0; i < bits.length; i++) {
            assertEquals(bits[i], labels[i], "raw 1-bit sample");
            assertEquals(bits[i] * 255, gray[i] & 0xFF, "1-bit white scales to 255");
        }
        assertEquals(new ImageInfo("PNG", 23, 17, 1, 1, false), ImageFiles.info(file));
    }

    @Test
    void alphaIsIgnoredByEveryReader() throws IOException {
        // Gray + alpha: the gray sample is 0 in every other column while alpha is never 0.
        Path file = Fixtures.path("io/img_gray_alpha.png");
        byte[] ga = expected("img_gray_alpha.png").bytes();
        GrayU8 gray = ImageFiles.readGrayU8(file);
        LabelMap labels = ImageFiles.readLabels(file);
        Mask mask = ImageFiles.readMask(file);
        RgbU8 rgb = ImageFiles.readRgb(file);
        for (int i = 0; i < gray.data.length; i++) {
            int v = ga[2 * i] & 0xFF;
            assertEquals(v, gray.data[i] & 0xFF);
            assertEquals(v, labels.data[i]);
            assertEquals(v != 0, mask.data[i] != 0);
            assertEquals(v * 0x010101, rgb.getRgb(i % 23, i / 23));
        }
        // RGBA: alpha is never 0 in the fixture, so only the colour decides.
        byte[] rgba = expected("img_rgba.png").bytes();
        Mask m = ImageFiles.readMask(Fixtures.path("io/img_rgba.png"));
        for (int i = 0; i < m.data.length; i++) {
            boolean on = rgba[4 * i] != 0 || rgba[4 * i + 1] != 0 || rgba[4 * i + 2] != 0;
            assertEquals(on, m.data[i] != 0);
        }
    }

    @Test
    void sharedTestImagesMatchScikitImage() throws IOException {
        GrayU8 camera = ImageFiles.readGrayU8(Fixtures.path("images/camera.png"));
        assertEquals(512, camera.width);
        assertEquals(512, camera.height);
        assertArrayEquals(NpyFiles.read(Fixtures.path("io/expect_camera_crop.npy")).toGrayU8(null).data,
                camera.subimage(240, 200, 272, 232).copy().data);
        GrayU8 coins = ImageFiles.readGrayU8(Fixtures.path("images/coins.png"));
        assertEquals(384, coins.width);
        assertEquals(303, coins.height);
        assertArrayEquals(NpyFiles.read(Fixtures.path("io/expect_coins_crop.npy")).toGrayU8(null).data,
                coins.subimage(50, 100, 82, 132).copy().data);
    }

    @Test
    void infoDescribesHeaders() throws IOException {
        assertEquals(new ImageInfo("PNG", 23, 17, 1, 16, false), ImageFiles.info(Fixtures.path("io/img_gray16.png")));
        assertEquals(new ImageInfo("PNG", 23, 17, 4, 8, false), ImageFiles.info(Fixtures.path("io/img_rgba.png")));
        assertEquals(new ImageInfo("PNG", 23, 17, 1, 4, true), ImageFiles.info(Fixtures.path("io/img_pal4.png")));
        assertEquals(new ImageInfo("TIFF", 23, 17, 1, 16, false),
                ImageFiles.info(Fixtures.path("io/img_gray16.tif")));
        assertEquals(new ImageInfo("BMP", 23, 17, 3, 8, false), ImageFiles.info(Fixtures.path("io/img_rgb.bmp")));
        assertEquals(new ImageInfo("JPEG", 259, 194, 3, 8, false),
                ImageFiles.info(Fixtures.path("images/HappyFish.jpg")));
    }

    @Test
    void colourFileIsNotALabelImage() {
        Path file = Fixtures.path("io/img_rgb.png");
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> ImageFiles.readLabels(file));
        assertTrue(e.getMessage().contains("img_rgb.png") && e.getMessage().contains("colour"), e.getMessage());
    }

    // ---------------------------------------------------------------- round trips of what we write

    @Test
    void grayU8RoundTripFromSubImage() throws IOException {
        GrayU8 parent = new GrayU8(13, 9);
        new Random(1).nextBytes(parent.data);
        GrayU8 sub = parent.subimage(2, 1, 11, 8);
        Path file = tmp.resolve("g8.png");
        ImageFiles.writePng(sub, file);
        assertArrayEquals(sub.copy().data, ImageFiles.readGrayU8(file).data);
        assertEquals(new ImageInfo("PNG", 9, 7, 1, 8, false), ImageFiles.info(file));
    }

    @Test
    void grayU16RoundTripKeepsValuesAbove255() throws IOException {
        GrayU16 parent = new GrayU16(11, 8);
        Random rnd = new Random(2);
        for (int i = 0; i < parent.data.length; i++) {
            parent.data[i] = (short) rnd.nextInt(65536);
        }
        GrayU16 sub = parent.subimage(1, 2, 10, 7);
        sub.set(0, 0, 65535);
        sub.set(1, 0, 256);
        Path file = tmp.resolve("g16.png");
        ImageFiles.writePng(sub, file);
        GrayU16 back = ImageFiles.readGrayU16(file);
        assertArrayEquals(sub.copy().data, back.data);
        assertEquals(256, back.get(1, 0));
        assertEquals(new ImageInfo("PNG", 9, 5, 1, 16, false), ImageFiles.info(file));
    }

    @Test
    void rgbRoundTripFromSubImage() throws IOException {
        RgbU8 parent = new RgbU8(10, 7);
        new Random(3).nextBytes(parent.data);
        RgbU8 sub = parent.subimage(3, 1, 9, 6);
        Path file = tmp.resolve("rgb.png");
        ImageFiles.writePng(sub, file);
        assertArrayEquals(sub.copy().data, ImageFiles.readRgb(file).data);
    }

    @Test
    void maskRoundTripIsZeroOr255OnDisk() throws IOException {
        Mask parent = new Mask(12, 9);
        Random rnd = new Random(4);
        for (int i = 0; i < parent.data.length; i++) {
            parent.data[i] = (byte) rnd.nextInt(2);
        }
        Mask sub = parent.subimage(1, 1, 12, 8);
        Path file = tmp.resolve("mask.png");
        ImageFiles.writeMask(sub, file);
        assertArrayEquals(sub.copy().data, ImageFiles.readMask(file).data);
        GrayU8 raw = ImageFiles.readGrayU8(file);
        for (int y = 0; y < sub.height; y++) {
            for (int x = 0; x < sub.width; x++) {
                assertEquals(sub.get(x, y) ? 255 : 0, raw.get(x, y));
            }
        }
    }

    @Test
    void labels16RoundTrip() throws IOException {
        LabelMap parent = new LabelMap(10, 10);
        Random rnd = new Random(5);
        for (int i = 0; i < parent.data.length; i++) {
            parent.data[i] = rnd.nextInt(65536);
        }
        LabelMap sub = parent.subimage(2, 3, 9, 10);
        sub.set(0, 0, 65535);
        sub.set(1, 0, 300);
        Path file = tmp.resolve("labels16.png");
        ImageFiles.writeLabels(sub, file);
        assertArrayEquals(sub.copy().data, ImageFiles.readLabels(file).data);
        assertEquals(new ImageInfo("PNG", 7, 7, 1, 16, false), ImageFiles.info(file));
    }

    @Test
    void vocLabelsRoundTripAsIndicesWithVocColours() throws IOException {
        LabelMap parent = new LabelMap(16, 17);
        for (int i = 0; i < parent.data.length; i++) {
            parent.data[i] = i % 256;
        }
        LabelMap sub = parent.subimage(0, 1, 16, 17); // all 256 labels
        Path file = tmp.resolve("voc.png");
        ImageFiles.writeLabelsVoc(sub, file);
        assertArrayEquals(sub.copy().data, ImageFiles.readLabels(file).data);
        assertEquals(new ImageInfo("PNG", 16, 16, 1, 8, true), ImageFiles.info(file));
        RgbU8 colours = ImageFiles.readRgb(file);
        for (int y = 0; y < sub.height; y++) {
            for (int x = 0; x < sub.width; x++) {
                assertEquals(Palette.voc(sub.get(x, y)), colours.getRgb(x, y));
            }
        }
    }

    @Test
    void labelsOutOfRangeAreRejectedNamingTheValue() throws IOException {
        LabelMap labels = new LabelMap(3, 2);
        labels.set(2, 1, 65536);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageFiles.writeLabels(labels, tmp.resolve("a.png")));
        assertTrue(e.getMessage().contains("65536") && e.getMessage().contains("(2, 1)"), e.getMessage());
        labels.set(2, 1, 256);
        e = assertThrows(IllegalArgumentException.class, () -> ImageFiles.writeLabelsVoc(labels, tmp.resolve("b.png")));
        assertTrue(e.getMessage().contains("256"), e.getMessage());
        labels.set(2, 1, -1);
        e = assertThrows(IllegalArgumentException.class, () -> ImageFiles.writeLabels(labels, tmp.resolve("c.png")));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
        assertEquals(List.of(), listing(tmp), "nothing may be left behind");
    }

    @Test
    void writeReplacesAtomicallyAndFailureLeavesNoPartialFile() throws IOException {
        Path file = tmp.resolve("out.png");
        ImageFiles.writePng(new GrayU8(4, 3).fill(7), file);
        ImageFiles.writePng(new GrayU8(5, 2).fill(9), file);
        GrayU8 back = ImageFiles.readGrayU8(file);
        assertEquals(5, back.width);
        assertEquals(9, back.get(4, 1));
        // The final rename cannot replace a non-empty directory: the write fails after the data was written.
        Path dir = Files.createDirectory(tmp.resolve("taken.png"));
        Files.writeString(dir.resolve("keep.txt"), "x");
        assertThrows(IOException.class, () -> ImageFiles.writePng(new GrayU8(4, 3), dir));
        assertEquals(List.of("out.png", "taken.png"), listing(tmp), "no temporary file may remain");
        assertThrows(IOException.class, () -> ImageFiles.writePng(new GrayU8(4, 3), tmp.resolve("no/such/dir.png")));
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static Tensor expected(String imageName) throws IOException {
        return NpyFiles.read(Fixtures.path("io/expect_" + imageName.replace('.', '_') + ".npy"));
    }
}
