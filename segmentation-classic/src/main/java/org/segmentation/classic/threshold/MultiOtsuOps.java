package org.segmentation.classic.threshold;

import java.util.Objects;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;

/**
 * Multi-level Otsu thresholding: the {@code classes - 1} thresholds that maximise the between-class variance,
 * found exactly by dynamic programming over the histogram in {@code O(classes * bins^2)} instead of enumerating
 * every combination.
 *
 * <p>P.-S. Liao, T.-S. Chen and P.-C. Chung, "A Fast Algorithm for Multilevel Thresholding", Journal of
 * Information Science and Engineering 17, 2001 (the lookup table of class variances {@code M(i,j)^2 / W(i,j)}).
 *
 * <p>Matches {@code skimage.filters.threshold_multiotsu} (0.19): the histogram spans {@code [min, max]} of the
 * image with one bin per value, the table is filled with the same single-precision arithmetic (including two
 * quirks of that implementation: bin 0 weighs 1 in the first moment and a first class made of bin 0 alone scores
 * 0), and the winner is the lexicographically first threshold tuple whose score, summed in single precision in
 * scikit-image's order, is largest. (Exact arithmetic alone can disagree on near-ties: on the camera image
 * thresholds 102 and 103 differ by one part in 10^7.) Only the tuples within 10^-5 of the exact optimum, found
 * by the dynamic program, are scored that way. If the image has exactly
 * {@code classes} distinct values the thresholds are all of them but the largest; with fewer it is an error.
 *
 * <p>Labels: class {@code c} (1-based) holds the pixels with {@code t[c-2] < value <= t[c-1]}, so that a pixel
 * equal to a threshold falls in the lower class, consistent with the binary Otsu foreground {@code value > t}.
 * (scikit-image's {@code np.digitize} example puts it in the upper class.)
 */
public final class MultiOtsuOps {
    /** Fewest classes accepted. */
    public static final int MIN_CLASSES = 2;
    /** Most classes accepted. */
    public static final int MAX_CLASSES = 5;

    /** Most histogram bins accepted by {@link #thresholdIndices}: its table holds {@code bins^2} floats. */
    public static final int MAX_BINS = 4096;

    private MultiOtsuOps() {
    }

    /**
     * Thresholds and class labels of an 8-bit image.
     *
     * @param dst output labels, or null to allocate
     * @throws IllegalArgumentException if {@code classes} is not in 2..5 or the image has fewer distinct values
     */
    public static MultiOtsuResult segment(GrayU8 image, int classes, LabelMap dst) {
        int[] t = thresholds(image, classes);
        return new MultiOtsuResult(t, classify(image, t, dst));
    }

    /**
     * The {@code classes - 1} thresholds of an 8-bit image, increasing.
     *
     * @throws IllegalArgumentException if {@code classes} is not in 2..5 or the image has fewer distinct values
     */
    public static int[] thresholds(GrayU8 image, int classes) {
        Objects.requireNonNull(image, "image");
        checkClasses(classes);
        int[] hist = ImageHistogram.histogram(image, null);
        int min = 0;
        while (hist[min] == 0) {
            min++;
        }
        int max = 255;
        while (hist[max] == 0) {
            max--;
        }
        long total = (long) image.width * image.height;
        float[] prob = new float[max - min + 1];
        for (int i = 0; i < prob.length; i++) {
            prob[i] = (float) (hist[min + i] / (double) total);
        }
        int[] idx = thresholdIndices(prob, classes);
        for (int i = 0; i < idx.length; i++) {
            idx[i] += min;
        }
        return idx;
    }

