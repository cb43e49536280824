package org.segmentation.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.segmentation.core.io.Tensor;

/** Every malformed file is rejected with a {@link ModelFormatException} naming the file and the problem. */
class SafeTensorsMalformedTest {
    @TempDir
    Path dir;

    /** A file of the given header text (not padded) followed by {@code dataBytes} bytes 0, 1, 2, ... */
    static byte[] file(String header, int dataBytes) {
        return file(header.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    static byte[] file(byte[] header, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        for (int i = 0; i < dataBytes; i++) {
            b.put((byte) i);
        }
        return b.array();
    }

    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin
                + "," + end + "]}";
    }

    /** A valid two-tensor file: a F32[2] at [0, 8) and b I64[] at [8, 16). */
    static final String VALID = "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "I64", "[]", 8, 16) + "}";

    static Stream<Arguments> malformed() {
        byte[] valid = file(VALID, 16);
        byte[] badUtf8 = VALID.getBytes(StandardCharsets.UTF_8);
        badUtf8[2] = (byte) 0xFF; // inside the name "a"
        return Stream.of(
                Arguments.of("empty file", new byte[0], "fewer than the 8-byte header length", null),
                Arguments.of("7 bytes", new byte[7], "fewer than the 8-byte header length", null),
                Arguments.of("truncated header", Arrays.copyOf(valid, 8 + 20), "exceeds the 20 bytes", null),
                Arguments.of("header length beyond file", withLength(valid, 1000), "header length 1000 exceeds",
                        null),
                Arguments.of("header length above 2^63", withLength(valid, -2), "header length 18446744073709551614",
                        null),
                Arguments.of("header not UTF-8", file(badUtf8, 16), "not valid UTF-8", null),
                Arguments.of("bad JSON", file("{\"a\":{\"dtype\"", 0), "not valid JSON", null),
                Arguments.of("trailing JSON", file("{} {}", 0), "not valid JSON", null),
                Arguments.of("blank header", file("        ", 0), "header is empty", null),
                Arguments.of("JSON array", file("[1,2]", 0), "is a JSON ARRAY, not an object", null),
                Arguments.of("nested 65 deep", file("{\"a\":" + "[".repeat(64) + "]".repeat(64) + "}", 0),
                        "Document nesting depth (65) exceeds the maximum allowed (64", null),
                Arguments.of("nested 64 deep", file("{\"a\":" + "[".repeat(63) + "]".repeat(63) + "}", 0),
                        "entry is a JSON ARRAY, not an object", "a"),
                Arguments.of("entry not an object", file("{\"a\":3}", 0), "entry is a JSON NUMBER", "a"),
                Arguments.of("missing dtype", file("{\"a\":{\"shape\":[],\"data_offsets\":[0,4]}}", 4),
                        "dtype is missing", "a"),
                Arguments.of("unknown dtype", file("{" + entry("a", "F17", "[1]", 0, 4) + "}", 4),
                        "unknown or unsupported dtype 'F17'", "a"),
                Arguments.of("unsupported dtype", file("{" + entry("a", "BF16", "[2]", 0, 4) + "}", 4),
                        "unsupported dtype 'BF16'", "a"),
                Arguments.of("negative shape", file("{" + entry("a", "F32", "[-1]", 0, 4) + "}", 4),
                        "shape is [-1], not an array of non-negative integers", "a"),
                Arguments.of("fractional shape", file("{" + entry("a", "F32", "[1.5]", 0, 4) + "}", 4),
                        "shape is [1.5]", "a"),
                Arguments.of("shape not array", file("{" + entry("a", "F32", "4", 0, 4) + "}", 4),
                        "shape is 4", "a"),
                Arguments.of("shape overflow", file("{" + entry("a", "F32", "[4294967296,4294967296,4]", 0, 4)
                        + "}", 4), "overflows", "a"),
                Arguments.of("offsets not two numbers", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                        + "\"data_offsets\":[0,4,8]}}", 4), "data_offsets is [0,4,8]", "a"),
                Arguments.of("unexpected field", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                        + "\"data_offsets\":[0,4],\"strides\":[1]}}", 4), "unexpected field 'strides'", "a"),
                Arguments.of("shape/offset mismatch", file("{" + entry("a", "F32", "[2,2]", 0, 12) + "}", 12),
                        "span 12 bytes but F32[2, 2] needs 16", "a"),
                Arguments.of("offsets out of range", file("{" + entry("a", "F32", "[4]", 0, 16) + "}", 8),
                        "not a range inside the 8-byte data section", "a"),
                Arguments.of("begin after end", file("{" + entry("a", "F32", "[0]", 8, 4) + "}", 8),
                        "not a range", "a"),
                Arguments.of("overlapping tensors", file("{" + entry("a", "F32", "[2]", 0, 8) + ","
                        + entry("b", "F32", "[2]", 4, 12) + "}", 12), "overlap tensor 'a'", "b"),
                Arguments.of("gap in data", file("{" + entry("a", "F32", "[1]", 0, 4) + ","
                        + entry("b", "F32", "[1]", 8, 12) + "}", 12), "bytes [4, 8) of the data section unused", "b"),
                Arguments.of("unused trailing data", file("{" + entry("a", "F32", "[1]", 0, 4) + "}", 8),
                        "cover 4 bytes of the 8-byte data section", null),
                Arguments.of("duplicate key", file("{" + entry("a", "F32", "[1]", 0, 4) + ","
                        + entry("a", "F32", "[1]", 4, 8) + "}", 8), "Duplicate field 'a'", null),
                Arguments.of("duplicate metadata key", file("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0),
                        "Duplicate field 'k'", null),
                Arguments.of("metadata value not a string", file("{\"__metadata__\":{\"k\":1}}", 0),
                        "value of 'k' is a JSON NUMBER, not a string", null),
                Arguments.of("metadata not an object", file("{\"__metadata__\":[]}", 0),
                        "__metadata__ is a JSON ARRAY", null),
                Arguments.of("truncated data", Arrays.copyOf(valid, valid.length - 3),
                        "not a range inside the 13-byte data section", "b"));
    }

    static byte[] withLength(byte[] file, long headerLength) {
        byte[] out = file.clone();
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, headerLength);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedFileIsRejectedNamingFileAndProblem(String what, byte[] bytes, String problem, String tensor)
            throws IOException {
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.read(file));
        assertEquals(file, e.file());
        assertEquals(tensor, e.tensor(), e.getMessage());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void validBaseOfTheMalformedCasesReads() throws IOException {
        // the malformed cases are edits of this file, so it must itself be accepted
        Path file = dir.resolve("ok.safetensors");
        Files.write(file, file(VALID, 16));
        TensorFile t = SafeTensors.read(file);
        // data bytes are 0, 1, 2, ...: b (I64 at [8,16)) is 0x0F0E0D0C0B0A0908 little-endian
        assertEquals(0x0F0E0D0C0B0A0908L, t.get("b").longs()[0]);
        assertEquals(Float.intBitsToFloat(0x03020100), t.get("a").floats()[0]);
    }

    @Test
    void headerAboveTheSizeLimitIsRejectedWithoutReadingIt() throws IOException {
        // 16 MiB, or 1/32 of the heap when that is less (8 MiB with this module's 256 MiB test heap)
        long limit = Math.min(16L << 20, Runtime.getRuntime().maxMemory() / 32);
        // sparse files longer than the claimed header, so only the limit check can reject it
        for (long n : new long[] {limit + 1, SafeTensors.MAX_HEADER_BYTES + 1, 150L << 20}) {
            Path file = dir.resolve("huge-" + n + ".safetensors");
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(200L << 20);
                f.write(withLength(new byte[8], n));
            }
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.read(file));
            assertEquals(file, e.file());
            assertTrue(e.getMessage().startsWith(file + ": header length " + n + " exceeds the limit of " + limit
                    + " bytes"), e.getMessage());
        }
        // at the limit, the header is parsed (and here found to be blank)
        Path file = dir.resolve("at-limit.safetensors");
        byte[] blank = new byte[(int) limit];
        Arrays.fill(blank, (byte) ' ');
        java.nio.file.Files.write(file, withLength(concat(new byte[8], blank), limit));
        assertEquals(file + ": header is empty", assertThrows(ModelFormatException.class,
                () -> SafeTensors.read(file)).getMessage());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A sparse file whose header is {@code header} and whose data section has {@code dataBytes} bytes. */
    private Path sparse(String header, long dataBytes) throws IOException {
        Path file = dir.resolve("sparse.safetensors");
        byte[] head = file(header, 0);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(head);
            f.setLength(head.length + dataBytes);
        }
        return file;
    }

    @Test
    void tensorTooLargeForAJavaArrayIsRefusedBeforeAllocating() throws IOException {
        long n = 1L << 31; // one more element than an array can hold
        Path file = sparse("{" + entry("big", "U8", "[" + n + "]", 0, n) + "}", n);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.read(file));
        assertEquals("big", e.tensor());
        assertTrue(e.getMessage().contains("more than a Java array holds"), e.getMessage());
    }

    @Test
    void dataLargerThanTheHeapIsRefusedBeforeAllocating() throws IOException {
        long n = Runtime.getRuntime().maxMemory() / 8 + 1;
        org.junit.jupiter.api.Assumptions.assumeTrue(n <= Tensor.MAX_ELEMENTS, "heap too large for this test");
        Path file = sparse("{" + entry("big", "F64", "[" + n + "]", 0, 8 * n) + "}", 8 * n);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains("more than the Java heap can ever hold"), e.getMessage());
    }
}
