package org.segmentation.core.image;

/**
 * Geometry shared by every image type: a row-major view into a flat primitive array.
 *
 * <p>Pixel {@code (x, y)} of a single-band image lives at {@code data[startIndex + y*stride + x]}. A
 * sub-image shares its parent's array and differs only in {@code startIndex}, {@code width} and
 * {@code height}; writing through either is seen by both. Hot loops should read the public fields and do
 * the index arithmetic themselves; {@link #index(int, int)} is for clarity outside hot loops.
 *
 * @param <T> the concrete image type, so that {@link #subimage} and {@link #createSameShape} are typed
 */
public abstract class ImageBase<T extends ImageBase<T>> {
    /** Largest pixel count accepted, so that {@code width*height*bands} always fits an array index. */
    public static final int MAX_PIXELS = Integer.MAX_VALUE - 8;

    /** Number of columns. */
    public int width;
    /** Number of rows. */
    public int height;
    /** Array elements between the starts of two consecutive rows. */
    public int stride;
    /** Array index of pixel (0, 0). */
    public int startIndex;
    /** True when this image is a view into a larger parent array. */
    protected boolean subimage;

    protected ImageBase(int width, int height, int stride, int startIndex, boolean subimage) {
        this.width = width;
        this.height = height;
        this.stride = stride;
        this.startIndex = startIndex;
        this.subimage = subimage;
    }

    /**
     * Checks a requested size and returns {@code width*height*bands}.
     *
     * @throws IllegalArgumentException naming the values when a dimension is zero or negative, or the element
     *     count overflows an {@code int}
     */
    public static int checkedSize(int width, int height, int bands) {
        if (width <= 0 || height <= 0 || bands <= 0) {
            throw new IllegalArgumentException("image size must be positive: width=" + width + ", height=" + height
                    + (bands != 1 ? ", bands=" + bands : ""));
        }
        long n = (long) width * height * bands;
        if (n > MAX_PIXELS) {
            throw new IllegalArgumentException("image too large: width=" + width + " x height=" + height
                    + (bands != 1 ? " x bands=" + bands : "") + " = " + n + " elements exceeds " + MAX_PIXELS);
        }
        return (int) n;
    }

    /** Creates an image of a given size; {@code GrayU8::new} is one. */
    @FunctionalInterface
    public interface Factory<T> {
        /** A new image of {@code width x height}. */
        T create(int width, int height);
    }

    /**
     * The output-argument convention of this library: returns {@code dst} reshaped to {@code width x height}
     * when needed, or a new image from {@code factory} when {@code dst} is null.
     *
     * @throws IllegalStateException if {@code dst} is a sub-image of another shape
     */
    public static <T extends ImageBase<T>> T output(T dst, int width, int height, Factory<T> factory) {
        if (dst == null) {
            return factory.create(width, height);
        }
        if (dst.width != width || dst.height != height) {
            dst.reshape(width, height);
        }
        return dst;
    }

    /** Array elements per pixel in one row: 1 for single-band images, 3 for interleaved RGB. */
    protected int pixelStride() {
        return 1;
    }

    /** Number of separate planes: 1 except for planar multi-channel images. */
    protected int planeCount() {
        return 1;
    }

    /** Array elements between the starts of two planes; unused when there is one plane. */
    protected int planeStride() {
        return 0;
    }

    /** Called after {@link #reshape} so that planar images can lay out their planes. */
    protected void onReshape() {
    }

    /** Array index of pixel {@code (x, y)}; no bounds check. */
    public final int index(int x, int y) {
        return startIndex + y * stride + x * pixelStride();
    }

    /** True when {@code (x, y)} lies inside this image. */
    public final boolean isInBounds(int x, int y) {
        return x >= 0 && x < width && y >= 0 && y < height;
    }

    /** True when this image is a view into a larger parent array. */
    public final boolean isSubimage() {
        return subimage;
    }

