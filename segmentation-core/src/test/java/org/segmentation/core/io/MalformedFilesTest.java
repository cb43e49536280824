package org.segmentation.core.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and damaged files, each made in the test from valid bytes: every one must give an
 * {@link ImageFormatException} whose message names the file and says what is wrong.
 */
class MalformedFilesTest {
    @TempDir
    Path tmp;

    @FunctionalInterface
    private interface Reader {
        Object read(Path file) throws IOException;
    }

    private static final Reader IMAGE = ImageFiles::readRgb;
    private static final Reader NPY = NpyFiles::read;
    /** Header first, then the reader that suits it, so that info, labels and colour all meet damage. */
    private static final Reader LABELS_OR_RGB = f -> ImageFiles.info(f).bands() >= 3 ? ImageFiles.readRgb(f)
            : ImageFiles.readLabels(f);

    /** Writes {@code bytes} to {@code name}, reads it, and checks the exception names the file and the problem. */
    private void assertRejected(String name, byte[] bytes, Reader reader, String... problem) throws IOException {
        Path file = tmp.resolve(name);
        Files.write(file, bytes);
        assertRejected(file, reader, problem);
    }

    private static void assertRejected(Path file, Reader reader, String... problem) {
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> reader.read(file),
                file.getFileName().toString());
        String m = e.getMessage();
        assertTrue(m.contains(file.getFileName().toString()), "message must name the file: " + m);
        for (String p : problem) {
            assertTrue(m.contains(p), "message must say '" + p + "': " + m);
        }
    }

    private static byte[] bytes(String resource) throws IOException {
        return Files.readAllBytes(Fixtures.path(resource));
    }

    // ---------------------------------------------------------------- any file

    @Test
    void missingFileAndDirectory() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("folder.png"));
        for (Reader r : new Reader[] {IMAGE, NPY, ImageFiles::info, ImageFiles::readLabels}) {
            assertRejected(tmp.resolve("absent.png"), r, "not found");
            assertRejected(dir, r, "directory");
        }
    }

    @Test
    void emptyFile() throws IOException {
        assertRejected("empty.png", new byte[0], IMAGE, "unknown image format", "empty");
        assertRejected("empty.npy", new byte[0], NPY, "bad magic");
    }

    @Test
    void randomBytesAndTextAreAnUnknownFormat() throws IOException {
        byte[] noise = new byte[4096];
        new Random(21).nextBytes(noise);
        noise[0] = 0x42; // not 0x00: a leading zero pair is how WBMP starts, which is rejected too but differently
        assertRejected("noise.png", noise, IMAGE, "unknown image format");
        assertRejected("text.jpg", "hello, world\n".getBytes(StandardCharsets.US_ASCII), IMAGE, "unknown image format");
        assertRejected("noise.npy", noise, NPY, "bad magic");
    }

    @Test
    void formatsOutsideTheFourAreRefused() throws IOException {
        // A valid GIF: the JDK could decode it, but this library promises PNG, JPEG, TIFF and BMP only.
        Path gif = tmp.resolve("x.gif");
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(3, 2, java.awt.image.BufferedImage.TYPE_BYTE_INDEXED),
                "gif", gif.toFile());
        assertRejected(gif, IMAGE, "unknown image format");
    }

    // ---------------------------------------------------------------- PNG

    @Test
    void truncatedPng() throws IOException {
        byte[] png = bytes("images/coins.png");
        assertRejected("half.png", Arrays.copyOf(png, png.length / 2), IMAGE, "truncated");
        assertRejected("noiend.png", Arrays.copyOf(png, png.length - 12), IMAGE, "truncated", "IEND");
        assertRejected("sigonly.png", Arrays.copyOf(png, 8), IMAGE);
    }

    @Test
    void corruptIdatData() throws IOException {
        byte[] png = bytes("images/coins.png");
        int idat = indexOf(png, "IDAT");
        png[idat + 4 + 500] ^= 0x5A; // a data byte: the stored CRC no longer matches
        assertRejected("idat.png", png, IMAGE, "CRC mismatch", "IDAT");
    }

    @Test
    void corruptCrcOnly() throws IOException {
        // The pixels are intact and the JDK decoder, which skips CRCs, would accept this file.
        byte[] png = bytes("io/img_gray8.png");
        int ihdr = indexOf(png, "IHDR");
        png[ihdr + 4 + 13] ^= 0x01; // the CRC after the 13 IHDR data bytes
        assertRejected("crc.png", png, IMAGE, "CRC mismatch", "IHDR");
    }

    @Test
    void pngDeclaringHugeSizeIsRejectedBeforeDecoding() throws IOException {
        byte[] png = bytes("io/img_gray8.png");
        int ihdr = indexOf(png, "IHDR");
        ByteBuffer b = ByteBuffer.wrap(png); // PNG is big endian
        b.putInt(ihdr + 4, 100000).putInt(ihdr + 8, 100000);
        CRC32 crc = new CRC32();
        crc.update(png, ihdr, 4 + 13);
        b.putInt(ihdr + 4 + 13, (int) crc.getValue()); // a consistent header: only the size is wrong
        assertRejected("huge.png", png, IMAGE, "100000x100000", "limit");
        assertRejected("huge.png", png, ImageFiles::readLabels, "100000x100000");
    }

    @Test
    void pixelLimitIsConfigurable() throws IOException {
        Path camera = Fixtures.path("images/camera.png");
        assertRejected(camera, f -> ImageFiles.readGrayU8(f, 512 * 512 - 1), "512x512", "262143");
        ImageFiles.readGrayU8(camera, 512 * 512); // exactly at the limit is fine
    }

    // ---------------------------------------------------------------- JPEG, BMP, TIFF

    @Test
    void truncatedJpegIsNotReturnedHalfGray() throws IOException {
        byte[] jpg = bytes("images/HappyFish.jpg");
        assertRejected("half.jpg", Arrays.copyOf(jpg, jpg.length / 2), IMAGE, "JPEG");
        assertRejected("head.jpg", Arrays.copyOf(jpg, 300), IMAGE);
    }

    @Test
    void truncatedBmpAndTiff() throws IOException {
        byte[] bmp = bytes("io/img_rgb.bmp");
        assertRejected("half.bmp", Arrays.copyOf(bmp, bmp.length / 2), IMAGE);
        byte[] tif = bytes("io/img_gray16.tif");
        assertRejected("half.tif", Arrays.copyOf(tif, tif.length / 2), IMAGE);
        assertRejected("head.tif", Arrays.copyOf(tif, 10), IMAGE);
    }

    @Test
    void bmpDeclaringHugeSize() throws IOException {
        byte[] bmp = bytes("io/img_rgb.bmp");
        ByteBuffer.wrap(bmp).order(ByteOrder.LITTLE_ENDIAN).putInt(18, 1 << 20).putInt(22, 1 << 20);
        // The JDK's BMP header parser already refuses a size that the pixel data cannot hold, before our limit
        // is consulted; either way the file must be refused cleanly.
        assertRejected("huge.bmp", bmp, IMAGE);
    }

    // ---------------------------------------------------------------- .npy

    private static byte[] npy(String dict, int dataBytes) {
        return NpyFilesTest.npy(dict, dataBytes);
    }

    @Test
    void npyBadMagicAndVersion() throws IOException {
        byte[] good = bytes("io/npy_u1.npy");
        byte[] b = good.clone();
        b[1] = 'M';
        assertRejected("magic.npy", b, NPY, "bad magic");
        b = good.clone();
        b[6] = 4;
        assertRejected("v4.npy", b, NPY, "version 4.0");
        b = good.clone();
        b[7] = 1;
        assertRejected("v11.npy", b, NPY, "version 1.1");
        assertRejected("short.npy", Arrays.copyOf(good, 9), NPY, "truncated");
    }

    @Test
    void npyHeaderLengthBeyondFile() throws IOException {
        byte[] b = bytes("io/npy_u1.npy");
        b[8] = (byte) 0xFF;
        b[9] = (byte) 0xFF;
        assertRejected("hlen.npy", b, NPY, "header length 65535", "beyond");
        // Version 2.0 has a 4-byte length: 4 GiB must be refused before anything is allocated.
        byte[] v2 = bytes("io/npy_f4_v2.npy");
        ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putInt(8, -1);
        assertRejected("hlen2.npy", v2, NPY, "header length 4294967295");
    }

    @Test
    void npyUnparsableHeader() throws IOException {
        assertRejected("dict.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", 24), NPY,
                "unparsable");
        assertRejected("junk.npy", npy("not a dict at all", 24), NPY, "unparsable");
        assertRejected("tuple.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", 24), NPY,
                "unparsable", "integer");
        assertRejected("after.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), } }", 24), NPY,
                "unparsable");
        assertRejected("struct.npy", npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", 24),
                NPY, "structured");
        assertRejected("dup.npy",
                npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", 24), NPY,
                "duplicate");
        assertRejected("type.npy", npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (6,), }", 24), NPY,
                "unparsable");
        assertRejected("shape.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': '6', }", 24), NPY,
                "'shape' is not a tuple");
    }

    @Test
    void npyMissingOrExtraKeys() throws IOException {
        assertRejected("nodescr.npy", npy("{'fortran_order': False, 'shape': (6,), }", 24), NPY, "'descr'");
        assertRejected("noshape.npy", npy("{'descr': '<f4', 'fortran_order': False, }", 24), NPY, "'shape'");
        assertRejected("extra.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 'y', }", 24),
                NPY, "keys other than");
    }

    @Test
    void npyFortranOrder() throws IOException {
        assertRejected("fortran.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24), NPY,
                "fortran_order True");
    }

    @Test
    void npyUnsupportedDtypesAreNamed() throws IOException {
        for (String dtype : new String[] {"<f8", ">f4", "<c8", "<i8", "|O", "<U3", ">u2", "f4"}) {
            assertRejected("dtype.npy", npy("{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (2,), }", 64),
                    NPY, "unsupported dtype '" + dtype + "'");
        }
    }

    @Test
    void npyBadShapes() throws IOException {
        assertRejected("neg.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 24), NPY,
                "negative dimension -3");
        assertRejected("over.npy",
                npy("{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 65536), }", 24), NPY,
                "more than");
        assertRejected("huge.npy",
                npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 24), NPY,
                "out of range");
    }

    @Test
    void npyTruncatedData() throws IOException {
        byte[] good = bytes("io/npy_f4.npy");
        assertRejected("trunc.npy", Arrays.copyOf(good, good.length - 1), NPY, "truncated", "(17, 23)",
                "1564 data bytes", "1563 remain");
        assertRejected("nodata.npy", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1000000,), }", 0), NPY,
                "truncated", "4000000 data bytes");
    }

    // ---------------------------------------------------------------- mutation: nothing else may escape

    @Test
    void damagedValidFilesGiveOnlyImageFormatException() throws IOException {
        String[] images = {"io/img_rgb.png", "io/img_pal4.png", "io/img_rgb.jpg", "io/img_gray8.bmp",
            "io/img_rgb.tif", "io/img_gray16.tif", "io/img_rgb16_lzw.tif"};
        Random rnd = new Random(22);
        for (String resource : images) {
            byte[] good = bytes(resource);
            for (int trial = 0; trial < 40; trial++) {
                byte[] bad = mutate(good, rnd);
                readOrReject(bad, "m" + trial + "-" + Path.of(resource).getFileName(), LABELS_OR_RGB);
            }
        }
        byte[] npy = bytes("io/npy_f4_chw.npy");
        for (int trial = 0; trial < 100; trial++) {
            readOrReject(mutate(Arrays.copyOf(npy, 140), rnd), "m" + trial + ".npy", NPY);
        }
    }

    /** Flips a few bytes, overwrites a run with extreme values, or truncates. */
    private static byte[] mutate(byte[] good, Random rnd) {
        byte[] b = good.clone();
        switch (rnd.nextInt(3)) {
            case 0 -> {
                for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 + rnd.nextInt(255));
                }
            }
            case 1 -> {
                int at = rnd.nextInt(Math.min(b.length, 200)); // the headers live near the start
                Arrays.fill(b, at, Math.min(b.length, at + 1 + rnd.nextInt(4)), rnd.nextBoolean() ? (byte) 0xFF : 0);
            }
            default -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
        }
        return b;
    }

    private void readOrReject(byte[] bytes, String name, Reader reader) throws IOException {
        Path file = tmp.resolve(name);
        Files.write(file, bytes);
        try {
            reader.read(file);
        } catch (ImageFormatException e) {
            assertTrue(e.getMessage().contains(name), e.getMessage());
        } catch (Throwable t) {
            fail(name + ": " + t, t);
        }
        Files.delete(file);
    }

    private static int indexOf(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException(needle + " not found");
    }
}
