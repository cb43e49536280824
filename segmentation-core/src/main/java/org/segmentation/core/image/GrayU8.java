package org.segmentation.core.image;

import java.util.Arrays;

/**
 * An 8-bit unsigned gray image. Values are stored as {@code byte} and read as {@code data[i] & 0xFF}.
 *
 * <p>Pixel {@code (x, y)} is {@code data[startIndex + y*stride + x]}. {@link #get} and {@link #set} check
 * bounds; the {@code unsafe_} variants do not.
 */
public final class GrayU8 extends ImageBase<GrayU8> {
    /** Pixel storage, shared with every sub-image. */
    public byte[] data;

    /**
     * A new zero-filled image.
     *
     * @throws IllegalArgumentException if a dimension is not positive or the pixel count overflows
     */
    public GrayU8(int width, int height) {
        super(width, height, width, 0, false);
        this.data = new byte[checkedSize(width, height, 1)];
    }

    /**
     * Wraps an existing row-major array without copying it.
     *
     * @throws IllegalArgumentException if the array is shorter than {@code width*height}
     */
    public static GrayU8 wrap(byte[] data, int width, int height) {
        int n = checkedSize(width, height, 1);
        if (data.length < n) {
            throw new IllegalArgumentException("array of length " + data.length + " is too short for "
                    + width + "x" + height);
        }
        return new GrayU8(data, width, height, width, 0, false);
    }

    GrayU8(byte[] data, int width, int height, int stride, int startIndex, boolean subimage) {
        super(width, height, stride, startIndex, subimage);
        this.data = data;
    }

    /**
     * Value at {@code (x, y)}, 0..255.
     *
     * @throws IndexOutOfBoundsException outside the image
     */
    public int get(int x, int y) {
        checkBounds(x, y);
        return unsafe_get(x, y);
    }

    /** Value at {@code (x, y)} without a bounds check. */
    public int unsafe_get(int x, int y) {
        return data[startIndex + y * stride + x] & 0xFF;
    }

    /**
     * Sets {@code (x, y)}; only the low 8 bits of {@code value} are kept.
     *
     * @throws IndexOutOfBoundsException outside the image
     */
    public void set(int x, int y, int value) {
        checkBounds(x, y);
        unsafe_set(x, y, value);
    }

    /** Sets {@code (x, y)} without a bounds check. */
    public void unsafe_set(int x, int y, int value) {
        data[startIndex + y * stride + x] = (byte) value;
    }

    /** Sets every pixel of this image (or view) to {@code value}; returns this image. */
    public GrayU8 fill(int value) {
        byte v = (byte) value;
        for (int y = 0; y < height; y++) {
            int i = startIndex + y * stride;
            Arrays.fill(data, i, i + width, v);
        }
        return this;
    }

    @Override
    public GrayU8 createSameShape() {
        return new GrayU8(width, height);
    }

    @Override
    protected Object array() {
        return data;
    }

    @Override
    protected void allocate(int n) {
        data = new byte[n];
    }

    @Override
    protected GrayU8 view(int startIndex, int width, int height) {
        return new GrayU8(data, width, height, stride, startIndex, true);
    }
}
