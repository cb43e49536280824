package org.segmentation.core.metrics;

import java.util.Arrays;
import org.segmentation.core.image.LabelMap;

/**
 * Instance segmentation scores: true and predicted instances are matched one-to-one by intersection over union
 * (IoU), then counted as in the 2018 Data Science Bowl, StarDist and Cellpose evaluations.
 *
 * <p>Instances are the labels {@code > 0} of each image; label 0 is background. A true instance {@code t} and a
 * predicted instance {@code p} may be matched when {@code IoU(t, p) = |t & p| / |t | p| >= threshold}. The
 * matching chosen is a maximum one: first the largest number of matched pairs, then, among those, the largest
 * sum of IoU (StarDist's criterion). For {@code threshold > 0.5} every instance has at most one candidate (an
 * IoU above one half means the prediction holds more than half of {@code t}'s pixels, which two disjoint
 * predictions cannot both do), so the matching is simply every candidate pair; otherwise each connected group of
 * candidates that is not a single pair is solved exactly with the Hungarian algorithm (Kuhn-Munkres, {@code O(k^3)} for a group of {@code k} instances).
 *
 * <p>With {@code TP} matched pairs, {@code FP} unmatched predictions and {@code FN} unmatched true instances:
 * <pre>
 *   precision = TP / (TP + FP)      recall = TP / (TP + FN)      F1 = 2 TP / (2 TP + FP + FN)
 *   AP        = TP / (TP + FP + FN)
 * </pre>
 * Predictions carry no confidence scores, so there is no ranking to integrate a precision-recall curve over;
 * "average precision" at a threshold is therefore the DSB 2018 / StarDist / Cellpose quantity above (a Jaccard
 * index of the instance sets), not the COCO area under the curve. {@link #meanAveragePrecision()} averages it over
 * the thresholds 0.5, 0.55, ..., 0.95. Empty cases: precision is 1 when there is no prediction, recall is 1 when
 * there is no true instance, F1 and AP are 1 when both are empty (a perfect answer to an empty image);
 * the mean matched IoU is NaN when nothing is matched.
 */
public final class InstanceMetrics {
    /** Thresholds of {@link #meanAveragePrecision()}: 0.5, 0.55, ..., 0.95. */
    private static final double[] COCO_THRESHOLDS = new double[10];

    static {
        for (int k = 0; k < 10; k++) {
            COCO_THRESHOLDS[k] = (10 + k) / 20.0;
        }
    }

    private final int numTruth;
    private final int numPred;
    /** Overlapping pairs: instance indices {@code 0..numTruth)}, {@code 0..numPred)} and their IoU. */
    private final int[] pairTruth;
    private final int[] pairPred;
    private final double[] pairIoU;

    /** Scores at one IoU threshold. */
    public record Result(double threshold, int tp, int fp, int fn, double precision, double recall, double f1,
            double ap, double meanMatchedIoU) {
    }

    private InstanceMetrics(ContingencyTable table) {
        int[] tl = table.truthLabels;
        int[] pl = table.predLabels;
        // Label 0, if present, is first in the sorted label lists.
        int t0 = tl.length > 0 && tl[0] == 0 ? 1 : 0;
        int p0 = pl.length > 0 && pl[0] == 0 ? 1 : 0;
        numTruth = tl.length - t0;
        numPred = pl.length - p0;
        int pairs = 0;
        for (int e = 0; e < table.size(); e++) {
            pairs += table.truth[e] > 0 && table.pred[e] > 0 ? 1 : 0;
        }
        pairTruth = new int[pairs];
        pairPred = new int[pairs];
        pairIoU = new double[pairs];
        int row = -1;
        for (int e = 0, k = 0; e < table.size(); e++) {
            if (e == 0 || table.truth[e] != table.truth[e - 1]) {
                row++;
            }
            if (table.truth[e] == 0 || table.pred[e] == 0) {
                continue;
            }
            int col = Arrays.binarySearch(pl, table.pred[e]);
            long inter = table.count[e];
            long union = table.truthSizes[row] + table.predSizes[col] - inter;
            pairTruth[k] = row - t0;
            pairPred[k] = col - p0;
            pairIoU[k] = (double) inter / union;
            k++;
        }
    }

    /**
     * Measures the overlaps of every true instance with every predicted instance, once, for any number of
     * thresholds.
     *
     * @throws IllegalArgumentException if the shapes differ or a label is negative
     */
    public static InstanceMetrics of(LabelMap truth, LabelMap pred) {
        return new InstanceMetrics(ContingencyTable.of(truth, pred));
    }

    /** Number of true instances (distinct labels {@code > 0}). */
    public int numTruth() {
        return numTruth;
    }

    /** Number of predicted instances. */
    public int numPred() {
        return numPred;
    }

    /** Scores at the usual threshold 0.5. */
    public Result match() {
        return match(0.5);
    }

