package org.segmentation.nn.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One dense tensor: an element type, a shape and the elements in C (row-major) order in a flat Java array of
 * the matching type ({@code float[]} for {@link DType#F32}, {@code double[]} for F64, {@code long[]} for I64,
 * {@code int[]} for I32, {@code byte[]} for U8).
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
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n
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

    /** A U8 tensor of {@code shape} over {@code data}. */
    public static Tensor u8(byte[] data, long... shape) {
        return new Tensor(DType.U8, shape, data, data.length);
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
            case U8: return u8(new byte[len], shape);
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

    /** The elements of a U8 tensor (the array itself, not a copy). */
    public byte[] bytes() {
        return (byte[]) as(DType.U8);
    }

    private Object as(DType wanted) {
        if (dtype != wanted) {
            throw new IllegalStateException("tensor is " + dtype + ", not " + wanted);
        }
        return data;
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
