package org.segmentation.core.image;

/**
 * A multi-channel float image stored plane after plane: channel {@code c} of pixel {@code (x, y)} is
 * {@code data[startIndex + c*planeStride + y*stride + x]}. A contiguous image
 * ({@code stride == width}, {@code planeStride == width*height}, {@code startIndex == 0}) is exactly one
 * {@code (C, H, W)} slice of an NCHW tensor, so it copies to and from one with a single array copy.
 */
public final class PlanarF32 extends ImageBase<PlanarF32> {
    /** Channel-major storage, shared with every sub-image. */
    public float[] data;
    /** Number of channels. */
    public final int channels;
    /** Array elements between the starts of two channel planes. */
    public int planeStride;

    /**
     * A new zero-filled image.
     *
     * @throws IllegalArgumentException if a dimension or the channel count is not positive, or the element
     *     count overflows
     */
    public PlanarF32(int channels, int width, int height) {
        super(width, height, width, 0, false);
        this.data = new float[checkedSize(width, height, channels)];
        this.channels = channels;
        this.planeStride = width * height;
    }

    /**
     * Wraps a contiguous {@code (C, H, W)} array without copying it.
     *
     * @throws IllegalArgumentException if the array is shorter than {@code channels*width*height}
     */
    public static PlanarF32 wrap(float[] data, int channels, int width, int height) {
        int n = checkedSize(width, height, channels);
        if (data.length < n) {
            throw new IllegalArgumentException("array of length " + data.length + " is too short for "
                    + channels + "x" + height + "x" + width);
        }
        return new PlanarF32(data, channels, width, height, width, width * height, 0, false);
    }

    private PlanarF32(float[] data, int channels, int width, int height, int stride, int planeStride,
            int startIndex, boolean subimage) {
        super(width, height, stride, startIndex, subimage);
        this.data = data;
        this.channels = channels;
        this.planeStride = planeStride;
    }

    @Override
    protected int planeCount() {
        return channels;
    }

    @Override
    protected int planeStride() {
        return planeStride;
    }

    @Override
    protected void onReshape() {
        planeStride = width * height;
    }

    /**
     * Channel {@code c} at {@code (x, y)}.
     *
     * @throws IndexOutOfBoundsException outside the image or for a channel outside {@code 0..channels-1}
     */
    public float get(int c, int x, int y) {
        checkBounds(x, y);
        checkChannel(c);
        return data[startIndex + c * planeStride + y * stride + x];
    }

    /**
     * Sets channel {@code c} at {@code (x, y)}.
     *
     * @throws IndexOutOfBoundsException outside the image or for a channel outside {@code 0..channels-1}
     */
    public void set(int c, int x, int y, float value) {
        checkBounds(x, y);
        checkChannel(c);
        data[startIndex + c * planeStride + y * stride + x] = value;
    }

    /** A view of channel {@code c} as a gray image sharing this image's array. */
    public GrayF32 channel(int c) {
        checkChannel(c);
        return new GrayF32(data, width, height, stride, startIndex + c * planeStride, true);
    }

    private void checkChannel(int c) {
        if (c < 0 || c >= channels) {
            throw new IndexOutOfBoundsException("channel " + c + " is not in 0.." + (channels - 1));
        }
    }

    @Override
    public PlanarF32 createSameShape() {
        return new PlanarF32(channels, width, height);
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
    protected PlanarF32 view(int startIndex, int width, int height) {
        return new PlanarF32(data, channels, width, height, stride, planeStride, startIndex, true);
    }
}