    /**
     * Scores at an IoU threshold.
     *
     * @param threshold in {@code (0, 1]}; pairs with {@code IoU >= threshold} may match
     * @throws IllegalArgumentException if the threshold is outside {@code (0, 1]} or NaN
     */
    public Result match(double threshold) {
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("IoU threshold must be in (0, 1], got " + threshold);
        }
        int[] cand = new int[pairIoU.length];
        int nc = 0;
        for (int k = 0; k < pairIoU.length; k++) {
            if (pairIoU[k] >= threshold) {
                cand[nc++] = k;
            }
        }
        boolean[] matched = threshold > 0.5 ? allCandidates(nc) : maximumMatching(cand, nc);
        int tp = 0;
        double sumIoU = 0;
        for (int c = 0; c < nc; c++) {
            if (matched[c]) {
                tp++;
                sumIoU += pairIoU[cand[c]];
            }
        }
        int fp = numPred - tp;
        int fn = numTruth - tp;
        double precision = numPred == 0 ? 1.0 : (double) tp / numPred;
        double recall = numTruth == 0 ? 1.0 : (double) tp / numTruth;
        boolean empty = numPred == 0 && numTruth == 0;
        double f1 = empty ? 1.0 : 2.0 * tp / (2.0 * tp + fp + fn);
        double ap = empty ? 1.0 : (double) tp / (tp + fp + fn);
        return new Result(threshold, tp, fp, fn, precision, recall, f1, ap, tp == 0 ? Double.NaN : sumIoU / tp);
    }

    /** Mean of {@link Result#ap()} over the thresholds 0.5, 0.55, ..., 0.95. */
    public double meanAveragePrecision() {
        double sum = 0;
        for (double t : COCO_THRESHOLDS) {
            sum += match(t).ap();
        }
        return sum / COCO_THRESHOLDS.length;
    }

    private static boolean[] allCandidates(int nc) {
        boolean[] all = new boolean[nc];
        Arrays.fill(all, true);
        return all;
    }

    /**
     * Maximum matching (most pairs, then largest IoU sum) of the candidate pairs {@code pair[cand[0..nc)]}: one
     * Hungarian problem per connected component of the bipartite candidate graph.
     */
    private boolean[] maximumMatching(int[] cand, int nc) {
        boolean[] matched = new boolean[nc];
        // Union-find over nodes: true instances 0..numTruth), predictions numTruth + (0..numPred).
        int[] parent = new int[numTruth + numPred];
        for (int i = 0; i < parent.length; i++) {
            parent[i] = i;
        }
        for (int c = 0; c < nc; c++) {
            int a = find(parent, pairTruth[cand[c]]);
            int b = find(parent, numTruth + pairPred[cand[c]]);
            parent[a] = b;
        }
        // Group candidates by component.
        long[] byRoot = new long[nc];
        for (int c = 0; c < nc; c++) {
            byRoot[c] = (long) find(parent, pairTruth[cand[c]]) << 32 | c;
        }
        Arrays.sort(byRoot);
        int[] local = new int[numTruth + numPred];
        Arrays.fill(local, -1);
        for (int start = 0, end; start < nc; start = end) {
            long root = byRoot[start] >>> 32;
            end = start + 1;
            while (end < nc && byRoot[end] >>> 32 == root) {
                end++;
            }
            if (end - start == 1) {
                matched[(int) byRoot[start]] = true;
                continue;
            }
            // Local indices of the component's instances.
            int rows = 0;
            int cols = 0;
            for (int g = start; g < end; g++) {
                int k = cand[(int) byRoot[g]];
                if (local[pairTruth[k]] < 0) {
                    local[pairTruth[k]] = rows++;
                }
                if (local[numTruth + pairPred[k]] < 0) {
                    local[numTruth + pairPred[k]] = cols++;
                }
            }
            // Weight K + IoU with K > (largest possible IoU sum) makes one more pair always worth more than any IoU.
            double big = Math.min(rows, cols) + 1.0;
            boolean transpose = rows > cols;
            int n = transpose ? cols : rows;
            int m = transpose ? rows : cols;
            double[][] cost = new double[n][m];
            for (int g = start; g < end; g++) {
                int k = cand[(int) byRoot[g]];
                int r = local[pairTruth[k]];
                int q = local[numTruth + pairPred[k]];
                cost[transpose ? q : r][transpose ? r : q] = -(big + pairIoU[k]);
            }
            int[] assign = hungarian(cost, n, m);
            for (int g = start; g < end; g++) {
                int c = (int) byRoot[g];
                int k = cand[c];
                int r = local[pairTruth[k]];
                int q = local[numTruth + pairPred[k]];
                matched[c] = transpose ? assign[q] == r : assign[r] == q;
            }
            for (int g = start; g < end; g++) {
                int k = cand[(int) byRoot[g]];
                local[pairTruth[k]] = -1;
                local[numTruth + pairPred[k]] = -1;
            }
        }
        return matched;
    }

    private static int find(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    /**
     * Minimum-cost assignment of each of {@code n} rows to a distinct one of {@code m >= n} columns (Kuhn-Munkres
     * with potentials, {@code O(n^2 m)}); returns the column of each row.
     */
    static int[] hungarian(double[][] cost, int n, int m) {
        double[] u = new double[n + 1];
        double[] v = new double[m + 1];
        int[] p = new int[m + 1]; // row (1-based) assigned to column j, 0 if none; column 0 is a sentinel
        int[] way = new int[m + 1];
        double[] minv = new double[m + 1];
        boolean[] used = new boolean[m + 1];
        for (int i = 1; i <= n; i++) {
            p[0] = i;
            int j0 = 0;
            Arrays.fill(minv, Double.POSITIVE_INFINITY);
            Arrays.fill(used, false);
            do {
                used[j0] = true;
                int i0 = p[j0];
                double delta = Double.POSITIVE_INFINITY;
                int j1 = 0;
                for (int j = 1; j <= m; j++) {
                    if (!used[j]) {
                        double cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
                        if (cur < minv[j]) {
                            minv[j] = cur;
                            way[j] = j0;
                        }
                        if (minv[j] < delta) {
                            delta = minv[j];
                            j1 = j;
                        }
                    }
                }
                for (int j = 0; j <= m; j++) {
                    if (used[j]) {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    } else {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            } while (p[j0] != 0);
            do {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        int[] rowToCol = new int[n];
        for (int j = 1; j <= m; j++) {
            if (p[j] != 0) {
                rowToCol[p[j] - 1] = j - 1;
            }
        }
        return rowToCol;
    }
}
