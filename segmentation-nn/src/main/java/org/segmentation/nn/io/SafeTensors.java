package org.segmentation.nn.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.segmentation.core.io.AtomicFiles;
import org.segmentation.core.io.DType;
import org.segmentation.core.io.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes the safetensors format (Hugging Face): an 8-byte little-endian unsigned header length
 * {@code N}; {@code N} bytes of UTF-8 JSON, an object mapping each tensor name to
 * {@code {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}} plus an optional
 * {@code "__metadata__"} object of strings; then the data section, each tensor's elements little-endian in C
 * order at {@code [begin, end)} counted from the first byte after the header.
 *
 * <p>{@link #read} checks the whole header against the file before reading any data, and throws a
 * {@link ModelFormatException} naming the file (and the tensor) for: a folder or other non-regular file; a file
 * shorter than 8 bytes; a header length beyond the file or above {@link #MAX_HEADER_BYTES} (or 1/32 of the heap,
 * {@link #jsonLimit}); a header that is not UTF-8, not JSON, nested deeper than {@link #MAX_JSON_DEPTH}, not an
 * object, or has a duplicate key; an entry without exactly the fields
 * {@code dtype} (a string), {@code shape} (non-negative integers) and {@code data_offsets} (two non-negative
 * integers); a dtype outside {@link DType}; an element count that overflows or does not fit a Java array; a byte
 * range that does not match shape times element size or leaves the data section; and tensors that overlap, leave
 * gaps, or do not cover the data section to its end (the format requires the data to be fully indexed). It also
 * refuses, with the same exception, valid files it cannot hold: a tensor of more than
 * {@link Tensor#MAX_ELEMENTS} elements, or more data than the maximum Java heap. Tensors are returned in
 * data-offset order.
 *
 * <p>{@link #write} is deterministic: equal contents give identical bytes. Tensors are laid out by element
 * size, largest first, then by name (the order of the reference implementation), so with the header padded
 * with spaces to a multiple of 8 bytes every tensor starts at a multiple of its element size in the file. The
 * header lists {@code __metadata__} (when not empty) and then the tensors in data order. The file is written
 * atomically ({@link AtomicFiles#write}).
 */
public final class SafeTensors {
    private static final Logger LOG = LoggerFactory.getLogger(SafeTensors.class);

    /**
     * The largest header accepted, 16 MiB: some 150,000 tensors (the reference implementation allows 100 MiB; the
     * largest header this library writes is a few KiB). Headers are also held to {@link #jsonLimit}.
     */
    public static final long MAX_HEADER_BYTES = 16L << 20;
    /**
     * The deepest nesting of arrays and objects accepted in a header or a model folder's JSON file (a header
     * nests 3 levels deep, a config 3).
     */
    public static final int MAX_JSON_DEPTH = 64;

    /** Tensor data is moved through a buffer of this many bytes, a multiple of every element size. */
    private static final int CHUNK = 1 << 20;

    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength((int) MAX_HEADER_BYTES).maxNestingDepth(MAX_JSON_DEPTH).build())
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private SafeTensors() {
    }

    /** One header entry, checked against the file. */
    private static final class Entry {
        final String name;
        final DType dtype;
        final long[] shape;
        final long begin;
        final long end;

        Entry(String name, DType dtype, long[] shape, long begin, long end) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.begin = begin;
            this.end = end;
        }
    }

    /**
     * Reads all tensors and the metadata of {@code file}, after validating its header as described in the
     * class documentation.
     *
     * @throws ModelFormatException if the file is not a valid safetensors file of supported types
     * @throws IOException if the file cannot be read
     */
    public static TensorFile read(Path file) throws IOException {
        requireRegularFile(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new ModelFormatException(file, null, "file has " + size
                        + " bytes, fewer than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file, null);
            long n = lenBuf.flip().getLong();
            if (n < 0 || n > size - 8) {
                throw new ModelFormatException(file, null, "header length " + Long.toUnsignedString(n)
                        + " exceeds the " + (size - 8) + " bytes after the length field");
            }
            if (n > jsonLimit(MAX_HEADER_BYTES)) {
                throw new ModelFormatException(file, null, "header length " + n + " exceeds the limit of "
                        + describeJsonLimit(MAX_HEADER_BYTES));
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headerBuf, 8, file, null);
            long dataStart = 8 + n;
            long dataLength = size - dataStart;

            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = parseHeader(file, headerBuf.array(), dataLength, metadata);
            checkLayout(file, entries, dataLength);
            // After the header checks, which name the offending tensor, and before any tensor is allocated.
            if (dataLength > Runtime.getRuntime().maxMemory()) {
                throw new ModelFormatException(file, null, "holds " + dataLength + " bytes of tensor data, more"
                        + " than the Java heap can ever hold (" + Runtime.getRuntime().maxMemory() + " bytes)");
            }

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : entries) {
                Tensor t = Tensor.zeros(e.dtype, e.shape);
                readData(ch, dataStart + e.begin, t, chunk, file, e.name);
                tensors.put(e.name, t);
            }
            LOG.debug("Read {} tensors ({} bytes) from {}", tensors.size(), dataLength, file);
            return new TensorFile(tensors, metadata, file);
        }
    }

    private static List<Entry> parseHeader(Path file, byte[] header, long dataLength,
            Map<String, String> metadata) throws ModelFormatException {
        String text;
        try {
            text = decodeUtf8(header);
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file, null, "header is not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file, null, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || root.isMissingNode()) {
            throw new ModelFormatException(file, null, "header is empty");
        }
        if (!root.isObject()) {
            throw new ModelFormatException(file, null, "header is a JSON " + root.getNodeType()
                    + ", not an object");
        }
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (name.equals(TensorFile.METADATA_KEY)) {
                parseMetadata(file, value, metadata);
            } else {
                entries.add(parseEntry(file, name, value, dataLength));
            }
        }
        return entries;
    }

    private static void parseMetadata(Path file, JsonNode value, Map<String, String> metadata)
            throws ModelFormatException {
        if (!value.isObject()) {
            throw new ModelFormatException(file, null, TensorFile.METADATA_KEY + " is a JSON "
                    + value.getNodeType() + ", not an object of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new ModelFormatException(file, null, TensorFile.METADATA_KEY + " value of '" + m.getKey()
                        + "' is a JSON " + m.getValue().getNodeType() + ", not a string");
            }
            metadata.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static Entry parseEntry(Path file, String name, JsonNode value, long dataLength)
            throws ModelFormatException {
        if (!value.isObject()) {
            throw new ModelFormatException(file, name, "entry is a JSON " + value.getNodeType()
                    + ", not an object");
        }
        for (Iterator<String> it = value.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("dtype") && !f.equals("shape") && !f.equals("data_offsets")) {
                throw new ModelFormatException(file, name, "unexpected field '" + f + "'");
            }
        }
        JsonNode dtypeNode = value.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new ModelFormatException(file, name, "dtype is missing or not a string");
        }
        DType dtype = DType.fromName(dtypeNode.textValue());
        if (dtype == null) {
            throw new ModelFormatException(file, name, "unknown or unsupported dtype '" + dtypeNode.textValue()
                    + "' (supported: " + Arrays.toString(DType.values()) + ")");
        }
        long[] shape = nonNegativeLongs(file, name, "shape", value.get("shape"), -1);
        long[] offsets = nonNegativeLongs(file, name, "data_offsets", value.get("data_offsets"), 2);
        long numel;
        long bytes;
        try {
            numel = Tensor.numel(shape);
            bytes = Math.multiplyExact(numel, (long) dtype.byteSize());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ModelFormatException(file, name, "shape " + Arrays.toString(shape) + " overflows", e);
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataLength) {
            throw new ModelFormatException(file, name, "data_offsets [" + begin + ", " + end
                    + "] are not a range inside the " + dataLength + "-byte data section");
        }
        if (end - begin != bytes) {
            throw new ModelFormatException(file, name, "data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes but " + dtype + Arrays.toString(shape) + " needs " + bytes);
        }
        if (numel > Tensor.MAX_ELEMENTS) {
            throw new ModelFormatException(file, name, "has " + numel + " elements, more than a Java array holds");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long[] nonNegativeLongs(Path file, String name, String field, JsonNode node, int length)
            throws ModelFormatException {
        String expected = length < 0 ? "an array of non-negative integers"
                : "an array of " + length + " non-negative integers";
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw new ModelFormatException(file, name, field + " is " + (node == null ? "missing" : node.toString())
                    + ", not " + expected);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new ModelFormatException(file, name, field + " is " + node + ", not " + expected);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /** Sorts {@code entries} by offset and checks that they tile the data section exactly. */
    private static void checkLayout(Path file, List<Entry> entries, long dataLength) throws ModelFormatException {
        entries.sort(Comparator.<Entry>comparingLong(e -> e.begin).thenComparingLong(e -> e.end));
        long cursor = 0;
        Entry previous = null;
        for (Entry e : entries) {
            if (e.begin < cursor) {
                throw new ModelFormatException(file, e.name, "data_offsets [" + e.begin + ", " + e.end
                        + "] overlap tensor '" + previous.name + "' [" + previous.begin + ", " + previous.end + "]");
            }
            if (e.begin > cursor) {
                throw new ModelFormatException(file, e.name, "data_offsets [" + e.begin + ", " + e.end
                        + "] leave bytes [" + cursor + ", " + e.begin + ") of the data section unused");
            }
            cursor = e.end;
            previous = e;
        }
        if (cursor != dataLength) {
            throw new ModelFormatException(file, null, "the tensors cover " + cursor + " bytes of the "
                    + dataLength + "-byte data section; the rest is unused");
        }
    }

    private static void readData(FileChannel ch, long position, Tensor t, ByteBuffer chunk, Path file,
            String name) throws IOException {
        int count = t.numel();
        int perChunk = CHUNK / t.dtype().byteSize();
        for (int off = 0; off < count; off += perChunk) {
            int n = Math.min(perChunk, count - off);
            chunk.clear().limit(n * t.dtype().byteSize());
            readFully(ch, chunk, position + (long) off * t.dtype().byteSize(), file, name);
            chunk.flip();
            switch (t.dtype()) {
                case F32: chunk.asFloatBuffer().get(t.floats(), off, n); break;
                case F64: chunk.asDoubleBuffer().get(t.doubles(), off, n); break;
                case I64: chunk.asLongBuffer().get(t.longs(), off, n); break;
                case I32: chunk.asIntBuffer().get(t.ints(), off, n); break;
                case U16: chunk.asShortBuffer().get(t.shorts(), off, n); break;
                case U8, BOOL: chunk.get(t.bytes(), off, n); break;
                default: throw new AssertionError(t.dtype());
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path file, String name)
            throws IOException {
        long p = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, p);
            if (r < 0) {
                throw new ModelFormatException(file, name, "file ends at byte " + p + ", before the "
                        + buf.remaining() + " bytes expected there (was it truncated while being read?)");
            }
            p += r;
        }
    }

    /**
     * Writes {@code content} to {@code file} atomically, laid out as described in the class documentation.
     *
     * @throws IOException if the file cannot be written; {@code file} then keeps its previous content
     */
    public static void write(Path file, TensorFile content) throws IOException {
        List<Map.Entry<String, Tensor>> order = new ArrayList<>(content.tensors().entrySet());
        order.sort(Comparator.<Map.Entry<String, Tensor>>comparingInt(e -> -e.getValue().dtype().byteSize())
                .thenComparing(Map.Entry::getKey));
        byte[] header = encodeHeader(order, content.metadata());
        AtomicFiles.write(file, ch -> {
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            chunk.putLong(header.length).flip();
            writeFully(ch, chunk);
            writeFully(ch, ByteBuffer.wrap(header));
            for (Map.Entry<String, Tensor> e : order) {
                writeData(ch, e.getValue(), chunk);
            }
        });
    }

    /** The header JSON, padded with spaces so that the data starts at a multiple of 8 bytes. */
    private static byte[] encodeHeader(List<Map.Entry<String, Tensor>> order, Map<String, String> metadata)
            throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(TensorFile.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : order) {
            Tensor t = e.getValue();
            ObjectNode node = root.putObject(e.getKey());
            node.put("dtype", t.dtype().name());
            ArrayNode shape = node.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long end = offset + t.byteLength();
            node.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (int) ((8 + (long) json.length + 7) / 8 * 8 - 8);
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("header of " + padded + " bytes exceeds the format's limit of "
                    + MAX_HEADER_BYTES);
        }
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeData(FileChannel ch, Tensor t, ByteBuffer chunk) throws IOException {
        int count = t.numel();
        int perChunk = CHUNK / t.dtype().byteSize();
        for (int off = 0; off < count; off += perChunk) {
            int n = Math.min(perChunk, count - off);
            chunk.clear();
            switch (t.dtype()) {
                case F32: chunk.asFloatBuffer().put(t.floats(), off, n); break;
                case F64: chunk.asDoubleBuffer().put(t.doubles(), off, n); break;
                case I64: chunk.asLongBuffer().put(t.longs(), off, n); break;
                case I32: chunk.asIntBuffer().put(t.ints(), off, n); break;
                case U16: chunk.asShortBuffer().put(t.shorts(), off, n); break;
                case U8, BOOL: chunk.put(t.bytes(), off, n); break;
                default: throw new AssertionError(t.dtype());
            }
            chunk.position(0).limit(n * t.dtype().byteSize());
            writeFully(ch, chunk);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /**
     * The largest JSON text of at most {@code stated} bytes that is read as a tree: also at most 1/32 of the
     * maximum heap, as a tree takes up to 28 bytes of heap per byte of text (measured: an array of empty objects;
     * numbers take 4 to 5, a COCO-like file 5), so that a file within the limit cannot exhaust the heap.
     */
    static long jsonLimit(long stated) {
        return Math.min(stated, Runtime.getRuntime().maxMemory() / 32);
    }

    /** {@link #jsonLimit} for messages: "N bytes", and why when the heap sets it. */
    static String describeJsonLimit(long stated) {
        long limit = jsonLimit(stated);
        return limit + " bytes" + (limit < stated ? " (1/32 of the Java heap; " + stated + " with a larger heap)" : "");
    }

    /**
     * Refuses a folder, device or pipe where a model file should be: reading one fails with a message that names
     * no file ("Is a directory"), or blocks. A missing file is left to the caller's read.
     */
    static void requireRegularFile(Path file) throws ModelFormatException {
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new ModelFormatException(file, null, Files.isDirectory(file) ? "is a folder, not a file"
                    : "is not a regular file");
        }
    }

    /** Decodes the UTF-8 bytes of a JSON document strictly (for the model files' JSON). */
    static String decodeUtf8(byte[] bytes) throws CharacterCodingException {
        CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes));
        return chars.toString();
    }
}
