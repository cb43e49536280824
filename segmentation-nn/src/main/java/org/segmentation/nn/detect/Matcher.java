package org.segmentation.nn.detect;

/**
 * Assigns each prediction (anchor or proposal) to the ground-truth box it overlaps most, torchvision's
 * {@code det_utils.Matcher}: from an (M ground truths × N predictions) quality matrix, prediction j gets the
 * index of its best ground truth if that quality is at least {@code high}, {@link #BELOW_LOW} if it is below
 * {@code low}, and {@link #BETWEEN} otherwise. With {@code allowLowQuality} (the RPN's setting), every prediction
 * that attains some ground truth's highest quality (ties included, even a highest quality of 0) gets its best
 * ground truth back whatever its quality, so that every ground truth has a match. A prediction's best ground
 * truth is the first one of highest quality.
 *
 * @param high quality at or above which a prediction is matched (RPN 0.7, box head 0.5)
 * @param low quality below which a prediction is background (RPN 0.3, box head 0.5), at most high
 * @param allowLowQuality whether to restore the best match of each ground truth's best predictions
 */
public record Matcher(double high, double low, boolean allowLowQuality) {
    /** Match value of a prediction below the low threshold: background. */
    public static final int BELOW_LOW = -1;
    /** Match value of a prediction between the thresholds: ignored. */
    public static final int BETWEEN = -2;

    public Matcher {
        if (!(low <= high) || Double.isNaN(low)) {
            throw new IllegalArgumentException("Matcher: expected low <= high, got low " + low + " high " + high);
        }
    }

    /**
     * @param quality row-major (m, n): the quality (IoU) of ground truth i and prediction j at {@code i·n + j}
     * @param m ground truths, at least 1
     * @param n predictions, at least 1
     * @return per prediction, a ground-truth index in [0, m), {@link #BELOW_LOW} or {@link #BETWEEN}
     */
    public int[] match(double[] quality, int m, int n) {
        if (m <= 0 || n <= 0) {
            throw new IllegalArgumentException("Matcher: needs at least one ground truth and one prediction, got "
                    + m + " and " + n);
        }
        if (quality == null || quality.length != (long) m * n) {
            throw new IllegalArgumentException("Matcher: expected a " + m + "x" + n + " quality matrix, got "
                    + (quality == null ? "null" : quality.length + " values"));
        }
        int[] best = new int[n];
        double[] bestVal = new double[n];
        for (int j = 0; j < n; j++) {
            int arg = 0;
            double v = quality[j];
            for (int i = 1; i < m; i++) {
                double q = quality[i * n + j];
                if (q > v) {
                    v = q;
                    arg = i;
                }
            }
            best[j] = arg;
            bestVal[j] = v;
        }
        int[] matches = new int[n];
        for (int j = 0; j < n; j++) {
            matches[j] = bestVal[j] < low ? BELOW_LOW : bestVal[j] < high ? BETWEEN : best[j];
        }
        if (allowLowQuality) {
            for (int i = 0; i < m; i++) {
                double top = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    top = Math.max(top, quality[i * n + j]);
                }
                for (int j = 0; j < n; j++) {
                    if (quality[i * n + j] == top) {
                        matches[j] = best[j];
                    }
                }
            }
        }
        return matches;
    }
}
