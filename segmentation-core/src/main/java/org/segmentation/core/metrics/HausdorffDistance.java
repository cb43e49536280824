package org.segmentation.core.metrics;

import java.util.Arrays;
import org.segmentation.core.image.Mask;
import org.segmentation.core.ops.DistanceTransformOps;

/**
 * Hausdorff distance between the <em>on</em> pixels of two masks of the same shape, Euclidean, in pixels.
 *
 * <p>The directed distance from set {@code A} to set {@code B} of each pixel {@code a} is
 * {@code d(a, B) = min over b of |a - b|}. Instead of comparing every pair ({@code O(|A| |B|)}), both are read off
 * an exact Euclidean distance transform of the other mask ({@link DistanceTransformOps}, Felzenszwalb and
 * Huttenlocher), so each call is {@code O(width*height)} plus a sort for percentiles. Squared distances are exact
 * integers; the only rounding is the final square root.
 *
 * <p>Empty sets follow {@code skimage.metrics.hausdorff_distance} 0.19: 0 when both masks are empty,
 * {@code +Infinity} when exactly one is.
 */
public final class HausdorffDistance {
    private HausdorffDistance() {
    }

    /**
     * {@code max( max over a of d(a, B), max over b of d(b, A) )}, which is
     * {@code skimage.metrics.hausdorff_distance(a, b)}.
     *
     * @throws IllegalArgumentException if the shapes differ
     */
    public static double distance(Mask a, Mask b) {
        a.checkSameShape(b, "second mask");
        int na = a.countOn();
        int nb = b.countOn();
        if (na == 0 || nb == 0) {
            return na == nb ? 0.0 : Double.POSITIVE_INFINITY;
        }
        double max = Math.max(maxOver(a, DistanceTransformOps.squaredDistance(b, true)),
                maxOver(b, DistanceTransformOps.squaredDistance(a, true)));
        return Math.sqrt(max);
    }

    /** The 95th percentile Hausdorff distance, {@code percentile(a, b, 95)}. */
    public static double hd95(Mask a, Mask b) {
        return percentile(a, b, 95.0);
    }

    /**
     * Percentile Hausdorff distance. The directed distances of <em>both</em> directions, {@code d(a, B)} for every
     * on pixel {@code a} and {@code d(b, A)} for every on pixel {@code b}, are pooled into one list of
     * {@code |A| + |B|} values, and its {@code q}-th percentile is taken with linear interpolation between the
     * two nearest ranks, as {@code numpy.percentile} does by default: sorted values {@code v[0..n)}, position
     * {@code r = q/100 * (n-1)}, result {@code v[floor r] + (r - floor r) (v[floor r + 1] - v[floor r])}. Pooling
     * follows MedPy's {@code hd95}, but over all on pixels rather than surface pixels; pass boundary masks (see
     * {@link Boundaries}) to get the surface variant. {@code q = 100} gives {@link #distance}. Empty sets as for
     * {@link #distance}.
     *
     * @param q percentile in {@code [0, 100]}
     * @throws IllegalArgumentException if the shapes differ or {@code q} is outside {@code [0, 100]} or NaN
     */
    public static double percentile(Mask a, Mask b, double q) {
        a.checkSameShape(b, "second mask");
        if (!(q >= 0 && q <= 100)) {
            throw new IllegalArgumentException("percentile must be in [0, 100], got " + q);
        }
        int na = a.countOn();
        int nb = b.countOn();
        if (na == 0 || nb == 0) {
            return na == nb ? 0.0 : Double.POSITIVE_INFINITY;
        }
        double[] pooled = new double[na + nb];
        int n = collect(a, DistanceTransformOps.squaredDistance(b, true), pooled, 0);
        collect(b, DistanceTransformOps.squaredDistance(a, true), pooled, n);
        // Squared distances sort in the same order as distances; interpolate on the distances themselves.
        Arrays.sort(pooled);
        double r = q / 100.0 * (pooled.length - 1);
        int lo = (int) Math.floor(r);
        int hi = Math.min(lo + 1, pooled.length - 1);
        double vlo = Math.sqrt(pooled[lo]);
        double vhi = Math.sqrt(pooled[hi]);
        return vlo + (r - lo) * (vhi - vlo);
    }

    /** Largest squared distance (from the row-major {@code width*height} grid) over the on pixels of {@code m}. */
    private static double maxOver(Mask m, double[] sq) {
        double max = 0;
        for (int y = 0; y < m.height; y++) {
            int i = m.startIndex + y * m.stride;
            int g = y * m.width;
            for (int x = 0; x < m.width; x++) {
                if (m.data[i + x] != 0) {
                    max = Math.max(max, sq[g + x]);
                }
            }
        }
        return max;
    }

    private static int collect(Mask m, double[] sq, double[] out, int n) {
        for (int y = 0; y < m.height; y++) {
            int i = m.startIndex + y * m.stride;
            int g = y * m.width;
            for (int x = 0; x < m.width; x++) {
                if (m.data[i + x] != 0) {
                    out[n++] = sq[g + x];
                }
            }
        }
        return n;
    }
}
