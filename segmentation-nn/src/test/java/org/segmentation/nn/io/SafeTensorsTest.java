package org.segmentation.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.io.DType;
import org.segmentation.core.io.Tensor;

class SafeTensorsTest {
    @TempDir
    Path dir;

    static Path resource(String name) throws URISyntaxException {
        return Path.of(SafeTensorsTest.class.getResource(name).toURI());
    }

    /** One tensor of every dtype, scalars and empty tensors included, with seeded random elements. */
    static TensorFile everyDtype() {
        Random rng = new Random(42);
        float[] f = new float[6];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) rng.nextGaussian();
        }
        double[] d = new double[5];
        for (int i = 0; i < d.length; i++) {
            d[i] = rng.nextGaussian();
        }
        long[] l = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE, rng.nextLong()};
        int[] n = {Integer.MIN_VALUE, -7, 0, Integer.MAX_VALUE};
        byte[] b = {0, 1, (byte) 127, (byte) 128, (byte) 255};
        return TensorFile.builder()
                .put("w.f32", Tensor.f32(f, 2, 3))
                .put("w.f64", Tensor.f64(d, 5))
                .put("n.i64", Tensor.i64(l, 3, 1, 2))
                .put("n.i32", Tensor.i32(n, 2, 2))
                .put("n.u8", Tensor.u8(b, 5))
                .put("scalar.f32", Tensor.f32(new float[] {Float.NaN}))
                .put("scalar.i64", Tensor.i64(new long[] {3}))
                .put("scalar.f64", Tensor.f64(new double[] {-0.0}))
                .put("scalar.i32", Tensor.i32(new int[] {-5}))
                .put("scalar.u8", Tensor.u8(new byte[] {(byte) 200}))
                .put("empty.f32", Tensor.f32(new float[0], 0, 3))
                .put("empty.f64", Tensor.f64(new double[0], 4, 0))
                .put("empty.i64", Tensor.i64(new long[0], 0))
                .put("empty.i32", Tensor.i32(new int[0], 2, 0, 2))
                .put("empty.u8", Tensor.u8(new byte[0], 0))
                .meta("format", "pt")
                .meta("note", "ünïcode ✓")
                .build();
    }

    @Test
    void roundTripOfEveryDtypeScalarAndEmptyTensor() throws IOException {
        TensorFile written = everyDtype();
        Path file = dir.resolve("all.safetensors");
        SafeTensors.write(file, written);
        TensorFile read = SafeTensors.read(file);
        assertEquals(written, read);
        assertEquals(file, read.source());
        // spot checks independent of Tensor.equals
        assertArrayEquals(written.get("n.i64").longs(), read.get("n.i64").longs());
        assertEquals(0, read.get("scalar.f32").rank());
        assertTrue(Float.isNaN(read.get("scalar.f32").floats()[0]));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(read.get("scalar.f64").doubles()[0]));
        assertEquals(200, read.get("scalar.u8").bytes()[0] & 0xFF);
        assertArrayEquals(new long[] {2, 0, 2}, read.get("empty.i32").shape());
        assertEquals("ünïcode ✓", read.metadata().get("note"));
    }

    @Test
    void writerPadsHeaderAndAlignsEveryTensor() throws IOException {
        Path file = dir.resolve("all.safetensors");
        SafeTensors.write(file, everyDtype());
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\""), header);
        JsonNode root = new ObjectMapper().readTree(header);
        long expectedBegin = 0;
        int lastSize = Integer.MAX_VALUE;
        List<String> names = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            int size = DType.valueOf(e.getValue().get("dtype").textValue()).byteSize();
            long begin = e.getValue().get("data_offsets").get(0).longValue();
            assertEquals(expectedBegin, begin, e.getKey() + " listed in data order");
            assertEquals(0, (8 + n + begin) % size, e.getKey() + " aligned in the file");
            assertTrue(size <= lastSize, "largest elements first");
            if (size < lastSize) {
                names.clear();
            }
            names.add(e.getKey());
            assertEquals(names.stream().sorted().toList(), names, "names sorted within one element size");
            lastSize = size;
            expectedBegin = e.getValue().get("data_offsets").get(1).longValue();
        }
        assertEquals(bytes.length - 8 - n, expectedBegin);
    }

    @Test
    void writerOutputDoesNotDependOnInsertionOrder() throws IOException {
        TensorFile a = everyDtype();
        TensorFile.Builder reversed = TensorFile.builder();
        List<String> names = new ArrayList<>(a.tensors().keySet());
        for (int i = names.size() - 1; i >= 0; i--) {
            reversed.put(names.get(i), a.get(names.get(i)));
        }
        a.metadata().forEach(reversed::meta);
        SafeTensors.write(dir.resolve("a"), a);
        SafeTensors.write(dir.resolve("b"), reversed.build());
        assertArrayEquals(Files.readAllBytes(dir.resolve("a")), Files.readAllBytes(dir.resolve("b")));
    }

    @Test
    void largeTensorCrossesTheCopyChunkBoundary() throws IOException {
        // 600k floats = 2.4 MB: more than two 1 MiB chunks, and not a multiple of a chunk
        float[] f = new float[600_001];
        Random rng = new Random(3);
        for (int i = 0; i < f.length; i++) {
            f[i] = rng.nextFloat();
        }
        TensorFile written = TensorFile.builder().put("big", Tensor.f32(f, f.length))
                .put("tail", Tensor.i64(new long[] {7, 8}, 2)).build();
        Path file = dir.resolve("big.safetensors");
        SafeTensors.write(file, written);
        assertEquals(written, SafeTensors.read(file));
    }

    @Test
    void readsPyTorchFixtureExactly() throws Exception {
        TensorFile read = SafeTensors.read(resource("torch_small.safetensors"));
        JsonNode expected = new ObjectMapper().readTree(resource("torch_small_expected.json").toFile());
        assertTensorsMatch(expected, read);
        // the Python writer used state_dict order; the reader returns data-offset order, which is the same
        List<String> expectedOrder = new ArrayList<>();
        expected.get("tensors").fieldNames().forEachRemaining(expectedOrder::add);
        assertEquals(expectedOrder, new ArrayList<>(read.tensors().keySet()));
        assertEquals(3L, read.get("bn1.num_batches_tracked").longs()[0], "three training-mode forward passes");
    }

    /** Compares every tensor with the fixture script's dump: dtype, shape and exact elements (float bits). */
    static void assertTensorsMatch(JsonNode expected, TensorFile read) {
        assertEquals(expected.get("tensors").size(), read.tensors().size());
        Map<String, String> metadata = new java.util.LinkedHashMap<>();
        expected.get("metadata").fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().textValue()));
        assertEquals(metadata, read.metadata());
        expected.get("tensors").fields().forEachRemaining(e -> {
            String name = e.getKey();
            JsonNode x = e.getValue();
            Tensor t = read.get(name);
            assertEquals(x.get("dtype").textValue(), t.dtype().name(), name);
            long[] shape = new long[x.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = x.get("shape").get(i).longValue();
            }
            assertArrayEquals(shape, t.shape(), name);
            JsonNode el = x.get("elements");
            assertEquals(el.size(), t.numel(), name);
            for (int i = 0; i < el.size(); i++) {
                long want = el.get(i).longValue();
                long got;
                switch (t.dtype()) {
                    case F32: got = Integer.toUnsignedLong(Float.floatToRawIntBits(t.floats()[i])); break;
                    case F64: got = Double.doubleToRawLongBits(t.doubles()[i]); break;
                    case I64: got = t.longs()[i]; break;
                    case I32: got = t.ints()[i]; break;
                    case U8: got = t.bytes()[i] & 0xFF; break;
                    default: throw new AssertionError();
                }
                assertEquals(want, got, name + "[" + i + "]");
            }
        });
    }

    @Test
    void fixtureRewrittenByJavaReadsBackEqual() throws Exception {
        TensorFile read = SafeTensors.read(resource("torch_small.safetensors"));
        Path copy = dir.resolve("copy.safetensors");
        SafeTensors.write(copy, read);
        assertEquals(read, SafeTensors.read(copy));
    }

    @Test
    void tensorChecksShapeAgainstDataAndType() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.f32(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> Tensor.f32(new float[0], -1, 0));
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.F32, 1L << 31));
        assertThrows(IllegalStateException.class, () -> Tensor.i64(new long[1]).floats());
        assertEquals(1, Tensor.f32(new float[] {1}).numel());
    }

    @Test
    void requireNamesFileAndTensor() throws IOException {
        Path file = dir.resolve("m.safetensors");
        SafeTensors.write(file, TensorFile.builder().put("conv.w", Tensor.f32(new float[6], 2, 3)).build());
        TensorFile read = SafeTensors.read(file);
        assertEquals(read.get("conv.w"), read.require("conv.w", DType.F32, 2, 3));
        ModelFormatException wrongShape = assertThrows(ModelFormatException.class,
                () -> read.require("conv.w", DType.F32, 3, 2));
        assertEquals(file, wrongShape.file());
        assertEquals("conv.w", wrongShape.tensor());
        assertTrue(wrongShape.getMessage().contains("F32[2, 3]"), wrongShape.getMessage());
        assertThrows(ModelFormatException.class, () -> read.require("conv.w", DType.F64, 2, 3));
        ModelFormatException missing = assertThrows(ModelFormatException.class,
                () -> read.require("conv.b", DType.F32, 2));
        assertEquals("conv.b", missing.tensor());
    }

    @Test
    void aWriteThatFailsAtTheRenameKeepsTargetAndLeavesNoTemporary(@TempDir Path dir) throws IOException {
        // the target is a non-empty directory: all data is written to the temporary file, then the move fails
        Path target = dir.resolve("w.safetensors");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep"), "x");
        TensorFile t = TensorFile.builder().put("a", Tensor.f32(new float[] {1, 2}, 2)).build();
        assertThrows(IOException.class, () -> SafeTensors.write(target, t));
        try (java.util.stream.Stream<Path> s = Files.list(target.getParent())) {
            assertEquals(List.of("w.safetensors"), s.map(p -> p.getFileName().toString()).toList());
        }
        assertEquals("x", Files.readString(target.resolve("keep")));
    }

    @Test
    void u16AndBoolTensorsRoundTripLikeTheNpyTypes(@TempDir Path dir) throws IOException {
        Tensor u16 = Tensor.u16(new short[] {0, 1, (short) 65535}, 3);
        Tensor bool = Tensor.bool(new byte[] {1, 0, 0, 1}, 2, 2);
        Path file = dir.resolve("t.safetensors");
        SafeTensors.write(file, TensorFile.builder().put("u", u16).put("b", bool).build());
        TensorFile back = SafeTensors.read(file);
        assertEquals(u16, back.get("u"));
        assertEquals(bool, back.get("b"));
        assertEquals(65535, back.get("u").shorts()[2] & 0xFFFF);
    }
}
