package org.segmentation.core.io;

/**
 * The element types of a {@link Tensor}, named as in the safetensors header, with their NumPy descriptor for
 * {@code .npy} files. Data is always little-endian. Which types a file format accepts is said by its reader and
 * writer ({@link NpyFiles}, and the safetensors files of {@code segmentation-nn}).
 */
public enum DType {
    /** IEEE 754 double; Java {@code double[]}; {@code numpy.float64}. */
    F64(8, "<f8"),
    /** IEEE 754 float; Java {@code float[]}; {@code numpy.float32}. */
    F32(4, "<f4"),
    /** Signed 64-bit integer (PyTorch's BatchNorm {@code num_batches_tracked}); Java {@code long[]}; {@code int64}. */
    I64(8, "<i8"),
    /** Signed 32-bit integer; Java {@code int[]}; {@code numpy.int32}. */
    I32(4, "<i4"),
    /** Unsigned 16-bit integer; Java {@code short[]}, read a value as {@code s & 0xFFFF}; {@code numpy.uint16}. */
    U16(2, "<u2"),
    /** Unsigned byte; Java {@code byte[]}, read a value as {@code b & 0xFF}; {@code numpy.uint8}. */
    U8(1, "|u1"),
    /** Boolean, one byte 0 or 1; Java {@code byte[]}; {@code numpy.bool_}. */
    BOOL(1, "|b1");

    private final int byteSize;
    private final String npyDescr;

    DType(int byteSize, String npyDescr) {
        this.byteSize = byteSize;
        this.npyDescr = npyDescr;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The descriptor NumPy writes in a {@code .npy} header, e.g. {@code "<f4"}. */
    public String npyDescr() {
        return npyDescr;
    }

    /** The type named {@code name} in a safetensors header, or {@code null} if there is none. */
    public static DType fromName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
