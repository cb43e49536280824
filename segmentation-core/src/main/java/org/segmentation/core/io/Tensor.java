package org.segmentation.core.io;

import java.util.Arrays;
import java.util.Objects;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.image.RgbU8;

/**
 * One dense tensor, the in-memory form of a NumPy {@code .npy} file ({@link NpyFiles}) and of a safetensors entry:
 * an element type, a shape and the elements in C (row-major) order in a flat Java array of the matching type
 * ({@code float[]} for {@link DType#F32}, {@code double[]} for F64, {@code long[]} for I64, {@code int[]} for I32,
 * {@code short[]} for U16, {@code byte[]} for U8 and BOOL).
 *
 * <p>Image conversions follow NumPy's image conventions: a gray image, label map or mask is {@code (H, W)}, an
 * interleaved RGB image {@code (H, W, 3)} and a planar float image {@code (C, H, W)}, so {@code Tensor.of(img)}
 * written to a {@code .npy} file is what {@code np.load} shows as {@code img} in Python, and back.
 *
 * <p>A shape of length 0 is a scalar (one element); a shape with a 0 dimension is empty. The tensor wraps the
 * array it is given and hands the same array back, without copying: model weights can be large, and the caller
 * usually converts them once. Do not modify the array while the tensor is in use elsewhere. Equality compares
 * type, shape and elements as {@link Arrays#equals(float[], float[])} does (NaN equals NaN, 0.0 differs from
 * -0.0).
 */
public final class Tensor {
    /** The largest number of elements a tensor can hold: the limit of a Java array. */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private final DType dtype;
    private final long[] shape;
    private final Object data;
    private final int numel;

    private Tensor(DType dtype, long[] shape, Object data, int length) {
        this.dtype = dtype;
        this.shape = shape.clone();
        long n = numel(this.shape);
        if (n != length) {
            throw new IllegalArgumentException("shape " + shapeString(shape) + " has " + n
                    + " elements but the data has " + length);
        }
        this.data = data;
        this.numel = length;
    }

    /** An F32 tensor of {@code shape} over {@code data}. */
    public static Tensor f32(float[] data, long... shape) {
        return new Tensor(DType.F32, shape, data, data.length);
    }

    /** An F64 tensor of {@code shape} over {@code data}. */
    public static Tensor f64(double[] data, long... shape) {
        return new Tensor(DType.F64, shape, data, data.length);
    }

    /** An I64 tensor of {@code shape} over {@code data}. */
    public static Tensor i64(long[] data, long... shape) {
        return new Tensor(DType.I64, shape, data, data.length);
    }

    /** An I32 tensor of {@code shape} over {@code data}. */
    public static Tensor i32(int[] data, long... shape) {
        return new Tensor(DType.I32, shape, data, data.length);
    }

    /** A U16 tensor of {@code shape} over {@code data}. */
    public static Tensor u16(short[] data, long... shape) {
        return new Tensor(DType.U16, shape, data, data.length);
    }

    /** A U8 tensor of {@code shape} over {@code data}. */
    public static Tensor u8(byte[] data, long... shape) {
        return new Tensor(DType.U8, shape, data, data.length);
    }

    /** A BOOL tensor of {@code shape} over {@code data}, whose bytes must be 0 or 1. */
    public static Tensor bool(byte[] data, long... shape) {
        return new Tensor(DType.BOOL, shape, data, data.length);
    }

