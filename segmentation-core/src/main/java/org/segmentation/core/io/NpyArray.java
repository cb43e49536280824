package org.segmentation.core.io;

import java.util.Arrays;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.image.RgbU8;

/**
 * An n-dimensional array as NumPy stores it in a {@code .npy} file: a dtype, a shape and the elements in C
 * (row-major) order in a flat primitive array, which this object owns and exposes without copying.
 *
 * <p>Image conversions follow NumPy's image conventions: a gray image, label map or mask is {@code (H, W)}, an
 * interleaved RGB image {@code (H, W, 3)} and a planar float image {@code (C, H, W)}, so
 * {@code NpyArray.of(img)} written to a file is what {@code np.load} shows as {@code img} in Python, and back.
 */
public final class NpyArray {
    /** The element types supported, with their NumPy descriptors (always little endian). */
    public enum DType {
        /** {@code numpy.bool_}, one byte 0 or 1; read only as a mask. */
        BOOL("|b1", 1),
        /** {@code numpy.uint8}. */
        UINT8("|u1", 1),
        /** {@code numpy.uint16}, little endian. */
        UINT16("<u2", 2),
        /** {@code numpy.int32}, little endian. */
        INT32("<i4", 4),
        /** {@code numpy.float32}, little endian. */
        FLOAT32("<f4", 4);

        /** The descriptor NumPy writes in the header, e.g. {@code "<f4"}. */
        public final String descr;
        /** Bytes per element. */
        public final int itemSize;

        DType(String descr, int itemSize) {
            this.descr = descr;
            this.itemSize = itemSize;
        }
    }

    private final DType dtype;
    private final int[] shape;
    private final Object data;

