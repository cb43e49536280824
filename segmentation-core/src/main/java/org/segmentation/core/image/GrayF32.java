package org.segmentation.core.image;

import java.util.Arrays;

/**
 * A 32-bit float gray image. No range is implied; conversions state the scaling they apply.
 *
 * <p>Pixel {@code (x, y)} is {@code data[startIndex + y*stride + x]}. {@link #get} and {@link #set} check
 * bounds; the {@code unsafe_} variants do not.
 */
public final class GrayF32 extends ImageBase<GrayF32> {
    /** Pixel storage, shared with every sub-image. */
    public float[] data;

    /**
     * A new zero-filled image.
     *
     * @throws IllegalArgumentException if a dimension is not positive or the pixel count overflows
     */
    public GrayF32(int width, int height) {
        super(width, height, width, 0, false);
        this.data = new float[checkedSize(width, height, 1)];
    }

    /**
     * Wraps an existing row-major array without copying it.
     *
     * @throws IllegalArgumentException if the array is shorter than {@code width*height}
     */
    public static GrayF32 wrap(float[] data, int width, int height) {
        int n = checkedSize(width, height, 1);
        if (data.length < n) {
            throw new IllegalArgumentException("array of length " + data.length + " is too short for "
                    + width + "x" + height);
        }
        return new GrayF32(data, width, height, width, 0, false);
    }

    GrayF32(float[] data, int width, int height, int stride, int startIndex, boolean subimage) {
        super(width, height, stride, startIndex, subimage);
        this.data = data;
    }

    /**
     * Value at {@code (x, y)}.
     *
     * @throws IndexOutOfBoundsException outside the image
     */
    public float get(int x, int y) {
        checkBounds(x, y);
        return unsafe_get(x, y);
    }

    /** Value at {@code (x, y)} without a bounds check. */
    public float unsafe_get(int x, int y) {
        return data[startIndex + y * stride + x];
    }

    /**
     * Sets {@code (x, y)}.
     *
     * @throws IndexOutOfBoundsException outside the image
     */
    public void set(int x, int y, float value) {
        checkBounds(x, y);
        unsafe_set(x, y, value);
    }

    /** Sets {@code (x, y)} without a bounds check. */
    public void unsafe_set(int x, int y, float value) {
        data[startIndex + y * stride + x] = value;
    }

    /** Sets every pixel of this image (or view) to {@code value}; returns this image. */
    public GrayF32 fill(float value) {
        float v = value;
        for (int y = 0; y < height; y++) {
            int i = startIndex + y * stride;
            Arrays.fill(data, i, i + width, v);
        }
        return this;
    }

    @Override
    public GrayF32 createSameShape() {
        return new GrayF32(width, height);
    }

    @Override
    protected Object array() {
        return data;
    }

    @Override
    protected void allocate(int n) {
        data = new float[n];
    }

    @Override
    protected GrayF32 view(int startIndex, int width, int height) {
        return new GrayF32(data, width, height, stride, startIndex, true);
    }
}
