package org.segmentation.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.image.RgbU8;

class NpyFilesTest {
    /** Shape of the NumPy fixtures; the formulas below are those of make_io_fixtures.py. */
    private static final int H = 17;
    private static final int W = 23;

    @TempDir
    Path tmp;

    // ---------------------------------------------------------------- files written by NumPy

    @Test
    void readsFloat32WrittenByNumpy() throws IOException {
        for (String name : new String[] {"npy_f4.npy", "npy_f4_v2.npy"}) {
            Tensor a = NpyFiles.read(Fixtures.path("io/" + name));
            assertEquals(DType.F32, a.dtype());
            assertArrayEquals(new long[] {H, W}, a.shape());
            float[] f = a.floats();
            float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE,
                Float.MAX_VALUE};
            for (int i = 0; i < f.length; i++) {
                float e = i < special.length ? special[i] : (i - 150) / 8f;
                // Bit patterns, so that -0.0 and NaN are checked too.
                assertEquals(Float.floatToRawIntBits(e), Float.floatToRawIntBits(f[i]), name + " element " + i);
            }
        }
    }

    @Test
    void readsIntegerDtypesWrittenByNumpy() throws IOException {
        byte[] u1 = NpyFiles.read(Fixtures.path("io/npy_u1.npy")).bytes();
        int[] i4 = NpyFiles.read(Fixtures.path("io/npy_i4.npy")).ints();
        for (String name : new String[] {"npy_u2.npy", "npy_u2_v3.npy"}) {
            Tensor u2 = NpyFiles.read(Fixtures.path("io/" + name));
            assertArrayEquals(new long[] {H, W}, u2.shape());
            for (int i = 0; i < H * W; i++) {
                assertEquals((int) ((i * 2654435761L) % 65536), u2.shorts()[i] & 0xFFFF, name);
            }
        }
        for (int i = 0; i < H * W; i++) {
            assertEquals((i * 37 + 11) % 256, u1[i] & 0xFF);
            assertEquals((int) (i * 2654435761L), i4[i]); // int32 wrap-around, both signs occur
        }
    }

    @Test
    void readsMultiChannelAndBoolArraysIntoImages() throws IOException {
        PlanarF32 chw = NpyFiles.read(Fixtures.path("io/npy_f4_chw.npy")).toPlanarF32(null);
        assertEquals(3, chw.channels);
        assertEquals(W, chw.width);
        assertEquals(H, chw.height);
        assertEquals((2 * H * W + 5 * W + 7) * 0.25f - 7f, chw.get(2, 7, 5));
        RgbU8 hwc = NpyFiles.read(Fixtures.path("io/npy_u1_hwc.npy")).toRgbU8(null);
        assertEquals(((5 * W + 7) * 3 + 1) * 7 % 256, hwc.get(7, 5, 1));
        Mask mask = NpyFiles.read(Fixtures.path("io/npy_b1.npy")).toMask(null);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                assertEquals((x * x + y) % 3 == 0, mask.get(x, y));
            }
        }
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void roundTripEveryDtypeAndRank() throws IOException {
        Random rnd = new Random(11);
        long[][] shapes = {{}, {0}, {1}, {7}, {3, 5}, {2, 3, 4}, {2, 1, 3, 2}, {70000}};
        for (long[] shape : shapes) {
            int n = 1;
            for (long d : shape) {
                n *= d;
            }
            float[] f = new float[n];
            byte[] b = new byte[n];
            short[] s = new short[n];
            int[] i = new int[n];
            byte[] bool = new byte[n];
            for (int k = 0; k < n; k++) {
                f[k] = Float.intBitsToFloat(rnd.nextInt()); // any bit pattern, NaN payloads included
                i[k] = rnd.nextInt();
                s[k] = (short) i[k];
                b[k] = (byte) i[k];
                bool[k] = (byte) (i[k] >>> 31);
            }
            for (Tensor a : new Tensor[] {Tensor.f32(f, shape), Tensor.u8(b, shape),
                Tensor.u16(s, shape), Tensor.i32(i, shape), Tensor.bool(bool, shape)}) {
                Path file = tmp.resolve("a.npy");
                NpyFiles.write(a, file);
                Tensor back = NpyFiles.read(file);
                assertEquals(a.dtype(), back.dtype(), a.toString());
                assertArrayEquals(a.shape(), back.shape(), a.toString());
                assertRawEquals(a, back);
                // NumPy aligns the data to 64 bytes; the data follows the header directly.
                long dataBytes = (long) n * a.dtype().byteSize();
                assertEquals(0, (Files.size(file) - dataBytes) % 64, a.toString());
            }
        }
    }

    private static void assertRawEquals(Tensor a, Tensor b) {
        switch (a.dtype()) {
            case F32 -> {
                for (int k = 0; k < a.numel(); k++) {
                    assertEquals(Float.floatToRawIntBits(a.floats()[k]), Float.floatToRawIntBits(b.floats()[k]));
                }
            }
            case U8, BOOL -> assertArrayEquals(a.bytes(), b.bytes());
            case U16 -> assertArrayEquals(a.shorts(), b.shorts());
            case I32 -> assertArrayEquals(a.ints(), b.ints());
            default -> throw new AssertionError(a.dtype());
        }
    }

    @Test
    void writtenHeaderIsWhatNumpyWrites() throws IOException {
        Path file = tmp.resolve("h.npy");
        NpyFiles.write(Tensor.f32(new float[6], 2, 3), file);
        byte[] bytes = Files.readAllBytes(file);
        // Compare with NumPy's own file for a (17, 23) float32 array, a fixture, header for header.
        byte[] numpy = Files.readAllBytes(Fixtures.path("io/npy_f4.npy"));
        String mine = new String(bytes, 10, 118, StandardCharsets.ISO_8859_1);
        String theirs = new String(numpy, 10, 118, StandardCharsets.ISO_8859_1);
        assertEquals(theirs.replace("(17, 23)", "(2, 3)").strip(), mine.strip());
        assertEquals(128 + 24, bytes.length);
        assertEquals(numpy[8] & 0xFF, bytes[8] & 0xFF, "header length of NumPy's 1.0 files is the same");
    }

    @Test
    void imageConversionsRoundTripThroughFilesFromSubImages() throws IOException {
        Random rnd = new Random(12);
        GrayF32 f = new GrayF32(9, 7);
        for (int k = 0; k < f.data.length; k++) {
            f.data[k] = (float) rnd.nextGaussian();
        }
        GrayF32 fs = f.subimage(1, 2, 8, 7);
        assertArrayEquals(fs.copy().data, viaFile(Tensor.of(fs)).toGrayF32(null).data);

        GrayU8 g = new GrayU8(9, 7);
        rnd.nextBytes(g.data);
        GrayU8 gs = g.subimage(2, 1, 9, 6);
        assertArrayEquals(gs.copy().data, viaFile(Tensor.of(gs)).toGrayU8(null).data);

        GrayU16 w = new GrayU16(9, 7);
        for (int k = 0; k < w.data.length; k++) {
            w.data[k] = (short) rnd.nextInt(65536);
        }
        GrayU16 ws = w.subimage(0, 1, 5, 7);
        assertArrayEquals(ws.copy().data, viaFile(Tensor.of(ws)).toGrayU16(null).data);

        LabelMap l = new LabelMap(9, 7);
        for (int k = 0; k < l.data.length; k++) {
            l.data[k] = rnd.nextInt(Integer.MAX_VALUE);
        }
        LabelMap ls = l.subimage(1, 1, 8, 6);
        assertArrayEquals(ls.copy().data, viaFile(Tensor.of(ls)).toLabelMap(null).data);

        Mask m = new Mask(9, 7);
        for (int k = 0; k < m.data.length; k++) {
            m.data[k] = (byte) rnd.nextInt(2);
        }
        Mask ms = m.subimage(3, 0, 9, 7);
        assertArrayEquals(ms.copy().data, viaFile(Tensor.of(ms)).toMask(null).data);

        PlanarF32 p = new PlanarF32(4, 9, 7);
        for (int k = 0; k < p.data.length; k++) {
            p.data[k] = rnd.nextFloat();
        }
        PlanarF32 ps = p.subimage(2, 2, 7, 6);
        Tensor pa = viaFile(Tensor.of(ps));
        assertArrayEquals(new long[] {4, 4, 5}, pa.shape());
        assertArrayEquals(ps.copy().data, pa.toPlanarF32(null).data);

        RgbU8 c = new RgbU8(9, 7);
        rnd.nextBytes(c.data);
        RgbU8 cs = c.subimage(1, 3, 6, 7);
        Tensor ca = viaFile(Tensor.of(cs));
        assertArrayEquals(new long[] {4, 5, 3}, ca.shape());
        assertEquals(cs.getRgb(2, 1), ca.toRgbU8(null).getRgb(2, 1));
        assertArrayEquals(cs.copy().data, ca.toRgbU8(null).data);
    }

    @Test
    void conversionIntoSubImageOutputWritesOnlyTheView() {
        GrayU8 parent = new GrayU8(6, 5);
        GrayU8 view = parent.subimage(1, 1, 4, 3);
        Tensor.u8(new byte[] {1, 2, 3, 4, 5, 6}, 2, 3).toGrayU8(view);
        assertEquals(1, parent.get(1, 1));
        assertEquals(6, parent.get(3, 2));
        assertEquals(0, parent.get(4, 2));
        assertEquals(0, parent.get(1, 3));
    }

    @Test
    void conversionMismatchNamesExpectedAndActual() {
        Tensor a = Tensor.f32(new float[24], 2, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.toGrayF32(null));
        assertTrue(e.getMessage().contains("(H, W)") && e.getMessage().contains("(2, 3, 4)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.toRgbU8(null));
        assertTrue(e.getMessage().contains("'|u1'") && e.getMessage().contains("'<f4'"), e.getMessage());
        Tensor u = Tensor.u8(new byte[24], 2, 3, 4);
        e = assertThrows(IllegalArgumentException.class, () -> u.toRgbU8(null));
        assertTrue(e.getMessage().contains("(H, W, 3)") && e.getMessage().contains("(2, 3, 4)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.toPlanarF32(new PlanarF32(3, 4, 3)));
        assertTrue(e.getMessage().contains("3 channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.i32(new int[] {1, -2}, 1, 2).toLabelMap(null));
        assertTrue(e.getMessage().contains("-2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.f32(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("(2, 3)") && e.getMessage().contains("5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.u8(new byte[0], 0, 3).toGrayU8(null));
        assertTrue(e.getMessage().contains("(0, 3)"), e.getMessage());
    }

    private Tensor viaFile(Tensor a) throws IOException {
        Path file = tmp.resolve("v.npy");
        NpyFiles.write(a, file);
        return NpyFiles.read(file);
    }

    /** A version 1.0 file with the given header dict (padded as NumPy does) followed by {@code data} bytes. */
    static byte[] npy(String dict, int dataBytes) {
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] header = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length).put(header);
        return b.array();
    }

    @Test
    void handMadeHeaderVariantsAreAccepted() throws IOException {
        Path file = tmp.resolve("v.npy");
        // Keys in another order, double quotes, no trailing comma, Python 2 long suffix, '<u1' for '|u1'.
        Files.write(file, npy("{\"shape\": (2L, 3L), 'fortran_order': False, 'descr': '<u1'}", 6));
        Tensor a = NpyFiles.read(file);
        assertEquals(DType.U8, a.dtype());
        assertArrayEquals(new long[] {2, 3}, a.shape());
    }
}
