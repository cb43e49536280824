package org.segmentation.core.metrics;

import java.util.Arrays;
import org.segmentation.core.image.LabelMap;

/**
 * Sparse joint histogram of two label images: {@code n(i, j)}, the number of pixels labelled {@code i} in the
 * truth and {@code j} in the prediction, for every pair that occurs. Counts are exact ({@code long}); only the
 * metrics computed from them use {@code double}. This is {@code skimage.metrics.contingency_table} without
 * normalisation, and it is shared by the partition metrics ({@link PartitionMetrics}) and instance matching
 * ({@link InstanceMetrics}).
 *
 * <p>Pixels whose <em>truth</em> label is one of the ignore labels are left out entirely (they count in no
 * entry, marginal or total), as in scikit-image. Labels must be non-negative.
 *
 * <p>Entries are sorted by truth label, then prediction label. Built by sorting one {@code long} key per pixel,
 * so it costs {@code O(n log n)} time and {@code 8n} bytes of work space.
 */
public final class ContingencyTable {
    final int[] truth;
    final int[] pred;
    final long[] count;
    final long total;
    /** Distinct truth labels, ascending, and their pixel counts (row sums). */
    final int[] truthLabels;
    final long[] truthSizes;
    /** Distinct prediction labels, ascending, and their pixel counts (column sums). */
    final int[] predLabels;
    final long[] predSizes;

    private ContingencyTable(long[] keys, int n) {
        Arrays.sort(keys, 0, n);
        int entries = 0;
        for (int i = 0; i < n; i++) {
            if (i == 0 || keys[i] != keys[i - 1]) {
                entries++;
            }
        }
        truth = new int[entries];
        pred = new int[entries];
        count = new long[entries];
        int k = -1;
        for (int i = 0; i < n; i++) {
            if (i == 0 || keys[i] != keys[i - 1]) {
                k++;
                truth[k] = (int) (keys[i] >>> 32);
                pred[k] = (int) keys[i];
            }
            count[k]++;
        }
        total = n;

        // Rows are contiguous because entries are sorted by truth label first.
        int rows = 0;
        for (int e = 0; e < entries; e++) {
            rows += e == 0 || truth[e] != truth[e - 1] ? 1 : 0;
        }
        truthLabels = new int[rows];
        truthSizes = new long[rows];
        for (int e = 0, r = -1; e < entries; e++) {
            if (e == 0 || truth[e] != truth[e - 1]) {
                truthLabels[++r] = truth[e];
            }
            truthSizes[r] += count[e];
        }

        // Columns: sort (prediction label, entry index) keys, then sum the counts of each run.
        long[] byPred = new long[entries];
        for (int e = 0; e < entries; e++) {
            byPred[e] = (long) pred[e] << 32 | e;
        }
        Arrays.sort(byPred);
        int cols = 0;
        for (int e = 0; e < entries; e++) {
            cols += e == 0 || (byPred[e] >>> 32) != (byPred[e - 1] >>> 32) ? 1 : 0;
        }
        predLabels = new int[cols];
        predSizes = new long[cols];
        for (int e = 0, c = -1; e < entries; e++) {
            if (e == 0 || (byPred[e] >>> 32) != (byPred[e - 1] >>> 32)) {
                predLabels[++c] = (int) (byPred[e] >>> 32);
            }
            predSizes[c] += count[(int) byPred[e]];
        }
    }

    /**
     * Counts the label pairs of two images of the same shape.
     *
     * @param truth reference labels; not modified
     * @param pred predicted labels; not modified
     * @param ignoreTruthLabels pixels whose truth label is one of these are skipped; none when empty
     * @throws IllegalArgumentException if the shapes differ or a label is negative (naming label and pixel)
     */
    public static ContingencyTable of(LabelMap truth, LabelMap pred, int... ignoreTruthLabels) {
        truth.checkSameShape(pred, "prediction");
        int w = truth.width;
        int h = truth.height;
        long[] keys = new long[w * h];
        int n = 0;
        for (int y = 0; y < h; y++) {
            int it = truth.startIndex + y * truth.stride;
            int ip = pred.startIndex + y * pred.stride;
            for (int x = 0; x < w; x++) {
                int a = truth.data[it + x];
                int b = pred.data[ip + x];
                if (a < 0 || b < 0) {
                    throw new IllegalArgumentException("negative label " + (a < 0 ? a + " in truth" : b
                            + " in prediction") + " at (" + x + ", " + y + ")");
                }
                if (!contains(ignoreTruthLabels, a)) {
                    keys[n++] = (long) a << 32 | b;
                }
            }
        }
        return new ContingencyTable(keys, n);
    }

    private static boolean contains(int[] values, int v) {
        for (int u : values) {
            if (u == v) {
                return true;
            }
        }
        return false;
    }

    /** Number of distinct (truth, prediction) pairs, i.e. non-zero entries. */
    public int size() {
        return count.length;
    }

    /** Truth label of entry {@code k}, {@code 0 <= k < size()}. */
    public int truthLabel(int k) {
        return truth[k];
    }

    /** Prediction label of entry {@code k}. */
    public int predLabel(int k) {
        return pred[k];
    }

    /** Pixel count of entry {@code k}; always positive. */
    public long count(int k) {
        return count[k];
    }

    /** Number of pixels counted (all pixels minus those with an ignored truth label). */
    public long total() {
        return total;
    }

    /** Distinct truth labels counted, ascending; a fresh copy. */
    public int[] truthLabels() {
        return truthLabels.clone();
    }

    /** Pixel count of each of {@link #truthLabels()}; a fresh copy. */
    public long[] truthSizes() {
        return truthSizes.clone();
    }

    /** Distinct prediction labels counted, ascending; a fresh copy. */
    public int[] predLabels() {
        return predLabels.clone();
    }

    /** Pixel count of each of {@link #predLabels()}; a fresh copy. */
    public long[] predSizes() {
        return predSizes.clone();
    }
}
