package org.segmentation.core.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.segmentation.core.image.ImageBase;

/**
 * Reads and writes NumPy {@code .npy} files, format versions 1.0 (written) and 1.0, 2.0, 3.0 (read), as
 * specified in NumPy's {@code numpy.lib.format} documentation (NEP 1).
 *
 * <p>Layout: the magic {@code \x93NUMPY}, a major and minor version byte, the header length (2 bytes little
 * endian in 1.0, 4 bytes in 2.0 and 3.0), then the header, a Python dict literal such as
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (17, 23), }} (Latin-1, UTF-8 in 3.0) padded with
 * spaces and a newline, then the raw elements. Supported dtypes are {@link #SUPPORTED} ({@code '|b1'},
 * {@code '|u1'}, {@code '<u2'}, {@code '<i4'}, {@code '<f4'}), little endian, in C order; {@code fortran_order: True}, big-endian or other dtypes are rejected rather than
 * converted. As in NumPy, bytes after the data are ignored.
 */
public final class NpyFiles {
    /** The element types read and written: those images and label maps need. */
    public static final Set<DType> SUPPORTED = Collections.unmodifiableSet(EnumSet.of(DType.BOOL, DType.U8,
            DType.U16, DType.I32, DType.F32));
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Headers above this are rejected before they are read; NumPy itself refuses headers over 10000 bytes. */
    private static final int MAX_HEADER = 1 << 20;
    /** Elements are moved through a buffer of this many bytes (a multiple of every item size). */
    private static final int CHUNK = 1 << 16;

    private NpyFiles() {
    }

