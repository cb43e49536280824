package org.segmentation.core.ops;

import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.Mask;

/**
 * Exact Euclidean distance transforms in linear time.
 *
 * <p>Algorithm: P. F. Felzenszwalb and D. P. Huttenlocher, "Distance Transforms of Sampled Functions", Theory of
 * Computing 8 (2012). The squared distance is the lower envelope of parabolas, computed along every column and
 * then along every row; both passes are O(n). Squared distances are exact integers in double precision.
 */
public final class DistanceTransformOps {
    /** Stands for "no feature in this column yet"; finite so that parabola intersections never give NaN. */
    private static final double FAR = 1e20;

    private DistanceTransformOps() {
    }

    /**
     * Distance from each pixel to the nearest pixel that is <em>off</em> in {@code mask}: 0 on background, the
     * Euclidean distance in pixels on the foreground. This is {@code scipy.ndimage.distance_transform_edt(mask)}.
     * Where the mask has no off pixel at all, every value is {@code +Infinity}.
     *
     * @param mask foreground; not modified
     * @param dst output, or null to allocate
     * @return the distance image
     */
    public static GrayF32 edt(Mask mask, GrayF32 dst) {
        return distanceTo(mask, false, dst);
    }

    /**
     * Distance from each pixel to the nearest pixel that is <em>on</em> in {@code targets}; 0 on the targets,
     * {@code +Infinity} everywhere when there is no target.
     *
     * @param targets the feature pixels; not modified
     * @param dst output, or null to allocate
     * @return the distance image
     */
    public static GrayF32 distanceToOn(Mask targets, GrayF32 dst) {
        return distanceTo(targets, true, dst);
    }

    private static GrayF32 distanceTo(Mask mask, boolean featureIsOn, GrayF32 dst) {
        int w = mask.width;
        int h = mask.height;
        dst = ImageBase.output(dst, w, h, GrayF32::new);
        double[] sq = squaredDistance(mask, featureIsOn);
        for (int y = 0; y < h; y++) {
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < w; x++) {
                double v = sq[y * w + x];
                dst.data[d + x] = v >= FAR ? Float.POSITIVE_INFINITY : (float) Math.sqrt(v);
            }
        }
        return dst;
    }

    /**
     * Squared distance from each pixel to the nearest feature pixel, row-major {@code width*height}; values of
     * {@code 1e20} or more mean that there is no feature.
     *
     * @param mask the image whose pixels equal to {@code featureIsOn} are the features
     */
    public static double[] squaredDistance(Mask mask, boolean featureIsOn) {
        int w = mask.width;
        int h = mask.height;
        double[] grid = new double[w * h];
        int n = Math.max(w, h);
        double[] f = new double[n];
        double[] out = new double[n];
        int[] v = new int[n];
        double[] z = new double[n + 1];
        // Columns.
        for (int x = 0; x < w; x++) {
            for (int y = 0; y < h; y++) {
                boolean on = mask.data[mask.startIndex + y * mask.stride + x] != 0;
                f[y] = on == featureIsOn ? 0 : FAR;
            }
            lowerEnvelope(f, h, out, v, z);
            for (int y = 0; y < h; y++) {
                grid[y * w + x] = out[y];
            }
        }
        // Rows.
        for (int y = 0; y < h; y++) {
            System.arraycopy(grid, y * w, f, 0, w);
            lowerEnvelope(f, w, out, v, z);
            System.arraycopy(out, 0, grid, y * w, w);
        }
        return grid;
    }

    /** 1-D squared distance transform of {@code f[0..n)} into {@code d}; {@code v} and {@code z} are work arrays. */
    private static void lowerEnvelope(double[] f, int n, double[] d, int[] v, double[] z) {
        int k = 0;
        v[0] = 0;
        z[0] = Double.NEGATIVE_INFINITY;
        z[1] = Double.POSITIVE_INFINITY;
        for (int q = 1; q < n; q++) {
            // f is finite, so s is finite and never <= z[0] = -inf: k stays >= 0.
            double s = intersect(f, q, v[k]);
            while (s <= z[k]) {
                k--;
                s = intersect(f, q, v[k]);
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = Double.POSITIVE_INFINITY;
        }
        k = 0;
        for (int q = 0; q < n; q++) {
            while (z[k + 1] < q) {
                k++;
            }
            double dq = q - v[k];
            d[q] = dq * dq + f[v[k]];
        }
    }

    /** Abscissa where the parabolas rooted at {@code q} and {@code p} cross. */
    private static double intersect(double[] f, int q, int p) {
        return ((f[q] + (double) q * q) - (f[p] + (double) p * p)) / (2.0 * (q - p));
    }
}