    private NpyArray(DType dtype, int[] shape, Object data) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + shapeString(shape));
            }
            n *= d;
            if (n > ImageBase.MAX_PIXELS) {
                throw new IllegalArgumentException("shape " + shapeString(shape) + " has too many elements");
            }
        }
        int length = java.lang.reflect.Array.getLength(data);
        if (length != n) {
            throw new IllegalArgumentException("shape " + shapeString(shape) + " needs " + n
                    + " elements but the array has " + length);
        }
        this.dtype = dtype;
        this.shape = shape.clone();
        this.data = data;
    }

    /** A {@code float32} array wrapping {@code data} (not copied). @throws IllegalArgumentException on a size mismatch */
    public static NpyArray float32(float[] data, int... shape) {
        return new NpyArray(DType.FLOAT32, shape, data);
    }

    /** A {@code uint8} array wrapping {@code data} (not copied). @throws IllegalArgumentException on a size mismatch */
    public static NpyArray uint8(byte[] data, int... shape) {
        return new NpyArray(DType.UINT8, shape, data);
    }

    /** A {@code uint16} array wrapping {@code data} (not copied). @throws IllegalArgumentException on a size mismatch */
    public static NpyArray uint16(short[] data, int... shape) {
        return new NpyArray(DType.UINT16, shape, data);
    }

    /** An {@code int32} array wrapping {@code data} (not copied). @throws IllegalArgumentException on a size mismatch */
    public static NpyArray int32(int[] data, int... shape) {
        return new NpyArray(DType.INT32, shape, data);
    }

    /** A {@code bool} array wrapping {@code data} (not copied), whose bytes must be 0 or 1. */
    public static NpyArray bool(byte[] data, int... shape) {
        return new NpyArray(DType.BOOL, shape, data);
    }

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** The shape, a copy. */
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements, the product of the shape (1 for a 0-d array). */
    public int size() {
        return java.lang.reflect.Array.getLength(data);
    }

    /** The backing array of a {@code float32} array. @throws IllegalStateException for another dtype */
    public float[] floats() {
        return (float[]) typed(DType.FLOAT32);
    }

    /** The backing array of a {@code uint8} or {@code bool} array. @throws IllegalStateException otherwise */
    public byte[] bytes() {
        if (dtype == DType.BOOL) {
            return (byte[]) data;
        }
        return (byte[]) typed(DType.UINT8);
    }

    /** The backing array of a {@code uint16} array (read as {@code v & 0xFFFF}). @throws IllegalStateException otherwise */
    public short[] shorts() {
        return (short[]) typed(DType.UINT16);
    }

    /** The backing array of an {@code int32} array. @throws IllegalStateException for another dtype */
    public int[] ints() {
        return (int[]) typed(DType.INT32);
    }

    /** The backing array, whichever its type. */
    Object data() {
        return data;
    }

    private Object typed(DType expected) {
        if (dtype != expected) {
            throw new IllegalStateException("array is " + dtype + " '" + dtype.descr + "', not " + expected);
        }
        return data;
    }

    @Override
    public String toString() {
        return "NpyArray[" + dtype.descr + " " + shapeString(shape) + "]";
    }

    static String shapeString(int[] shape) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            b.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return b.append(shape.length == 1 ? ",)" : ")").toString();
    }

    // ---------------------------------------------------------------- from images (always a contiguous copy)

    /** A {@code float32 (H, W)} copy. */
    public static NpyArray of(GrayF32 image) {
        return float32(image.copy().data, image.height, image.width);
    }

    /** A {@code uint8 (H, W)} copy. */
    public static NpyArray of(GrayU8 image) {
        return uint8(image.copy().data, image.height, image.width);
    }

    /** A {@code uint16 (H, W)} copy. */
    public static NpyArray of(GrayU16 image) {
        return uint16(image.copy().data, image.height, image.width);
    }

    /** An {@code int32 (H, W)} copy. */
    public static NpyArray of(LabelMap labels) {
        return int32(labels.copy().data, labels.height, labels.width);
    }

    /** A {@code uint8 (H, W)} copy holding 0 and 1 ({@code mask.astype(bool)} in Python gives the mask). */
    public static NpyArray of(Mask mask) {
        return uint8(mask.copy().data, mask.height, mask.width);
    }

    /** A {@code float32 (C, H, W)} copy. */
    public static NpyArray of(PlanarF32 image) {
        return float32(image.copy().data, image.channels, image.height, image.width);
    }

    /** A {@code uint8 (H, W, 3)} copy, channels R, G, B. */
    public static NpyArray of(RgbU8 image) {
        return uint8(image.copy().data, image.height, image.width, 3);
    }

    // ---------------------------------------------------------------- to images (optional output, copied)

    /**
     * This {@code float32 (H, W)} array as a gray image, written into {@code dst} (reshaped) or a new image.
     *
     * @throws IllegalArgumentException naming the expected and actual dtype or shape
     */
    public GrayF32 toGrayF32(GrayF32 dst) {
        require2d(DType.FLOAT32);
        dst = ImageBase.output(dst, shape[1], shape[0], GrayF32::new);
        GrayF32.wrap((float[]) data, dst.width, dst.height).copyTo(dst);
        return dst;
    }

    /**
     * This {@code uint8 (H, W)} array as a gray image, into {@code dst} (reshaped) or a new image.
     *
     * @throws IllegalArgumentException naming the expected and actual dtype or shape
     */
    public GrayU8 toGrayU8(GrayU8 dst) {
        require2d(DType.UINT8);
        dst = ImageBase.output(dst, shape[1], shape[0], GrayU8::new);
        GrayU8.wrap((byte[]) data, dst.width, dst.height).copyTo(dst);
        return dst;
    }

    /**
     * This {@code uint16 (H, W)} array as a gray image, into {@code dst} (reshaped) or a new image.
     *
     * @throws IllegalArgumentException naming the expected and actual dtype or shape
     */
    public GrayU16 toGrayU16(GrayU16 dst) {
        require2d(DType.UINT16);
        dst = ImageBase.output(dst, shape[1], shape[0], GrayU16::new);
        GrayU16.wrap((short[]) data, dst.width, dst.height).copyTo(dst);
        return dst;
    }

    /**
     * This {@code (H, W)} array of {@code uint8}, {@code uint16} or {@code int32} labels as a label map, into
     * {@code dst} (reshaped) or a new one.
     *
     * @throws IllegalArgumentException naming the dtype or shape when they do not fit, or the first negative
     *     label
     */
    public LabelMap toLabelMap(LabelMap dst) {
        requireShape("(H, W)");
        if (dtype != DType.UINT8 && dtype != DType.UINT16 && dtype != DType.INT32) {
            throw new IllegalArgumentException("labels need dtype '|u1', '<u2' or '<i4', got '" + dtype.descr + "'");
        }
        dst = ImageBase.output(dst, shape[1], shape[0], LabelMap::new);
        for (int y = 0, i = 0; y < dst.height; y++) {
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < dst.width; x++, i++) {
                int v = dtype == DType.UINT8 ? ((byte[]) data)[i] & 0xFF
                        : dtype == DType.UINT16 ? ((short[]) data)[i] & 0xFFFF : ((int[]) data)[i];
                if (v < 0) {
                    throw new IllegalArgumentException("labels must be non-negative, got " + v + " at (" + x + ", "
                            + y + ")");
                }
                dst.data[d + x] = v;
            }
        }
        return dst;
    }

    /**
     * This {@code bool} or {@code uint8 (H, W)} array as a mask, nonzero = on, into {@code dst} (reshaped) or a
     * new mask.
     *
     * @throws IllegalArgumentException naming the expected and actual dtype or shape
     */
    public Mask toMask(Mask dst) {
        requireShape("(H, W)");
        if (dtype != DType.BOOL && dtype != DType.UINT8) {
            throw new IllegalArgumentException("a mask needs dtype '|b1' or '|u1', got '" + dtype.descr + "'");
        }
        dst = ImageBase.output(dst, shape[1], shape[0], Mask::new);
        byte[] src = (byte[]) data;
        for (int y = 0, i = 0; y < dst.height; y++) {
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < dst.width; x++, i++) {
                dst.data[d + x] = (byte) (src[i] != 0 ? 1 : 0);
            }
        }
        return dst;
    }

    /**
     * This {@code float32 (C, H, W)} array as a planar image, into {@code dst} (reshaped; it must have C
     * channels) or a new image.
     *
     * @throws IllegalArgumentException naming the expected and actual dtype, shape or channel count
     */
    public PlanarF32 toPlanarF32(PlanarF32 dst) {
        requireShape("(C, H, W)");
        requireDtype(DType.FLOAT32);
        int c = shape[0];
        if (dst != null && dst.channels != c) {
            throw new IllegalArgumentException("output has " + dst.channels + " channels but the array has shape "
                    + shapeString(shape));
        }
        dst = ImageBase.output(dst, shape[2], shape[1], (w, h) -> new PlanarF32(c, w, h));
        PlanarF32.wrap((float[]) data, c, dst.width, dst.height).copyTo(dst);
        return dst;
    }

    /**
     * This {@code uint8 (H, W, 3)} array as an interleaved RGB image, into {@code dst} (reshaped) or a new one.
     *
     * @throws IllegalArgumentException naming the expected and actual dtype or shape
     */
    public RgbU8 toRgbU8(RgbU8 dst) {
        requireShape("(H, W, 3)");
        requireDtype(DType.UINT8);
        if (shape[2] != 3) {
            throw new IllegalArgumentException("expected shape (H, W, 3) but got " + shapeString(shape));
        }
        dst = ImageBase.output(dst, shape[1], shape[0], RgbU8::new);
        RgbU8.wrap((byte[]) data, dst.width, dst.height).copyTo(dst);
        return dst;
    }

    private void require2d(DType expected) {
        requireShape("(H, W)");
        requireDtype(expected);
    }

    /** Checks the number of dimensions against {@code expected}, one letter per dimension. */
    private void requireShape(String expected) {
        if (shape.length != expected.split(",").length) {
            throw new IllegalArgumentException("expected shape " + expected + " but got " + shapeString(shape));
        }
        for (int d : shape) {
            if (d == 0) {
                throw new IllegalArgumentException("cannot make an image of the empty shape " + shapeString(shape));
            }
        }
    }

    private void requireDtype(DType expected) {
        if (dtype != expected) {
            throw new IllegalArgumentException("expected dtype '" + expected.descr + "' but got '" + dtype.descr
                    + "'");
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof NpyArray)) {
            return false;
        }
        NpyArray a = (NpyArray) o;
        return dtype == a.dtype && Arrays.equals(shape, a.shape) && Arrays.deepEquals(new Object[] {data},
                new Object[] {a.data});
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.deepHashCode(new Object[] {data});
    }
}
