package org.segmentation.core.label;

import java.util.BitSet;
import java.util.Objects;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

/**
 * Small operations on label images: renumbering, counting, checking class labels, and a mask as labels. Label convention: 0 is
 * background, every other value one region; negative labels are rejected.
 */
public final class LabelOps {
    private LabelOps() {
    }

    /**
     * Renumbers the non-zero labels {@code 1..n} in raster order of first appearance (the order of
     * {@link ConnectedComponents} and of {@code skimage.segmentation.relabel_sequential} applied to a raster
     * scan); 0 stays 0. Modifies {@code labels} in place.
     *
     * @return {@code n}, the number of distinct non-zero labels
     * @throws IllegalArgumentException naming the pixel if a label is negative (nothing is modified then)
     */
    public static int relabel(LabelMap labels) {
        int[] map = new int[checkedMax(labels) + 1];
        int n = 0;
        for (int y = 0; y < labels.height; y++) {
            int row = labels.startIndex + y * labels.stride;
            for (int x = 0; x < labels.width; x++) {
                int v = labels.data[row + x];
                if (v != 0) {
                    if (map[v] == 0) {
                        map[v] = ++n;
                    }
                    labels.data[row + x] = map[v];
                }
            }
        }
        return n;
    }

    /**
     * Number of distinct non-zero labels.
     *
     * @throws IllegalArgumentException naming the pixel if a label is negative
     */
    public static int countRegions(LabelMap labels) {
        BitSet seen = new BitSet();
        for (int y = 0; y < labels.height; y++) {
            int row = labels.startIndex + y * labels.stride;
            for (int x = 0; x < labels.width; x++) {
                int v = labels.data[row + x];
                if (v < 0) {
                    throw negative(v, x, y);
                }
                seen.set(v);
            }
        }
        seen.clear(0);
        return seen.cardinality();
    }

    /**
     * A mask as labels: 1 where it is on, 0 where it is off.
     *
     * @param dst output, reshaped to the mask's size if needed, or null to allocate
     * @return the labels
     */
    public static LabelMap fromMask(Mask mask, LabelMap dst) {
        Objects.requireNonNull(mask, "mask");
        dst = ImageBase.output(dst, mask.width, mask.height, LabelMap::new);
        for (int y = 0; y < mask.height; y++) {
            int src = mask.startIndex + y * mask.stride;
            int out = dst.startIndex + y * dst.stride;
            for (int x = 0; x < mask.width; x++) {
                dst.data[out + x] = mask.data[src + x] != 0 ? 1 : 0;
            }
        }
        return dst;
    }

    /**
     * A description of the first pixel, in raster order, whose label is neither a class {@code 0..numClasses-1}
     * nor the ignore label, or {@code null} when every label is one of them.
     */
    public static String firstInvalidClass(LabelMap labels, int numClasses, IgnoreLabel ignoreLabel) {
        for (int y = 0; y < labels.height; y++) {
            int row = labels.startIndex + y * labels.stride;
            for (int x = 0; x < labels.width; x++) {
                int v = labels.data[row + x];
                if ((v < 0 || v >= numClasses) && !ignoreLabel.matches(v)) {
                    return "label " + v + " at pixel (" + x + ", " + y + ") is not a class 0.." + (numClasses - 1)
                            + ignoreLabel.orIgnoredText();
                }
            }
        }
        return null;
    }

    private static int checkedMax(LabelMap labels) {
        int max = 0;
        for (int y = 0; y < labels.height; y++) {
            int row = labels.startIndex + y * labels.stride;
            for (int x = 0; x < labels.width; x++) {
                int v = labels.data[row + x];
                if (v < 0) {
                    throw negative(v, x, y);
                }
                max = Math.max(max, v);
            }
        }
        return max;
    }

    private static IllegalArgumentException negative(int v, int x, int y) {
        return new IllegalArgumentException("negative label " + v + " at (" + x + ", " + y + ")");
    }
}
