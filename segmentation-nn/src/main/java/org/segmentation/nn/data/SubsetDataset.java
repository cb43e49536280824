package org.segmentation.nn.data;

import org.segmentation.core.label.IgnoreLabel;

/** A view of some samples of another dataset, in a given order; shares the parent's samples. */
public final class SubsetDataset implements SegmentationDataset {
    private final SegmentationDataset parent;
    private final int[] indices;

    /**
     * The samples {@code parent.get(indices[0]), parent.get(indices[1]), ...}.
     *
     * @throws IllegalArgumentException if {@code indices} is empty or holds an index outside the parent
     */
    public SubsetDataset(SegmentationDataset parent, int[] indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("a subset needs at least one index");
        }
        for (int i : indices) {
            if (i < 0 || i >= parent.size()) {
                throw new IllegalArgumentException("subset index " + i + " is not in 0.." + (parent.size() - 1));
            }
        }
        this.parent = parent;
        this.indices = indices.clone();
    }

    /** The parent's index of each sample of this subset, a fresh copy. */
    public int[] indices() {
        return indices.clone();
    }

    /** The dataset this is a view of. */
    public SegmentationDataset parent() {
        return parent;
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public Sample get(int index) {
        SegmentationDataset.checkIndex(index, indices.length);
        return parent.get(indices[index]);
    }

    @Override
    public int numClasses() {
        return parent.numClasses();
    }

    @Override
    public int channels() {
        return parent.channels();
    }

    @Override
    public IgnoreLabel ignoreLabel() {
        return parent.ignoreLabel();
    }
}