    /**
     * A zero-filled tensor of {@code dtype} and {@code shape}.
     *
     * @throws IllegalArgumentException if a dimension is negative or there are more than {@link #MAX_ELEMENTS}
     */
    public static Tensor zeros(DType dtype, long... shape) {
        long n = numel(shape);
        if (n > MAX_ELEMENTS) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n
                    + " elements, more than a Java array holds");
        }
        int len = (int) n;
        switch (dtype) {
            case F32: return f32(new float[len], shape);
            case F64: return f64(new double[len], shape);
            case I64: return i64(new long[len], shape);
            case I32: return i32(new int[len], shape);
            case U16: return u16(new short[len], shape);
            case U8: return u8(new byte[len], shape);
            case BOOL: return bool(new byte[len], shape);
            default: throw new AssertionError(dtype);
        }
    }

    /**
     * The number of elements of {@code shape}: the product of the dimensions, 1 for a scalar.
     *
     * @throws IllegalArgumentException if a dimension is negative or the product overflows a {@code long}
     */
    public static long numel(long... shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " overflows a long", e);
            }
        }
        return n;
    }

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    /** The number of dimensions, 0 for a scalar. */
    public int rank() {
        return shape.length;
    }

    /** Dimension {@code axis}. */
    public long dim(int axis) {
        return shape[axis];
    }

    /** Whether the shape equals {@code expected}. */
    public boolean hasShape(long... expected) {
        return Arrays.equals(shape, expected);
    }

    /** The number of elements. */
    public int numel() {
        return numel;
    }

    /** The number of bytes of the data in a file: {@code numel() * dtype().byteSize()}. */
    public long byteLength() {
        return (long) numel() * dtype.byteSize();
    }

    /** The elements of an F32 tensor (the array itself, not a copy). */
    public float[] floats() {
        return (float[]) as(DType.F32);
    }

    /** The elements of an F64 tensor (the array itself, not a copy). */
    public double[] doubles() {
        return (double[]) as(DType.F64);
    }

    /** The elements of an I64 tensor (the array itself, not a copy). */
    public long[] longs() {
        return (long[]) as(DType.I64);
    }

    /** The elements of an I32 tensor (the array itself, not a copy). */
    public int[] ints() {
        return (int[]) as(DType.I32);
    }

    /** The elements of a U16 tensor (the array itself, not a copy). */
    public short[] shorts() {
        return (short[]) as(DType.U16);
    }

    /** The elements of a U8 or BOOL tensor (the array itself, not a copy). */
    public byte[] bytes() {
        return (byte[]) as(dtype == DType.BOOL ? DType.BOOL : DType.U8);
    }

    /** The backing array, whichever its type. */
    Object data() {
        return data;
    }

    private Object as(DType wanted) {
        if (dtype != wanted) {
            throw new IllegalStateException("tensor is " + dtype + ", not " + wanted);
        }
        return data;
    }

    // ---------------------------------------------------------------- from images (always a contiguous copy)

    /** A {@code F32 (H, W)} copy. */
    public static Tensor of(GrayF32 image) {
        return f32(image.copy().data, image.height, image.width);
    }

    /** A {@code U8 (H, W)} copy. */
    public static Tensor of(GrayU8 image) {
        return u8(image.copy().data, image.height, image.width);
    }

    /** A {@code U16 (H, W)} copy. */
    public static Tensor of(GrayU16 image) {
        return u16(image.copy().data, image.height, image.width);
    }

    /** An {@code I32 (H, W)} copy. */
    public static Tensor of(LabelMap labels) {
        return i32(labels.copy().data, labels.height, labels.width);
    }

    /** A {@code U8 (H, W)} copy holding 0 and 1 ({@code mask.astype(bool)} in Python gives the mask). */
    public static Tensor of(Mask mask) {
        return u8(mask.copy().data, mask.height, mask.width);
    }

    /** A {@code F32 (C, H, W)} copy. */
    public static Tensor of(PlanarF32 image) {
        return f32(image.copy().data, image.channels, image.height, image.width);
    }

    /** A {@code U8 (H, W, 3)} copy, channels R, G, B. */
    public static Tensor of(RgbU8 image) {
        return u8(image.copy().data, image.height, image.width, 3);
    }

    // ---------------------------------------------------------------- to images (optional output, copied)

    /**
     * This {@code F32 (H, W)} array as a gray image, written into {@code dst} (reshaped) or a new image.
     *
     * @throws IllegalArgumentException naming the expected and actual dtype or shape
     */
    public GrayF32 toGrayF32(GrayF32 dst) {
        require2d(DType.F32);
        dst = ImageBase.output(dst, (int) shape[1], (int) shape[0], GrayF32::new);
        GrayF32.wrap((float[]) data, dst.width, dst.height).copyTo(dst);
        return dst;
    }

    /**
     * This {@code U8 (H, W)} array as a gray image, into {@code dst} (reshaped) or a new image.
     *
     * @throws IllegalArgumentException naming the expected and actual dtype or shape
     */
    public GrayU8 toGrayU8(GrayU8 dst) {
        require2d(DType.U8);
        dst = ImageBase.output(dst, (int) shape[1], (int) shape[0], GrayU8::new);
        GrayU8.wrap((byte[]) data, dst.width, dst.height).copyTo(dst);
        return dst;
    }

    /**
     * This {@code U16 (H, W)} array as a gray image, into {@code dst} (reshaped) or a new image.
     *
     * @throws IllegalArgumentException naming the expected and actual dtype or shape
     */
    public GrayU16 toGrayU16(GrayU16 dst) {
        require2d(DType.U16);
        dst = ImageBase.output(dst, (int) shape[1], (int) shape[0], GrayU16::new);
        GrayU16.wrap((short[]) data, dst.width, dst.height).copyTo(dst);
        return dst;
    }

    /**
     * This {@code (H, W)} array of U8, U16 or I32 labels as a label map, into
     * {@code dst} (reshaped) or a new one.
     *
     * @throws IllegalArgumentException naming the dtype or shape when they do not fit, or the first negative
     *     label
     */
    public LabelMap toLabelMap(LabelMap dst) {
        requireShape("(H, W)");
        if (dtype != DType.U8 && dtype != DType.U16 && dtype != DType.I32) {
            throw new IllegalArgumentException("labels need dtype '|u1', '<u2' or '<i4', got '" + dtype.npyDescr() + "'");
        }
        dst = ImageBase.output(dst, (int) shape[1], (int) shape[0], LabelMap::new);
        for (int y = 0, i = 0; y < dst.height; y++) {
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < dst.width; x++, i++) {
                int v = dtype == DType.U8 ? ((byte[]) data)[i] & 0xFF
                        : dtype == DType.U16 ? ((short[]) data)[i] & 0xFFFF : ((int[]) data)[i];
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
     * This {@code bool} or {@code U8 (H, W)} array as a mask, nonzero = on, into {@code dst} (reshaped) or a
     * new mask.
     *
     * @throws IllegalArgumentException naming the expected and actual dtype or shape
     */
    public Mask toMask(Mask dst) {
        requireShape("(H, W)");
        if (dtype != DType.BOOL && dtype != DType.U8) {
            throw new IllegalArgumentException("a mask needs dtype '|b1' or '|u1', got '" + dtype.npyDescr() + "'");
        }
        dst = ImageBase.output(dst, (int) shape[1], (int) shape[0], Mask::new);
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
     * This {@code F32 (C, H, W)} array as a planar image, into {@code dst} (reshaped; it must have C
     * channels) or a new image.
     *
     * @throws IllegalArgumentException naming the expected and actual dtype, shape or channel count
     */
    public PlanarF32 toPlanarF32(PlanarF32 dst) {
        requireShape("(C, H, W)");
        requireDtype(DType.F32);
        int c = (int) shape[0];
        if (dst != null && dst.channels != c) {
            throw new IllegalArgumentException("output has " + dst.channels + " channels but the array has shape "
                    + shapeString(shape));
        }
        dst = ImageBase.output(dst, (int) shape[2], (int) shape[1], (w, h) -> new PlanarF32(c, w, h));
        PlanarF32.wrap((float[]) data, c, dst.width, dst.height).copyTo(dst);
        return dst;
    }

    /**
     * This {@code U8 (H, W, 3)} array as an interleaved RGB image, into {@code dst} (reshaped) or a new one.
     *
     * @throws IllegalArgumentException naming the expected and actual dtype or shape
     */
    public RgbU8 toRgbU8(RgbU8 dst) {
        requireShape("(H, W, 3)");
        requireDtype(DType.U8);
        if (shape[2] != 3) {
            throw new IllegalArgumentException("expected shape (H, W, 3) but got " + shapeString(shape));
        }
        dst = ImageBase.output(dst, (int) shape[1], (int) shape[0], RgbU8::new);
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
        for (long d : shape) {
            if (d == 0) {
                throw new IllegalArgumentException("cannot make an image of the empty shape " + shapeString(shape));
            }
        }
    }

    private void requireDtype(DType expected) {
        if (dtype != expected) {
            throw new IllegalArgumentException("expected dtype '" + expected.npyDescr() + "' but got '" + dtype.npyDescr()
                    + "'");
        }
    }

    /** The shape as NumPy prints it: {@code (2, 3)}, {@code (5,)}, {@code ()}. */
    static String shapeString(long[] shape) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            b.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return b.append(shape.length == 1 ? ",)" : ")").toString();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Tensor)) {
            return false;
        }
        Tensor t = (Tensor) o;
        return dtype == t.dtype && Arrays.equals(shape, t.shape) && Objects.deepEquals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.deepHashCode(new Object[] {data});
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
