package org.segmentation.core.image;

import java.util.Arrays;

/**
 * A binary mask: each pixel is 0 (off) or 1 (on), stored one per byte. Methods that build masks only
 * ever store 0 or 1; code that writes {@code data} directly must keep to that.
 *
 * <p>Pixel {@code (x, y)} is {@code data[startIndex + y*stride + x]}. {@link #get} and {@link #set} check
 * bounds; the {@code unsafe_} variants do not.
 */
public final class Mask extends ImageBase<Mask> {
    /** Pixel storage, shared with every sub-image. */
    public byte[] data;

    /**
     * A new zero-filled image.
     *
     * @throws IllegalArgumentException if a dimension is not positive or the pixel count overflows
     */
    public Mask(int width, int height) {
        super(width, height, width, 0, false);
        this.data = new byte[checkedSize(width, height, 1)];
    }

    /**
     * Wraps an existing row-major array without copying it.
     *
     * @throws IllegalArgumentException if the array is shorter than {@code width*height}
     */
    public static Mask wrap(byte[] data, int width, int height) {
        int n = checkedSize(width, height, 1);
        if (data.length < n) {
            throw new IllegalArgumentException("array of length " + data.length + " is too short for "
                    + width + "x" + height);
        }
        return new Mask(data, width, height, width, 0, false);
    }

    Mask(byte[] data, int width, int height, int stride, int startIndex, boolean subimage) {
        super(width, height, stride, startIndex, subimage);
        this.data = data;
    }

    /**
     * Value at {@code (x, y)}.
     *
     * @throws IndexOutOfBoundsException outside the image
     */
    public boolean get(int x, int y) {
        checkBounds(x, y);
        return unsafe_get(x, y);
    }

    /** Value at {@code (x, y)} without a bounds check. */
    public boolean unsafe_get(int x, int y) {
        return data[startIndex + y * stride + x] != 0;
    }

    /**
     * Sets {@code (x, y)}.
     *
     * @throws IndexOutOfBoundsException outside the image
     */
    public void set(int x, int y, boolean value) {
        checkBounds(x, y);
        unsafe_set(x, y, value);
    }

    /** Sets {@code (x, y)} without a bounds check. */
    public void unsafe_set(int x, int y, boolean value) {
        data[startIndex + y * stride + x] = (byte) (value ? 1 : 0);
    }

    /** Sets every pixel of this image (or view) to {@code value}; returns this image. */
    public Mask fill(boolean value) {
        byte v = (byte) (value ? 1 : 0);
        for (int y = 0; y < height; y++) {
            int i = startIndex + y * stride;
            Arrays.fill(data, i, i + width, v);
        }
        return this;
    }

    /** Number of pixels that are on. */
    public int countOn() {
        int n = 0;
        for (int y = 0; y < height; y++) {
            for (int i = startIndex + y * stride, end = i + width; i < end; i++) {
                n += data[i] != 0 ? 1 : 0;
            }
        }
        return n;
    }

    @Override
    public Mask createSameShape() {
        return new Mask(width, height);
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
    protected Mask view(int startIndex, int width, int height) {
        return new Mask(data, width, height, stride, startIndex, true);
    }
}
