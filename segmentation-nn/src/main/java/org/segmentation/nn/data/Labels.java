package org.segmentation.nn.data;

import org.segmentation.core.image.LabelMap;

/** Label-range checks shared by the datasets. */
final class Labels {
    private Labels() {
    }

    /**
     * Checks the class count and the ignore label of a dataset.
     *
     * @throws IllegalArgumentException if {@code numClasses < 1}, or the ignore label is neither
     *     {@link SegmentationDataset#NO_IGNORE} nor a non-negative value outside {@code 0..numClasses-1}
     */
    static void checkClasses(int numClasses, int ignoreLabel) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
        if (ignoreLabel != SegmentationDataset.NO_IGNORE && (ignoreLabel < numClasses)) {
            throw new IllegalArgumentException("ignoreLabel must be " + SegmentationDataset.NO_IGNORE
                    + " (none) or at least numClasses=" + numClasses + ", got " + ignoreLabel);
        }
    }

    /**
     * A description of the first pixel whose label is neither a class ({@code 0..numClasses-1}) nor the ignore
     * label, or {@code null} when every label is valid.
     */
    static String firstInvalid(LabelMap target, int numClasses, int ignoreLabel) {
        for (int y = 0; y < target.height; y++) {
            int row = target.startIndex + y * target.stride;
            for (int x = 0; x < target.width; x++) {
                int v = target.data[row + x];
                if ((v < 0 || v >= numClasses) && v != ignoreLabel) {
                    return "label " + v + " at pixel (" + x + ", " + y + ") is not a class 0.." + (numClasses - 1)
                            + (ignoreLabel == SegmentationDataset.NO_IGNORE ? "" : " nor the ignore label "
                            + ignoreLabel);
                }
            }
        }
        return null;
    }
}