    /**
     * The {@code classes - 1} thresholds of a float image, increasing: bin centres of {@code bins} equal bins over
     * {@code [min, max]}, as {@code threshold_multiotsu(image, classes, nbins=bins)}.
     *
     * @throws IllegalArgumentException if {@code classes} is not in 2..5, {@code bins} is not in
     *     {@code classes..MAX_BINS}, a value is NaN or infinite, or fewer than {@code classes} bins are non-empty
     */
    public static double[] thresholds(GrayF32 image, int classes, int bins) {
        Objects.requireNonNull(image, "image");
        checkClasses(classes);
        if (bins < classes || bins > MAX_BINS) {
            throw new IllegalArgumentException("bins must be in " + classes + ".." + MAX_BINS + ", got " + bins);
        }
        float[] r = ImageHistogram.range(image, null);
        double min = r[0];
        double max = r[1];
        if (min == max) {
            throw new IllegalArgumentException("the image has only 1 distinct value: it cannot be split into "
                    + classes + " classes");
        }
        long[] counts = ImageHistogram.binned(image, null, bins, min, max);
        long total = (long) image.width * image.height;
        float[] prob = new float[bins];
        for (int i = 0; i < bins; i++) {
            prob[i] = (float) (counts[i] / (double) total);
        }
        int[] idx = thresholdIndices(prob, classes);
        double[] t = new double[idx.length];
        for (int i = 0; i < idx.length; i++) {
            t[i] = min + (idx[i] + 0.5) * (max - min) / bins;
        }
        return t;
    }

    /**
     * Class labels of a float image, {@code 1..thresholds.length+1}: one plus the number of thresholds a pixel
     * exceeds (NaN exceeds none).
     *
     * @param thresholds increasing thresholds; not modified
     * @param dst output labels, or null to allocate
     */
    public static LabelMap classify(GrayF32 image, double[] thresholds, LabelMap dst) {
        Objects.requireNonNull(thresholds, "thresholds");
        for (int i = 1; i < thresholds.length; i++) {
            if (!(thresholds[i] >= thresholds[i - 1])) {
                throw new IllegalArgumentException("thresholds must increase: " + thresholds[i - 1] + " then "
                        + thresholds[i]);
            }
        }
        dst = ImageBase.output(dst, image.width, image.height, LabelMap::new);
        for (int y = 0; y < image.height; y++) {
            int i = image.startIndex + y * image.stride;
            int o = dst.startIndex + y * dst.stride;
            for (int x = 0; x < image.width; x++) {
                float v = image.data[i + x];
                int c = 1;
                for (double t : thresholds) {
                    c += v > t ? 1 : 0;
                }
                dst.data[o + x] = c;
            }
        }
        return dst;
    }

    /**
     * Threshold bin indices for a normalised histogram: the last bin of each class but the last class.
     *
     * @param prob bin probabilities (any non-negative weights); not modified
     * @throws IllegalArgumentException if {@code classes} is not in 2..5 or fewer than {@code classes} bins are
     *     non-empty
     */
    public static int[] thresholdIndices(float[] prob, int classes) {
        checkClasses(classes);
        int n = prob.length;
        int nonEmpty = 0;
        for (int i = 0; i < n; i++) {
            if (!(prob[i] >= 0) || Float.isInfinite(prob[i])) {
                throw new IllegalArgumentException("bin " + i + " has weight " + prob[i]);
            }
            nonEmpty += prob[i] > 0 ? 1 : 0;
        }
        if (nonEmpty < classes) {
            throw new IllegalArgumentException("the image has only " + nonEmpty
                    + " distinct values: it cannot be split into " + classes + " classes");
        }
        if (n > MAX_BINS) {
            throw new IllegalArgumentException("histogram has " + n + " bins; at most " + MAX_BINS
                    + " are supported (the table has bins^2 entries)");
        }
        int k = classes - 1;
        int[] result = new int[k];
        if (nonEmpty == classes) {
            for (int i = 0, r = 0; i < n && r < k; i++) {
                if (prob[i] > 0) {
                    result[r++] = i;
                }
            }
            return result;
        }
        float[] zeroth = new float[n];
        float[] first = new float[n];
        zeroth[0] = prob[0];
        first[0] = prob[0]; // scikit-image's quirk: bin 0 counts with weight 1, not 0
        for (int i = 1; i < n; i++) {
            zeroth[i] = zeroth[i - 1] + prob[i];
            first[i] = first[i - 1] + (float) i * prob[i];
        }
        // var[i*n + j]: score of a class made of bins i..j.
        float[] var = new float[n * n];
        for (int j = 1; j < n; j++) {
            if (zeroth[j] > 0) {
                var[j] = first[j] * first[j] / zeroth[j];
            }
        }
        for (int i = 1; i < n; i++) {
            for (int j = i; j < n; j++) {
                float z = zeroth[j] - zeroth[i - 1];
                if (z > 0) {
                    float f = first[j] - first[i - 1];
                    var[i * n + j] = f * f / z;
                }
            }
        }
        // best[t][i]: best score of classes t..k (0-based) when class t starts at bin i. Class t ends at some
        // c <= n - 1 - (k - t) so that every later class keeps at least one bin.
        double[][] best = new double[k + 1][n];
        for (int i = 0; i < n; i++) {
            best[k][i] = var[i * n + n - 1];
        }
        for (int t = k - 1; t >= 0; t--) {
            int lastEnd = n - 1 - (k - t);
            for (int i = t; i <= lastEnd; i++) {
                double b = Double.NEGATIVE_INFINITY;
                for (int c = i; c <= lastEnd; c++) {
                    double s = var[i * n + c] + best[t + 1][c + 1];
                    if (s > b) {
                        b = s;
                    }
                }
                best[t][i] = b;
            }
        }
        // The optimum in exact arithmetic is best[0][0]. scikit-image sums the table entries in single precision
        // and keeps the first tuple (in lexicographic order) reaching the largest such sum, so near-ties within
        // float rounding can go either way. Enumerate, in lexicographic order, only the tuples whose exact score
        // is within a margin far wider than float rounding (k+1 roundings of ~6e-8 relative each) of the
        // optimum, and score those as scikit-image does.
        double optimum = best[0][0];
        double floor = optimum - 1e-5 * Math.abs(optimum);
        float[] bestFloat = {Float.NEGATIVE_INFINITY};
        enumerate(var, best, n, k, 0, 0, 0.0, floor, new int[k], result, bestFloat);
        return result;
    }

