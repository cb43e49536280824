package org.segmentation.nn.data;

import java.util.List;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.core.label.LabelOps;

/** A dataset whose samples are all held in memory, validated once when it is built. */
public final class InMemoryDataset implements SegmentationDataset {
    private final List<Sample> samples;
    private final int numClasses;
    private final IgnoreLabel ignoreLabel;
    private final int channels;

    /**
     * A dataset of {@code samples}, which are not copied: do not modify them afterwards.
     *
     * @param samples at least one sample, all with the same number of channels
     * @param numClasses number of classes, background included
     * @param ignoreLabel label of unlabelled pixels, or {@link IgnoreLabel#NONE}
     * @throws IllegalArgumentException if the list is empty, the channel counts differ, or a target holds a label
     *     that is neither a class nor the ignore label (the message names the sample and the pixel), or the
     *     ignore label is a class
     */
    public InMemoryDataset(List<Sample> samples, int numClasses, IgnoreLabel ignoreLabel) {
        ignoreLabel.checkFor(numClasses);
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("an in-memory dataset needs at least one sample");
        }
        this.samples = List.copyOf(samples);
        this.numClasses = numClasses;
        this.ignoreLabel = ignoreLabel;
        this.channels = this.samples.get(0).channels();
        for (int i = 0; i < this.samples.size(); i++) {
            Sample s = this.samples.get(i);
            if (s.channels() != channels) {
                throw new IllegalArgumentException("sample " + i + " has " + s.channels()
                        + " channels but sample 0 has " + channels);
            }
            String bad = LabelOps.firstInvalidClass(s.target(), numClasses, ignoreLabel);
            if (bad != null) {
                throw new IllegalArgumentException("sample " + i + ": " + bad);
            }
        }
    }

    /** A dataset in which every pixel has a class. */
    public InMemoryDataset(List<Sample> samples, int numClasses) {
        this(samples, numClasses, IgnoreLabel.NONE);
    }

    @Override
    public int size() {
        return samples.size();
    }

    @Override
    public Sample get(int index) {
        SegmentationDataset.checkIndex(index, samples.size());
        return samples.get(index);
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public IgnoreLabel ignoreLabel() {
        return ignoreLabel;
    }
}
