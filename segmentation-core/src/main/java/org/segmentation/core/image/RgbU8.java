package org.segmentation.core.image;

/**
 * An 8-bit RGB image, interleaved: pixel {@code (x, y)} occupies {@code data[i]}, {@code data[i+1]},
 * {@code data[i+2]} (red, green, blue) with {@code i = startIndex + y*stride + 3*x}. {@code stride} counts
 * array elements, so it is at least {@code 3*width}. Values are read as {@code data[i] & 0xFF}.
 */
public final class RgbU8 extends ImageBase<RgbU8> {
    /** Interleaved RGB storage, shared with every sub-image. */
    public byte[] data;

    /**
     * A new black image.
     *
     * @throws IllegalArgumentException if a dimension is not positive or the element count overflows
     */
    public RgbU8(int width, int height) {
        super(width, height, 3 * width, 0, false);
        this.data = new byte[checkedSize(width, height, 3)];
    }

    /**
     * Wraps an existing interleaved RGB array without copying it.
     *
     * @throws IllegalArgumentException if the array is shorter than {@code 3*width*height}
     */
    public static RgbU8 wrap(byte[] data, int width, int height) {
        int n = checkedSize(width, height, 3);
        if (data.length < n) {
            throw new IllegalArgumentException("array of length " + data.length + " is too short for "
                    + width + "x" + height + "x3");
        }
        return new RgbU8(data, width, height, 3 * width, 0, false);
    }

    private RgbU8(byte[] data, int width, int height, int stride, int startIndex, boolean subimage) {
        super(width, height, stride, startIndex, subimage);
        this.data = data;
    }

    @Override
    protected int pixelStride() {
        return 3;
    }

    /**
     * Channel {@code c} (0 red, 1 green, 2 blue) of pixel {@code (x, y)}, 0..255.
     *
     * @throws IndexOutOfBoundsException outside the image or for a channel outside 0..2
     */
    public int get(int x, int y, int c) {
        checkBounds(x, y);
        checkChannel(c);
        return data[index(x, y) + c] & 0xFF;
    }

    /** The pixel packed as {@code 0xRRGGBB}. @throws IndexOutOfBoundsException outside the image */
    public int getRgb(int x, int y) {
        checkBounds(x, y);
        int i = index(x, y);
        return (data[i] & 0xFF) << 16 | (data[i + 1] & 0xFF) << 8 | (data[i + 2] & 0xFF);
    }

    /** Sets the pixel from red, green, blue; each keeps its low 8 bits. @throws IndexOutOfBoundsException outside */
    public void set(int x, int y, int r, int g, int b) {
        checkBounds(x, y);
        int i = index(x, y);
        data[i] = (byte) r;
        data[i + 1] = (byte) g;
        data[i + 2] = (byte) b;
    }

    /** Sets the pixel from {@code 0xRRGGBB}. @throws IndexOutOfBoundsException outside the image */
    public void setRgb(int x, int y, int rgb) {
        set(x, y, rgb >>> 16, rgb >>> 8, rgb);
    }

    private static void checkChannel(int c) {
        if (c < 0 || c > 2) {
            throw new IndexOutOfBoundsException("channel " + c + " is not in 0..2");
        }
    }

    @Override
    public RgbU8 createSameShape() {
        return new RgbU8(width, height);
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
    protected RgbU8 view(int startIndex, int width, int height) {
        return new RgbU8(data, width, height, stride, startIndex, true);
    }
}
