package org.segmentation.core.metrics;

import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.ops.DistanceTransformOps;

/**
 * Boundary F1 score (the "BF score" of G. Csurka, D. Larlus, F. Perronnin, "What is a good evaluation measure for
 * semantic segmentation?", BMVC 2013; also the contour accuracy F of the DAVIS benchmark): how well the predicted
 * region boundaries line up with the true ones, up to a distance tolerance.
 *
 * <p>Boundaries are as defined by {@link Boundaries} (pixels with a 4-neighbour of another label). A predicted
 * boundary pixel is matched when some true boundary pixel lies within Euclidean distance {@code tolerance}
 * (inclusive), and vice versa; distances come from an exact distance transform. Then
 * <pre>
 *   precision = matched predicted boundary pixels / predicted boundary pixels
 *   recall    = matched true boundary pixels / true boundary pixels
 *   F1        = 2 precision recall / (precision + recall)
 * </pre>
 * Empty cases: with no predicted boundary precision is 1 (nothing false was predicted), with no true boundary
 * recall is 1, and F1 is 0 when {@code precision + recall = 0}. So two images without boundaries score 1, and
 * exactly one without boundaries scores F1 = 0.
 */
public final class BoundaryF1 {
    private BoundaryF1() {
    }

    /** Boundary precision, recall and F1, each in {@code [0, 1]}. */
    public record Score(double precision, double recall, double f1) {
    }

    /**
     * Boundary F1 of two label images.
     *
     * @param tolerance largest matching distance in pixels, finite and {@code >= 0}; 0 asks for exact positions
     * @throws IllegalArgumentException if the shapes differ or the tolerance is negative, NaN or infinite
     */
    public static Score score(LabelMap truth, LabelMap pred, double tolerance) {
        truth.checkSameShape(pred, "prediction");
        checkTolerance(tolerance);
        return fromBoundaries(Boundaries.of(truth, null), Boundaries.of(pred, null), tolerance);
    }

    /**
     * Boundary F1 of two binary masks (boundaries between on and off pixels).
     *
     * @throws IllegalArgumentException if the shapes differ or the tolerance is negative, NaN or infinite
     */
    public static Score score(Mask truth, Mask pred, double tolerance) {
        truth.checkSameShape(pred, "prediction");
        checkTolerance(tolerance);
        return fromBoundaries(Boundaries.of(truth, null), Boundaries.of(pred, null), tolerance);
    }

    private static void checkTolerance(double tolerance) {
        if (!(tolerance >= 0 && tolerance < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("tolerance must be finite and >= 0, got " + tolerance);
        }
    }

    private static Score fromBoundaries(Mask bt, Mask bp, double tolerance) {
        int nt = bt.countOn();
        int np = bp.countOn();
        double tol2 = tolerance * tolerance;
        long matchedPred = 0;
        long matchedTruth = 0;
        if (nt > 0 && np > 0) {
            matchedPred = countWithin(bp, DistanceTransformOps.squaredDistance(bt, true), tol2);
            matchedTruth = countWithin(bt, DistanceTransformOps.squaredDistance(bp, true), tol2);
        }
        double precision = np == 0 ? 1.0 : (double) matchedPred / np;
        double recall = nt == 0 ? 1.0 : (double) matchedTruth / nt;
        double f1 = precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
        return new Score(precision, recall, f1);
    }

    /** On pixels of {@code m} whose squared distance in the contiguous grid {@code sq} is at most {@code tol2}. */
    private static long countWithin(Mask m, double[] sq, double tol2) {
        long n = 0;
        for (int y = 0; y < m.height; y++) {
            int i = m.startIndex + y * m.stride;
            int g = y * m.width;
            for (int x = 0; x < m.width; x++) {
                if (m.data[i + x] != 0 && sq[g + x] <= tol2) {
                    n++;
                }
            }
        }
        return n;
    }
}