    /** Number of pixels, {@code width*height}. */
    public final int pixelCount() {
        return width * height;
    }

    /** True when rows follow each other with no gap, so that pixel {@code i} is {@code data[startIndex+i]}. */
    public final boolean isContiguous() {
        return stride == width * pixelStride();
    }

    /** True when {@code other} has the same width and height. */
    public final boolean isSameShape(ImageBase<?> other) {
        return width == other.width && height == other.height;
    }

    /**
     * Throws unless {@code other} has this image's width and height.
     *
     * @throws IllegalArgumentException naming both shapes
     */
    public final void checkSameShape(ImageBase<?> other, String what) {
        if (!isSameShape(other)) {
            throw new IllegalArgumentException(what + " is " + other.width + "x" + other.height
                    + " but the image is " + width + "x" + height);
        }
    }

    protected final void checkBounds(int x, int y) {
        if (!isInBounds(x, y)) {
            throw new IndexOutOfBoundsException("pixel (" + x + ", " + y + ") is outside the " + width + "x" + height
                    + " image");
        }
    }

    protected final void checkSubimage(int x0, int y0, int x1, int y1) {
        if (x0 < 0 || y0 < 0 || x1 > width || y1 > height || x0 >= x1 || y0 >= y1) {
            throw new IllegalArgumentException("sub-image [" + x0 + "," + x1 + ")x[" + y0 + "," + y1
                    + ") is empty or outside the " + width + "x" + height + " image");
        }
    }

    /** A new image of the same type and shape, not a view, filled with zeros. */
    public abstract T createSameShape();

    /** The backing primitive array, shared with every view of it. */
    protected abstract Object array();

    /** Replaces the backing array by a zeroed one of {@code n} elements. */
    protected abstract void allocate(int n);

    /** A view of this image's array with the given origin and size; same stride. */
    protected abstract T view(int startIndex, int width, int height);

    /**
     * A view of the rectangle {@code [x0, x1) x [y0, y1)} that shares this image's array.
     *
     * @throws IllegalArgumentException if the rectangle is empty or not inside this image
     */
    public final T subimage(int x0, int y0, int x1, int y1) {
        checkSubimage(x0, y0, x1, y1);
        return view(index(x0, y0), x1 - x0, y1 - y0);
    }

    /**
     * Changes the shape to a contiguous {@code width x height}, growing the array only if it is too small;
     * contents become undefined. This lets an operation reuse a caller's output buffer.
     *
     * @throws IllegalStateException on a sub-image, whose array belongs to its parent
     * @throws IllegalArgumentException if the size is invalid
     */
    public final void reshape(int width, int height) {
        checkReshape();
        int n = checkedSize(width, height, pixelStride() * planeCount());
        if (java.lang.reflect.Array.getLength(array()) < n) {
            allocate(n);
        }
        this.width = width;
        this.height = height;
        this.stride = width * pixelStride();
        this.startIndex = 0;
        onReshape();
    }

    /** A contiguous deep copy of this image (or view). */
    public final T copy() {
        T out = createSameShape();
        copyTo(out);
        return out;
    }

    /**
     * Copies this image's pixels into {@code dst}, which must have the same type and shape.
     *
     * @return {@code dst}
     * @throws IllegalArgumentException if the shapes differ
     */
    public final T copyTo(T dst) {
        checkSameShape(dst, "destination");
        int row = width * pixelStride();
        Object src = array();
        Object out = dst.array();
        for (int p = 0; p < planeCount(); p++) {
            int s = startIndex + p * planeStride();
            int d = dst.startIndex + p * dst.planeStride();
            for (int y = 0; y < height; y++) {
                System.arraycopy(src, s + y * stride, out, d + y * dst.stride, row);
            }
        }
        return dst;
    }

    protected final void checkReshape() {
        if (subimage) {
            throw new IllegalStateException("cannot reshape a sub-image");
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + width + "x" + height + "]";
    }
}