    /**
     * Reads a {@code .npy} file.
     *
     * @throws ImageFormatException naming the file when it is missing, has a bad magic, version, header,
     *     dtype or shape, or holds fewer data bytes than the shape declares
     */
    public static Tensor read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new ImageFormatException(file, "is a directory, not a .npy file");
        }
        if (!Files.exists(file)) {
            throw new ImageFormatException(file, "file not found");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, pre);
            // readFully stops at end of file, so pre.limit() is what the file has (at most 12 bytes).
            for (int i = 0; i < MAGIC.length; i++) {
                if (pre.limit() <= i || pre.get(i) != MAGIC[i]) {
                    throw new ImageFormatException(file, "not a .npy file: bad magic (expected \\x93NUMPY)");
                }
            }
            if (pre.limit() < 10) {
                throw new ImageFormatException(file, "truncated .npy preamble: " + size + " bytes");
            }
            int major = pre.get(6) & 0xFF;
            int minor = pre.get(7) & 0xFF;
            if (major < 1 || major > 3 || minor != 0) {
                throw new ImageFormatException(file, "unsupported .npy version " + major + "." + minor
                        + " (1.0, 2.0 and 3.0 are supported)");
            }
            long headerLength;
            int headerStart;
            if (major == 1) {
                headerLength = pre.getShort(8) & 0xFFFF;
                headerStart = 10;
            } else {
                if (pre.limit() < 12) {
                    throw new ImageFormatException(file, "truncated .npy preamble: " + size + " bytes");
                }
                headerLength = pre.getInt(8) & 0xFFFFFFFFL;
                headerStart = 12;
            }
            if (headerStart + headerLength > size) {
                throw new ImageFormatException(file, "header length " + headerLength + " goes beyond the end of the"
                        + " file (" + size + " bytes)");
            }
            if (headerLength > MAX_HEADER) {
                throw new ImageFormatException(file, "header length " + headerLength + " exceeds " + MAX_HEADER);
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLength);
            ch.position(headerStart);
            readFully(ch, hb);
            String header = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Header h = parseHeader(file, header);

            long dataStart = headerStart + headerLength;
            long bytes = h.count * h.dtype.byteSize();
            if (dataStart + bytes > size) {
                throw new ImageFormatException(file, "truncated: shape " + Tensor.shapeString(h.shape) + " of '"
                        + h.dtype.npyDescr() + "' needs " + bytes + " data bytes but only " + (size - dataStart)
                        + " remain");
            }
            return readData(ch, h.dtype, h.shape, (int) h.count);
        } catch (ImageFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageFormatException(file, "cannot read .npy file: " + e, e);
        }
    }

    /**
     * Writes {@code array} as a version 1.0 {@code .npy} file (C order, little endian), atomically: a
     * temporary file in the same directory is renamed over the target. The header is padded so that the data
     * starts at a multiple of 64 bytes, as NumPy does.
     *
     * @throws IllegalArgumentException if the array's type is not {@link #SUPPORTED}
     */
    public static void write(Tensor array, Path file) throws IOException {
        if (!SUPPORTED.contains(array.dtype())) {
            throw new IllegalArgumentException("cannot write a " + array.dtype() + " tensor as .npy; supported are "
                    + SUPPORTED);
        }
        StringBuilder dict = new StringBuilder().append("{'descr': '").append(array.dtype().npyDescr())
                .append("', 'fortran_order': False, 'shape': ").append(Tensor.shapeString(array.shape()))
                .append(", }");
        int total = 10 + dict.length() + 1; // preamble, dict, newline
        dict.append(" ".repeat((64 - total % 64) % 64)).append('\n');
        byte[] header = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (header.length > 0xFFFF) {
            throw new IllegalArgumentException("shape " + Tensor.shapeString(array.shape())
                    + " needs a header too long for .npy version 1.0");
        }
        AtomicFiles.write(file, ch -> {
            ByteBuffer pre = ByteBuffer.allocate(10 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            pre.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length).put(header).flip();
            writeFully(ch, pre);
            writeData(ch, array);
        });
    }

    // ---------------------------------------------------------------- data

    /** Reads {@code n} elements of a {@link #SUPPORTED} type into a new tensor of {@code shape}. */
    private static Tensor readData(FileChannel ch, DType dtype, long[] shape, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        Tensor t = Tensor.zeros(dtype, shape);
        Object data = t.data();
        int perChunk = CHUNK / dtype.byteSize();
        for (int done = 0; done < n; ) {
            int count = Math.min(perChunk, n - done);
            buf.clear().limit(count * dtype.byteSize());
            readFully(ch, buf);
            if (buf.remaining() != count * dtype.byteSize()) {
                throw new EOFException("file shrank while being read");
            }
            switch (dtype) {
                case BOOL, U8 -> buf.get((byte[]) data, done, count);
                case U16 -> buf.asShortBuffer().get((short[]) data, done, count);
                case I32 -> buf.asIntBuffer().get((int[]) data, done, count);
                case F32 -> buf.asFloatBuffer().get((float[]) data, done, count);
                default -> throw new AssertionError(dtype);
            }
            done += count;
        }
        return t;
    }

    private static void writeData(FileChannel ch, Tensor array) throws IOException {
        DType dtype = array.dtype();
        Object data = array.data();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        int n = array.numel();
        int perChunk = CHUNK / dtype.byteSize();
        for (int done = 0; done < n; ) {
            int count = Math.min(perChunk, n - done);
            buf.clear();
            switch (dtype) {
                case BOOL, U8 -> buf.put((byte[]) data, done, count);
                case U16 -> buf.asShortBuffer().put((short[]) data, done, count);
                case I32 -> buf.asIntBuffer().put((int[]) data, done, count);
                case F32 -> buf.asFloatBuffer().put((float[]) data, done, count);
                default -> throw new AssertionError(dtype);
            }
            // The typed views leave buf's position at 0, a byte put moves it: set both explicitly.
            buf.position(0).limit(count * dtype.byteSize());
            writeFully(ch, buf);
            done += count;
        }
    }

    /** Reads until {@code buf} is full or the file ends; the buffer is left flipped at what was read. */
    private static void readFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                break;
            }
        }
        buf.flip();
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    // ---------------------------------------------------------------- header

    private record Header(DType dtype, long[] shape, long count) {
    }

    private static Header parseHeader(Path file, String text) throws ImageFormatException {
        Map<String, Object> dict = new DictParser(file, text).parse();
        for (String key : new String[] {"descr", "fortran_order", "shape"}) {
            if (!dict.containsKey(key)) {
                throw new ImageFormatException(file, "header has no '" + key + "' key: " + clip(text));
            }
        }
        if (dict.size() != 3) {
            throw new ImageFormatException(file, "header has keys other than descr, fortran_order and shape: "
                    + dict.keySet());
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw new ImageFormatException(file, "header 'descr' is not a string: " + clip(text));
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new ImageFormatException(file, "header 'fortran_order' is not True or False: " + clip(text));
        }
        if (fortran) {
            throw new ImageFormatException(file, "fortran_order True is not supported; save a C-ordered array"
                    + " (np.ascontiguousarray)");
        }
        if (!(dict.get("shape") instanceof long[] dims)) {
            throw new ImageFormatException(file, "header 'shape' is not a tuple of integers: " + clip(text));
        }
        DType dtype = dtypeOf(file, descr);
        long[] shape = new long[dims.length];
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new ImageFormatException(file, "negative dimension " + dims[i] + " in shape " + clip(text));
            }
            if (dims[i] > ImageBase.MAX_PIXELS || (count *= dims[i]) > ImageBase.MAX_PIXELS) {
                throw new ImageFormatException(file, "shape " + java.util.Arrays.toString(dims) + " has more than "
                        + ImageBase.MAX_PIXELS + " elements");
            }
            shape[i] = dims[i];
        }
        return new Header(dtype, shape, count);
    }

    private static DType dtypeOf(Path file, String descr) throws ImageFormatException {
        for (DType t : SUPPORTED) {
            // One-byte types have no byte order; NumPy writes '|' but '<' and '>' mean the same.
            String d = t.npyDescr();
            if (descr.equals(d) || t.byteSize() == 1 && descr.length() == 3
                    && "<>=|".indexOf(descr.charAt(0)) >= 0 && descr.substring(1).equals(d.substring(1))) {
                return t;
            }
        }
        throw new ImageFormatException(file, "unsupported dtype '" + descr + "'; supported are '|b1', '|u1',"
                + " '<u2', '<i4' and '<f4' (little endian)");
    }

    private static String clip(String text) {
        String t = text.strip();
        return t.length() <= 200 ? t : t.substring(0, 200) + "...";
    }

    /**
     * A parser for the subset of Python literals a {@code .npy} header uses: a dict of string keys whose values
     * are strings, {@code True}/{@code False}, or tuples of integers (returned as {@code long[]}; Python 2's
     * {@code 3L} suffix is accepted).
     */
    private static final class DictParser {
        private final Path file;
        private final String s;
        private int pos;

        DictParser(Path file, String s) {
            this.file = file;
            this.s = s;
        }

        Map<String, Object> parse() throws ImageFormatException {
            Map<String, Object> dict = new LinkedHashMap<>();
            expect('{');
            while (peek() != '}') {
                String key = string();
                expect(':');
                if (dict.put(key, value()) != null) {
                    throw error("duplicate key '" + key + "'");
                }
                if (peek() != ',') {
                    break;
                }
                pos++;
            }
            expect('}');
            if (peek() != 0) {
                throw error("text after the closing brace");
            }
            return dict;
        }

        private Object value() throws ImageFormatException {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (c == '(') {
                return tuple();
            }
            if (s.startsWith("True", pos)) {
                pos += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", pos)) {
                pos += 5;
                return Boolean.FALSE;
            }
            if (c == '[') {
                throw error("structured dtypes are not supported");
            }
            throw error("unexpected value");
        }

        private long[] tuple() throws ImageFormatException {
            expect('(');
            List<Long> items = new ArrayList<>();
            while (peek() != ')') {
                items.add(integer());
                if (peek() != ',') {
                    break;
                }
                pos++;
            }
            expect(')');
            return items.stream().mapToLong(Long::longValue).toArray();
        }

        private long integer() throws ImageFormatException {
            peek();
            int start = pos;
            if (pos < s.length() && s.charAt(pos) == '-') {
                pos++;
            }
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                pos++;
            }
            String digits = s.substring(start, pos);
            if (pos < s.length() && s.charAt(pos) == 'L') {
                pos++;
            }
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                pos = start;
                throw error(digits.isEmpty() || digits.equals("-") ? "expected an integer" : "integer out of range");
            }
        }

        private String string() throws ImageFormatException {
            char quote = peek();
            if (quote != '\'' && quote != '"') {
                throw error("expected a quoted string");
            }
            int end = s.indexOf(quote, pos + 1);
            if (end < 0) {
                throw error("unterminated string");
            }
            String v = s.substring(pos + 1, end);
            pos = end + 1;
            return v;
        }

        private void expect(char c) throws ImageFormatException {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            pos++;
        }

        /** Skips white space and returns the next character, or 0 at the end. */
        private char peek() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
            return pos < s.length() ? s.charAt(pos) : 0;
        }

        private ImageFormatException error(String what) {
            return new ImageFormatException(file, "unparsable .npy header, " + what + " at character " + pos
                    + ": " + clip(s));
        }
    }
}
