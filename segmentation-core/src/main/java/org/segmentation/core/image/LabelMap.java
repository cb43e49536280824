package org.segmentation.core.image;

import java.util.Arrays;

/**
 * A label image: {@code 0} is background or unlabelled, {@code 1..n} are regions (instance segmentation) or
 * classes (semantic segmentation). Label files never decode to negative labels.
 *
 * <p>Pixel {@code (x, y)} is {@code data[startIndex + y*stride + x]}. {@link #get} and {@link #set} check
 * bounds; the {@code unsafe_} variants do not.
 */
public final class LabelMap extends ImageBase<LabelMap> {
    /** Pixel storage, shared with every sub-image. */
    public int[] data;

    /**
     * A new zero-filled image.
     *
     * @throws IllegalArgumentException if a dimension is not positive or the pixel count overflows
     */
    public LabelMap(int width, int height) {
        super(width, height, width, 0, false);
        this.data = new int[checkedSize(width, height, 1)];
    }

    /**
     * Wraps an existing row-major array without copying it.
     *
     * @throws IllegalArgumentException if the array is shorter than {@code width*height}
     */
    public static LabelMap wrap(int[] data, int width, int height) {
        int n = checkedSize(width, height, 1);
        if (data.length < n) {
            throw new IllegalArgumentException("array of length " + data.length + " is too short for "
                    + width + "x" + height);
        }
        return new LabelMap(data, width, height, width, 0, false);
    }

    LabelMap(int[] data, int width, int height, int stride, int startIndex, boolean subimage) {
        super(width, height, stride, startIndex, subimage);
        this.data = data;
    }

    /**
     * Value at {@code (x, y)}.
     *
     * @throws IndexOutOfBoundsException outside the image
     */
    public int get(int x, int y) {
        checkBounds(x, y);
        return unsafe_get(x, y);
    }

    /** Value at {@code (x, y)} without a bounds check. */
    public int unsafe_get(int x, int y) {
        return data[startIndex + y * stride + x];
    }

    /**
     * Sets {@code (x, y)}.
     *
     * @throws IndexOutOfBoundsException outside the image
     */
    public void set(int x, int y, int value) {
        checkBounds(x, y);
        unsafe_set(x, y, value);
    }

    /** Sets {@code (x, y)} without a bounds check. */
    public void unsafe_set(int x, int y, int value) {
        data[startIndex + y * stride + x] = value;
    }

    /** Sets every pixel of this image (or view) to {@code value}; returns this image. */
    public LabelMap fill(int value) {
        int v = value;
        for (int y = 0; y < height; y++) {
            int i = startIndex + y * stride;
            Arrays.fill(data, i, i + width, v);
        }
        return this;
    }

    /** Largest label in this image (or view), or 0 when every pixel is background. */
    public int maxLabel() {
        int max = 0;
        for (int y = 0; y < height; y++) {
            for (int i = startIndex + y * stride, end = i + width; i < end; i++) {
                max = Math.max(max, data[i]);
            }
        }
        return max;
    }

    @Override
    public LabelMap createSameShape() {
        return new LabelMap(width, height);
    }

    @Override
    protected Object array() {
        return data;
    }

    @Override
    protected void allocate(int n) {
        data = new int[n];
    }

    @Override
    protected LabelMap view(int startIndex, int width, int height) {
        return new LabelMap(data, width, height, stride, startIndex, true);
    }
}
