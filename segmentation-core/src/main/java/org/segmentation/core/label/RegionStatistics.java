package org.segmentation.core.label;

import java.util.Arrays;
import java.util.Objects;
import org.segmentation.core.image.LabelMap;

/**
 * Area, bounding box and centroid of every label {@code 1..n} of a {@link LabelMap}, computed in one pass.
 *
 * <p>Coordinates are pixel indices: the bounding box is inclusive, {@code minX..maxX} by {@code minY..maxY}, and
 * the centroid is the mean of the pixel coordinates (as {@code skimage.measure.regionprops(...).centroid}, which
 * gives it as {@code (row, column)}). A label in {@code 1..n} that has no pixel has area 0, an empty box
 * ({@code minX > maxX}) and a NaN centroid. Label 0 is background and is not measured.
 */
public final class RegionStatistics {
    private final int n;
    private final int[] area;
    private final int[] minX;
    private final int[] minY;
    private final int[] maxX;
    private final int[] maxY;
    private final double[] sumX;
    private final double[] sumY;

    private RegionStatistics(int n) {
        this.n = n;
        area = new int[n + 1];
        minX = new int[n + 1];
        minY = new int[n + 1];
        maxX = new int[n + 1];
        maxY = new int[n + 1];
        sumX = new double[n + 1];
        sumY = new double[n + 1];
        Arrays.fill(minX, Integer.MAX_VALUE);
        Arrays.fill(minY, Integer.MAX_VALUE);
        Arrays.fill(maxX, -1);
        Arrays.fill(maxY, -1);
    }

    /**
     * Measures every label from 1 to the largest label in the map.
     *
     * @param labels not modified
     * @throws IllegalArgumentException if a label is negative
     */
    public static RegionStatistics compute(LabelMap labels) {
        Objects.requireNonNull(labels, "labels");
        RegionStatistics s = new RegionStatistics(Math.max(0, labels.maxLabel()));
        int[] d = labels.data;
        for (int y = 0; y < labels.height; y++) {
            int i = labels.startIndex + y * labels.stride;
            for (int x = 0; x < labels.width; x++) {
                int l = d[i + x];
                if (l == 0) {
                    continue;
                }
                if (l < 0) {
                    throw new IllegalArgumentException("negative label " + l + " at (" + x + ", " + y + ")");
                }
                s.area[l]++;
                s.sumX[l] += x;
                s.sumY[l] += y;
                if (x < s.minX[l]) {
                    s.minX[l] = x;
                }
                if (x > s.maxX[l]) {
                    s.maxX[l] = x;
                }
                if (y < s.minY[l]) {
                    s.minY[l] = y;
                }
                s.maxY[l] = y;
            }
        }
        return s;
    }

    /** The largest label measured, {@code n}. */
    public int labelCount() {
        return n;
    }

    /** Number of pixels with this label. */
    public int area(int label) {
        return area[check(label)];
    }

    /** Smallest column of the label, inclusive. */
    public int minX(int label) {
        return minX[check(label)];
    }

    /** Smallest row of the label, inclusive. */
    public int minY(int label) {
        return minY[check(label)];
    }

    /** Largest column of the label, inclusive. */
    public int maxX(int label) {
        return maxX[check(label)];
    }

    /** Largest row of the label, inclusive. */
    public int maxY(int label) {
        return maxY[check(label)];
    }

    /** Mean column of the label's pixels; NaN for an empty label. */
    public double centroidX(int label) {
        check(label);
        return area[label] == 0 ? Double.NaN : sumX[label] / area[label];
    }

    /** Mean row of the label's pixels; NaN for an empty label. */
    public double centroidY(int label) {
        check(label);
        return area[label] == 0 ? Double.NaN : sumY[label] / area[label];
    }

    private int check(int label) {
        if (label < 1 || label > n) {
            throw new IndexOutOfBoundsException("label " + label + " is not in 1.." + n);
        }
        return label;
    }
}
