package org.segmentation.nn.data;

/**
 * A mini-batch as plain arrays, independent of any tensor library: the trainer copies {@link #images} into an
 * {@code (N,C,H,W)} tensor and {@link #targets} into an {@code (N,H,W)} one.
 *
 * <p>Element {@code (n, c, y, x)} of the images is {@code images[((n*channels + c)*height + y)*width + x]};
 * target {@code (n, y, x)} is {@code targets[(n*height + y)*width + x]}. Targets hold class labels or the
 * dataset's ignore label. {@link #instances}, when the samples have instance labels, is laid out as the targets.
 */
public final class Batch {
    /** Number of samples N. */
    public final int size;
    /** Channels C. */
    public final int channels;
    /** Rows H. */
    public final int height;
    /** Columns W. */
    public final int width;
    /** {@code (N,C,H,W)} images, row-major. */
    public final float[] images;
    /** {@code (N,H,W)} class labels, row-major. */
    public final int[] targets;
    /**
     * {@code (N,H,W)} instance labels (0 background, 1..n per sample), row-major, or {@code null} when a sample of
     * the batch has none.
     */
    public final int[] instances;
    /** The dataset index of each of the N samples. */
    public final int[] indices;
    /** The epoch this batch belongs to. */
    public final int epoch;

    /**
     * Wraps the arrays without copying them.
     *
     * @throws IllegalArgumentException if a dimension is not positive or an array's length does not match
     */
    public Batch(int size, int channels, int height, int width, float[] images, int[] targets, int[] indices,
            int epoch) {
        this(size, channels, height, width, images, targets, null, indices, epoch);
    }

    /**
     * Wraps the arrays, instance labels included, without copying them.
     *
     * @param instances {@code (N,H,W)} instance labels, or {@code null}
     * @throws IllegalArgumentException if a dimension is not positive or an array's length does not match
     */
    public Batch(int size, int channels, int height, int width, float[] images, int[] targets, int[] instances,
            int[] indices, int epoch) {
        if (size <= 0 || channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("batch shape must be positive: N=" + size + ", C=" + channels
                    + ", H=" + height + ", W=" + width);
        }
        long pixels = (long) height * width;
        if (images.length != size * channels * pixels || targets.length != size * pixels
                || indices.length != size || (instances != null && instances.length != size * pixels)) {
            throw new IllegalArgumentException("array lengths images=" + images.length + ", targets="
                    + targets.length + ", instances=" + (instances == null ? "none" : instances.length)
                    + ", indices=" + indices.length + " do not match N=" + size + ", C="
                    + channels + ", H=" + height + ", W=" + width);
        }
        this.size = size;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.images = images;
        this.targets = targets;
        this.instances = instances;
        this.indices = indices;
        this.epoch = epoch;
    }

    /** Index in {@link #images} of element {@code (n, c, 0, 0)}. */
    public int imageOffset(int n, int c) {
        return (n * channels + c) * height * width;
    }

    /** Index in {@link #targets} of element {@code (n, 0, 0)}. */
    public int targetOffset(int n) {
        return n * height * width;
    }

    @Override
    public String toString() {
        return "Batch[N=" + size + ", C=" + channels + ", H=" + height + ", W=" + width + ", epoch=" + epoch + "]";
    }
}
