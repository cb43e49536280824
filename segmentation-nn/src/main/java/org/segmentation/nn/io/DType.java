package org.segmentation.nn.io;

/**
 * The element types this package reads and writes, named as in the safetensors header. Data is always
 * little-endian. Other safetensors types (F16, BF16, BOOL, ...) are rejected with a {@link ModelFormatException}.
 */
public enum DType {
    /** IEEE 754 double; Java {@code double[]}. */
    F64(8),
    /** IEEE 754 float, the type of the model weights; Java {@code float[]}. */
    F32(4),
    /** Signed 64-bit integer (PyTorch's BatchNorm {@code num_batches_tracked}); Java {@code long[]}. */
    I64(8),
    /** Signed 32-bit integer; Java {@code int[]}. */
    I32(4),
    /** Unsigned byte; Java {@code byte[]}, read a value as {@code b & 0xFF}. */
    U8(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The type named {@code name} in a safetensors header, or {@code null} if this package does not know it. */
    public static DType fromName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
