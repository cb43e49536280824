package org.segmentation.nn.data;

import org.segmentation.core.image.LabelMap;
import org.segmentation.core.label.IgnoreLabel;

/** The label-range check shared by the datasets. */
final class Labels {
    private Labels() {
    }

    /**
     * A description of the first pixel whose label is neither a class ({@code 0..numClasses-1}) nor the ignore
     * label, or {@code null} when every label is valid.
     */
    static String firstInvalid(LabelMap target, int numClasses, IgnoreLabel ignoreLabel) {
        for (int y = 0; y < target.height; y++) {
            int row = target.startIndex + y * target.stride;
            for (int x = 0; x < target.width; x++) {
                int v = target.data[row + x];
                if ((v < 0 || v >= numClasses) && !ignoreLabel.matches(v)) {
                    return "label " + v + " at pixel (" + x + ", " + y + ") is not a class 0.." + (numClasses - 1)
                            + ignoreLabel.orIgnoredText();
                }
            }
        }
        return null;
    }
}
