package org.segmentation.core.metrics;

import org.segmentation.core.image.LabelMap;
import org.segmentation.core.label.IgnoreLabel;

/**
 * Confusion matrix of a semantic segmentation over {@code N} classes {@code 0..N-1}, accumulated over any number
 * of images: {@code count(t, p)} is the number of pixels of true class {@code t} predicted as {@code p}.
 *
 * <p>For class {@code c}: {@code TP = count(c, c)}, {@code FP} = pixels predicted {@code c} of another true class,
 * {@code FN} = pixels of true class {@code c} predicted otherwise. Then
 * <pre>
 *   IoU(c)  = TP / (TP + FP + FN)            (Jaccard index)
 *   Dice(c) = 2 TP / (2 TP + FP + FN)        (F1 score of the class)
 *   pixel accuracy = sum_c TP(c) / counted pixels
 * </pre>
 * A class absent from both truth and prediction ({@code TP + FP + FN = 0}) has IoU and Dice NaN, and the means
 * ({@link #meanIoU}, {@link #meanDice}) average only the classes that are not NaN, as the PASCAL VOC, Cityscapes
 * and mmsegmentation evaluations do ({@code nanmean}); a mean over no class is NaN.
 *
 * <p>Ignore label: pixels whose <em>true</em> label equals it are skipped entirely, whatever was predicted there
 * (e.g. 255 in PASCAL VOC). It is never a class ({@link IgnoreLabel#checkFor}), so every class can be counted.
 *
 * <p>Counts are {@code long}; the class is not thread-safe. Memory is {@code N^2} longs.
 */
public final class ConfusionMatrix {
    private final int numClasses;
    private final IgnoreLabel ignoreLabel;
    private final boolean ignores;
    private final int ignored;
    /** Row-major {@code [truth][pred]}. */
    private final long[] counts;

    /**
     * An empty matrix that counts every pixel.
     *
     * @throws IllegalArgumentException unless {@code 1 <= numClasses <= 46340} (so that {@code N^2} fits an array)
     */
    public ConfusionMatrix(int numClasses) {
        this(numClasses, IgnoreLabel.NONE);
    }

    /**
     * An empty matrix that skips pixels whose true label is {@code ignoreLabel} ({@link IgnoreLabel#NONE} for
     * none).
     *
     * @throws IllegalArgumentException unless {@code 1 <= numClasses <= 46340}, or if the ignore label is a class
     */
    public ConfusionMatrix(int numClasses, IgnoreLabel ignoreLabel) {
        if (numClasses < 1 || numClasses > 46340) {
            throw new IllegalArgumentException("number of classes must be in 1..46340, got " + numClasses);
        }
        this.numClasses = numClasses;
        this.ignoreLabel = ignoreLabel.checkFor(numClasses);
        this.ignores = !ignoreLabel.isNone();
        this.ignored = ignoreLabel.valueOr(0);
        this.counts = new long[numClasses * numClasses];
    }