    /** Depth-first, lexicographic walk over the near-optimal threshold tuples; see {@link #thresholdIndices}. */
    private static void enumerate(float[] var, double[][] best, int n, int k, int t, int start, double prefix,
            double floor, int[] cur, int[] result, float[] bestFloat) {
        if (t == k) {
            // scikit-image's order of summation: first class, last class, then the middle ones left to right.
            float s = var[cur[0]] + var[(cur[k - 1] + 1) * n + n - 1];
            for (int i = 0; i + 1 < k; i++) {
                s += var[(cur[i] + 1) * n + cur[i + 1]];
            }
            if (s > bestFloat[0]) {
                bestFloat[0] = s;
                System.arraycopy(cur, 0, result, 0, k);
            }
            return;
        }
        int lastEnd = n - 1 - (k - t);
        for (int c = start; c <= lastEnd; c++) {
            double p = prefix + var[start * n + c];
            if (p + best[t + 1][c + 1] < floor) {
                continue;
            }
            cur[t] = c;
            enumerate(var, best, n, k, t + 1, c + 1, p, floor, cur, result, bestFloat);
        }
    }

    /**
     * Class labels {@code 1..thresholds.length+1}: a pixel's label is one plus the number of thresholds it exceeds.
     *
     * @param thresholds increasing thresholds; not modified
     * @param dst output labels, or null to allocate
     */
    public static LabelMap classify(GrayU8 image, int[] thresholds, LabelMap dst) {
        Objects.requireNonNull(thresholds, "thresholds");
        for (int i = 1; i < thresholds.length; i++) {
            if (thresholds[i] < thresholds[i - 1]) {
                throw new IllegalArgumentException("thresholds must increase: " + thresholds[i - 1] + " then "
                        + thresholds[i]);
            }
        }
        dst = ImageBase.output(dst, image.width, image.height, LabelMap::new);
        int[] lut = new int[256];
        for (int v = 0; v < 256; v++) {
            int c = 1;
            for (int t : thresholds) {
                c += v > t ? 1 : 0;
            }
            lut[v] = c;
        }
        for (int y = 0; y < image.height; y++) {
            int i = image.startIndex + y * image.stride;
            int o = dst.startIndex + y * dst.stride;
            for (int x = 0; x < image.width; x++) {
                dst.data[o + x] = lut[image.data[i + x] & 0xFF];
            }
        }
        return dst;
    }

    private static void checkClasses(int classes) {
        if (classes < MIN_CLASSES || classes > MAX_CLASSES) {
            throw new IllegalArgumentException("classes must be in " + MIN_CLASSES + ".." + MAX_CLASSES + ", got "
                    + classes);
        }
    }
}
