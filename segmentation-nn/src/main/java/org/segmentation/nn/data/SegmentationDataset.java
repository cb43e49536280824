package org.segmentation.nn.data;

import org.segmentation.core.label.IgnoreLabel;

/**
 * A fixed, indexed collection of {@link Sample}s for training or evaluating a segmentation network.
 *
 * <p>{@link #get} must be safe to call from several threads at once: {@link BatchLoader} loads samples on
 * background threads. Every sample of a dataset has {@link #channels()} channels and targets in
 * {@code 0..numClasses()-1} or equal to {@link #ignoreLabel()}; sizes may differ between samples (a crop or pad
 * augmentation brings them to one training size).
 */
public interface SegmentationDataset {
    /** Number of samples. */
    int size();

    /**
     * Sample {@code index}. The result may be shared with other callers: treat it as read-only.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= index < size()}
     * @throws DatasetException if the sample's files cannot be read or are invalid
     */
    Sample get(int index);

    /** Number of classes, background included: target labels are {@code 0..numClasses()-1}. */
    int numClasses();

    /** Number of image channels of every sample. */
    int channels();

    /**
     * The target label of pixels that have no class and must not count in the loss or the metrics, or
     * {@link IgnoreLabel#NONE}. It is never in {@code 0..numClasses()-1} ({@link IgnoreLabel#checkFor}).
     */
    default IgnoreLabel ignoreLabel() {
        return IgnoreLabel.NONE;
    }

    /** Throws an {@link IndexOutOfBoundsException} naming the index and the size unless it is valid. */
    static void checkIndex(int index, int size) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("sample index " + index + " is not in 0.." + (size - 1)
                    + " (dataset of " + size + " samples)");
        }
    }
}