    /**
     * A matrix holding {@code counts}, row-major {@code [truth][pred]} as {@link #counts()} returns them: to
     * rebuild a matrix that was counted elsewhere (another process or machine) and shipped as its counts.
     *
     * @param counts copied
     * @throws IllegalArgumentException as the constructor, if {@code counts} has not {@code N^2} entries or one is
     *     negative
     */
    public static ConfusionMatrix fromCounts(int numClasses, IgnoreLabel ignoreLabel, long[] counts) {
        ConfusionMatrix m = new ConfusionMatrix(numClasses, ignoreLabel);
        if (counts.length != m.counts.length) {
            throw new IllegalArgumentException(numClasses + " classes need " + m.counts.length + " counts, got "
                    + counts.length);
        }
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] < 0) {
                throw new IllegalArgumentException("count [" + i / numClasses + "][" + i % numClasses + "] is "
                        + counts[i]);
            }
        }
        System.arraycopy(counts, 0, m.counts, 0, counts.length);
        return m;
    }

    /** A copy of the counts, row-major {@code [truth][pred]}: {@code counts()[t * N + p] == count(t, p)}. */
    public long[] counts() {
        return counts.clone();
    }

    /** Number of classes {@code N}. */
    public int numClasses() {
        return numClasses;
    }

    /** The ignore label, or {@link IgnoreLabel#NONE}. */
    public IgnoreLabel ignoreLabel() {
        return ignoreLabel;
    }

    /**
     * Adds one image pair. The matrix is only changed when the whole pair is valid.
     *
     * @param truth true classes: {@code 0..N-1} or the ignore label; not modified
     * @param pred predicted classes: {@code 0..N-1} wherever the truth is not ignored (values at ignored pixels
     *     are not read); not modified
     * @return this matrix
     * @throws IllegalArgumentException if the shapes differ, or naming the first invalid label and its pixel
     */
    public ConfusionMatrix add(LabelMap truth, LabelMap pred) {
        truth.checkSameShape(pred, "prediction");
        int w = truth.width;
        int h = truth.height;
        int n = numClasses;
        // Validate everything first so that a bad image leaves the matrix untouched.
        for (int y = 0; y < h; y++) {
            int it = truth.startIndex + y * truth.stride;
            int ip = pred.startIndex + y * pred.stride;
            for (int x = 0; x < w; x++) {
                int t = truth.data[it + x];
                if (ignores && t == ignored) {
                    continue;
                }
                int p = pred.data[ip + x];
                if (t < 0 || t >= n) {
                    throw new IllegalArgumentException("true label " + t + " at (" + x + ", " + y
                            + ") is not a class in 0.." + (n - 1) + ignoreLabel.orIgnoredText());
                }
                if (p < 0 || p >= n) {
                    throw new IllegalArgumentException("predicted label " + p + " at (" + x + ", " + y
                            + ") is not a class in 0.." + (n - 1));
                }
            }
        }
        for (int y = 0; y < h; y++) {
            int it = truth.startIndex + y * truth.stride;
            int ip = pred.startIndex + y * pred.stride;
            for (int x = 0; x < w; x++) {
                int t = truth.data[it + x];
                if (!ignores || t != ignored) {
                    counts[t * n + pred.data[ip + x]]++;
                }
            }
        }
        return this;
    }

    /**
     * Adds every count of {@code other} to this matrix, e.g. to combine per-thread matrices.
     *
     * @return this matrix
     * @throws IllegalArgumentException if the number of classes or the ignore label differ
     */
    public ConfusionMatrix add(ConfusionMatrix other) {
        if (other.numClasses != numClasses || !other.ignoreLabel.equals(ignoreLabel)) {
            throw new IllegalArgumentException("cannot add a matrix of " + other.numClasses + " classes, ignore "
                    + other.ignoreLabel + " to one of " + numClasses + " classes, ignore " + ignoreLabel);
        }
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        return this;
    }

    /** Sets every count to zero; returns this matrix. */
    public ConfusionMatrix reset() {
        java.util.Arrays.fill(counts, 0);
        return this;
    }

    /**
     * Pixels of true class {@code truth} predicted as {@code pred}.
     *
     * @throws IllegalArgumentException if either is not in {@code 0..N-1}
     */
    public long count(int truth, int pred) {
        checkClass(truth);
        checkClass(pred);
        return counts[truth * numClasses + pred];
    }

    /** Number of pixels counted so far. */
    public long total() {
        long s = 0;
        for (long c : counts) {
            s += c;
        }
        return s;
    }

    /** {@code TP / (TP + FP + FN)} of each class; NaN for a class absent from truth and prediction. */
    public double[] iou() {
        return perClass(1);
    }

    /** {@code 2 TP / (2 TP + FP + FN)} of each class (Dice coefficient = F1); NaN as for {@link #iou()}. */
    public double[] dice() {
        return perClass(2);
    }

    /** Mean of the non-NaN {@link #iou()} values; NaN if all are NaN. */
    public double meanIoU() {
        return nanMean(iou());
    }

    /** Mean of the non-NaN {@link #dice()} values; NaN if all are NaN. */
    public double meanDice() {
        return nanMean(dice());
    }

    /** Correctly classified pixels over counted pixels; NaN when nothing has been counted. */
    public double pixelAccuracy() {
        long correct = 0;
        for (int c = 0; c < numClasses; c++) {
            correct += counts[c * numClasses + c];
        }
        long total = total();
        return total == 0 ? Double.NaN : (double) correct / total;
    }

    /** {@code tpWeight TP / (tpWeight TP + FP + FN)} per class. */
    private double[] perClass(int tpWeight) {
        int n = numClasses;
        double[] out = new double[n];
        for (int c = 0; c < n; c++) {
            long tp = counts[c * n + c];
            long rowSum = 0;
            long colSum = 0;
            for (int k = 0; k < n; k++) {
                rowSum += counts[c * n + k];
                colSum += counts[k * n + c];
            }
            long fn = rowSum - tp;
            long fp = colSum - tp;
            long denom = tpWeight * tp + fp + fn;
            out[c] = denom == 0 ? Double.NaN : (double) (tpWeight * tp) / denom;
        }
        return out;
    }

    private static double nanMean(double[] v) {
        double sum = 0;
        int n = 0;
        for (double x : v) {
            if (!Double.isNaN(x)) {
                sum += x;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    private void checkClass(int c) {
        if (c < 0 || c >= numClasses) {
            throw new IllegalArgumentException("class " + c + " is not in 0.." + (numClasses - 1));
        }
    }
}
