package org.segmentation.core.image;

import java.util.Arrays;

/**
 * A 16-bit unsigned gray image. Values are stored as {@code short} and read as {@code data[i] & 0xFFFF}.
 *
 * <p>Pixel {@code (x, y)} is {@code data[startIndex + y*stride + x]}. {@link #get} and {@link #set} check
 * bounds; the {@code unsafe_} variants do not.
 */
public final class GrayU16 extends ImageBase<GrayU16> {
    /** Pixel storage, shared with every sub-image. */
    public short[] data;

    /**
     * A new zero-filled image.
     *
     * @throws IllegalArgumentException if a dimension is not positive or the pixel count overflows
     */
    public GrayU16(int width, int height) {
        super(width, height, width, 0, false);
        this.data = new short[checkedSize(width, height, 1)];
    }

    /**
     * Wraps an existing row-major array without copying it.
     *
     * @throws IllegalArgumentException if the array is shorter than {@code width*height}
     */
    public static GrayU16 wrap(short[] data, int width, int height) {
        int n = checkedSize(width, height, 1);
        if (data.length < n) {
            throw new IllegalArgumentException("array of length " + data.length + " is too short for "
                    + width + "x" + height);
        }
        return new GrayU16(data, width, height, width, 0, false);
    }

    GrayU16(short[] data, int width, int height, int stride, int startIndex, boolean subimage) {
        super(width, height, stride, startIndex, subimage);
        this.data = data;
    }

    /**
     * Value at {@code (x, y)}, 0..65535.
     *
     * @throws IndexOutOfBoundsException outside the image
     */
    public int get(int x, int y) {
        checkBounds(x, y);
        return unsafe_get(x, y);
    }

    /** Value at {@code (x, y)} without a bounds check. */
    public int unsafe_get(int x, int y) {
        return data[startIndex + y * stride + x] & 0xFFFF;
    }

    /**
     * Sets {@code (x, y)}; only the low 16 bits of {@code value} are kept.
     *
     * @throws IndexOutOfBoundsException outside the image
     */
    public void set(int x, int y, int value) {
        checkBounds(x, y);
        unsafe_set(x, y, value);
    }

    /** Sets {@code (x, y)} without a bounds check. */
    public void unsafe_set(int x, int y, int value) {
        data[startIndex + y * stride + x] = (short) value;
    }

    /** Sets every pixel of this image (or view) to {@code value}; returns this image. */
    public GrayU16 fill(int value) {
        short v = (short) value;
        for (int y = 0; y < height; y++) {
            int i = startIndex + y * stride;
            Arrays.fill(data, i, i + width, v);
        }
        return this;
    }

    @Override
    public GrayU16 createSameShape() {
        return new GrayU16(width, height);
    }

    @Override
    protected Object array() {
        return data;
    }

    @Override
    protected void allocate(int n) {
        data = new short[n];
    }

    @Override
    protected GrayU16 view(int startIndex, int width, int height) {
        return new GrayU16(data, width, height, stride, startIndex, true);
    }
}
