package org.segmentation.core.metrics;

import java.util.Arrays;
import org.segmentation.core.image.LabelMap;

/**
 * Scores that compare two partitions of the pixels (segmentations, not class maps): the labels themselves carry
 * no meaning, only which pixels share a label. Both match scikit-image 0.19 ({@code skimage.metrics}) including
 * its defaults, and are computed from exact {@link ContingencyTable} counts.
 *
 * <p>Notation: {@code n(i,j)} pixels have truth label {@code i} and prediction label {@code j}; {@code t(i)} and
 * {@code s(j)} are the row and column sums; {@code N} the number of counted pixels.
 */
public final class PartitionMetrics {
    private PartitionMetrics() {
    }

    /**
     * Adapted Rand error and its two pair-counting ratios, as returned by {@code skimage.metrics.adapted_rand_error}.
     *
     * @param error {@code 1 - 2 p r / (p + r)}
     * @param precision {@code (sum n(i,j)^2 - N) / (sum t(i)^2 - N)}: same-label pairs in both images over
     *     same-label pairs in the <em>truth</em>
     * @param recall {@code (sum n(i,j)^2 - N) / (sum s(j)^2 - N)}: over same-label pairs in the <em>prediction</em>
     */
    public record AdaptedRand(double error, double precision, double recall) {
    }

    /**
     * The two conditional entropies (bits) whose sum is the variation of information, in the order of
     * {@code skimage.metrics.variation_of_information(truth, pred)}.
     *
     * @param split {@code H(pred | truth)}: over-segmentation, false splits
     * @param merge {@code H(truth | pred)}: under-segmentation, false merges
     */
    public record VariationOfInformation(double split, double merge) {
        /** {@code VI = split + merge}. */
        public double total() {
            return split + merge;
        }
    }

    /**
     * Adapted Rand error with scikit-image's default: truth label 0 is ignored (unlabelled).
     *
     * @see #adaptedRandError(ContingencyTable)
     */
    public static AdaptedRand adaptedRandError(LabelMap truth, LabelMap pred) {
        return adaptedRandError(ContingencyTable.of(truth, pred, 0));
    }

    /**
     * Adapted Rand error ignoring pixels whose truth label is one of {@code ignoreTruthLabels} (pass an empty
     * array to count every pixel).
     *
     * @throws IllegalArgumentException if the shapes differ or a label is negative
     */
    public static AdaptedRand adaptedRandError(LabelMap truth, LabelMap pred, int... ignoreTruthLabels) {
        return adaptedRandError(ContingencyTable.of(truth, pred, ignoreTruthLabels));
    }

    /**
     * Adapted Rand error of the SNEMI3D challenge (Arganda-Carreras et al., "Crowdsourcing the creation of image
     * segmentation algorithms for connectomics", Front. Neuroanat. 9:142, 2015), computed exactly as
     * {@code skimage.metrics.adapted_rand_error} 0.19 does:
     * <pre>
     *   P = sum n(i,j)^2 - N,   precision = P / (sum t(i)^2 - N),   recall = P / (sum s(j)^2 - N)
     *   error = 1 - 2 precision recall / (precision + recall)
     * </pre>
     * Note that scikit-image's "precision" divides by the <em>truth</em> pairs and its "recall" by the
     * <em>prediction</em> pairs, the reverse of its own docstring and of the SNEMI3D paper (scikit-image issue
     * #6485); we return the same numbers under the same names so results can be compared. The error is symmetric
     * and unaffected. Sums are exact {@code long}s; a zero denominator gives NaN or infinity by IEEE division, as
     * in numpy (for example when every truth segment is a single pixel).
     */
    public static AdaptedRand adaptedRandError(ContingencyTable table) {
        long n = table.total;
        long joint = sumOfSquares(table.count) - n;
        long truthPairs = sumOfSquares(table.truthSizes) - n;
        long predPairs = sumOfSquares(table.predSizes) - n;
        double precision = (double) joint / truthPairs;
        double recall = (double) joint / predPairs;
        double f = 2.0 * precision * recall / (precision + recall);
        return new AdaptedRand(1.0 - f, precision, recall);
    }

    private static long sumOfSquares(long[] v) {
        long s = 0;
        for (long x : v) {
            s += x * x;
        }
        return s;
    }

    /**
     * Variation of information with scikit-image's default: no label ignored.
     *
     * @see #variationOfInformation(ContingencyTable)
     */
    public static VariationOfInformation variationOfInformation(LabelMap truth, LabelMap pred) {
        return variationOfInformation(ContingencyTable.of(truth, pred));
    }

    /**
     * Variation of information ignoring pixels whose truth label is one of {@code ignoreTruthLabels}.
     *
     * @throws IllegalArgumentException if the shapes differ or a label is negative
     */
    public static VariationOfInformation variationOfInformation(LabelMap truth, LabelMap pred,
            int... ignoreTruthLabels) {
        return variationOfInformation(ContingencyTable.of(truth, pred, ignoreTruthLabels));
    }

    /**
     * Conditional entropies in bits (M. Meila, "Comparing clusterings - an information based distance",
     * J. Multivariate Analysis 98, 2007), with {@code p(i,j) = n(i,j)/N}:
     * <pre>
     *   split = H(pred | truth) = - sum p(i,j) log2(n(i,j) / t(i))
     *   merge = H(truth | pred) = - sum p(i,j) log2(n(i,j) / s(j))
     * </pre>
     * This is {@code skimage.metrics.variation_of_information} 0.19. Both are NaN when no pixel is counted.
     */
    public static VariationOfInformation variationOfInformation(ContingencyTable table) {
        if (table.total == 0) {
            return new VariationOfInformation(Double.NaN, Double.NaN);
        }
        double n = table.total;
        double split = 0;
        double merge = 0;
        int row = -1;
        for (int e = 0; e < table.size(); e++) {
            if (e == 0 || table.truth[e] != table.truth[e - 1]) {
                row++;
            }
            double c = table.count[e];
            long rowSize = table.truthSizes[row];
            long colSize = table.predSizes[Arrays.binarySearch(table.predLabels, table.pred[e])];
            split -= c * log2(c / rowSize);
            merge -= c * log2(c / colSize);
        }
        return new VariationOfInformation(split / n, merge / n);
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2.0);
    }
}
