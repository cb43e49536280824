package org.segmentation.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

/**
 * Compares with scikit-image 0.19 on label images made from its camera and coins images
 * (see golden/metrics/make_metrics_goldens.py), and instance matching with a scipy assignment solver.
 *
 * <p>Tolerance 1e-9 relative: both sides compute the same closed formulas from the same exact integer counts.
 * scikit-image accumulates counts as float64 (exact below 2^53) but for the variation of information it first
 * normalises each pixel to 1/N and sums those, so its probabilities carry a relative rounding error of about
 * (pixels per cell) * 2^-53 < 1e-11 here; the logs and final sums add a few ulps. Any real difference in the
 * definition (ignore handling, log base, which marginal) changes the values at the 1e-3 level or more.
 */
class SkimageGoldenTest {
    private static final double REL = 1e-9;

    private static void assertRel(double expected, double actual, String what) {
        assertEquals(expected, actual, REL * Math.abs(expected), what);
    }

    @ParameterizedTest
    @CsvSource({"camera,a,b", "camera,a,c", "coins,a,b", "coins,a,c"})
    void adaptedRandErrorAndVariationOfInformation(String image, String t, String p) {
        LabelMap truth = Goldens.labels(image + "_" + t);
        LabelMap pred = Goldens.labels(image + "_" + p);
        String key = image + "_" + t + "_" + p;

        PartitionMetrics.AdaptedRand are = PartitionMetrics.adaptedRandError(truth, pred);
        assertRel(Goldens.value(key + ".are.error"), are.error(), "ARE error");
        assertRel(Goldens.value(key + ".are.precision"), are.precision(), "ARE precision");
        assertRel(Goldens.value(key + ".are.recall"), are.recall(), "ARE recall");

        PartitionMetrics.AdaptedRand all = PartitionMetrics.adaptedRandError(truth, pred, new int[0]);
        assertRel(Goldens.value(key + ".are_noignore.error"), all.error(), "ARE error, nothing ignored");
        assertRel(Goldens.value(key + ".are_noignore.precision"), all.precision(), "ARE precision, nothing ignored");
        assertRel(Goldens.value(key + ".are_noignore.recall"), all.recall(), "ARE recall, nothing ignored");

        PartitionMetrics.VariationOfInformation vi = PartitionMetrics.variationOfInformation(truth, pred);
        assertRel(Goldens.value(key + ".vi.split"), vi.split(), "VI split");
        assertRel(Goldens.value(key + ".vi.merge"), vi.merge(), "VI merge");

        PartitionMetrics.VariationOfInformation vi0 = PartitionMetrics.variationOfInformation(truth, pred, 0);
        assertRel(Goldens.value(key + ".vi_ignore0.split"), vi0.split(), "VI split, 0 ignored");
        assertRel(Goldens.value(key + ".vi_ignore0.merge"), vi0.merge(), "VI merge, 0 ignored");
    }

    /**
     * Hausdorff distances are square roots of exact integers on both sides (scikit-image via a k-d tree), so they
     * agree to an ulp; the percentiles interpolate between two such roots exactly as numpy does, up to the
     * order of operations in the interpolation (a few ulps).
     */
    @ParameterizedTest
    @CsvSource({"camera,a,b", "camera,a,c", "coins,a,b", "coins,a,c"})
    void hausdorffOnMasksAndOnBoundaries(String image, String t, String p) {
        LabelMap truth = Goldens.labels(image + "_" + t);
        LabelMap pred = Goldens.labels(image + "_" + p);
        String key = image + "_" + t + "_" + p;
        Mask a = Goldens.nonzero(truth);
        Mask b = Goldens.nonzero(pred);
        assertRel(Goldens.value(key + ".hausdorff"), HausdorffDistance.distance(a, b), "HD");
        assertRel(Goldens.value(key + ".hd95"), HausdorffDistance.hd95(a, b), "HD95");

        Mask ba = Boundaries.of(truth, null);
        Mask bb = Boundaries.of(pred, null);
        assertRel(Goldens.value(key + ".boundaries.hausdorff"), HausdorffDistance.distance(ba, bb), "boundary HD");
        assertRel(Goldens.value(key + ".boundaries.hd95"), HausdorffDistance.hd95(ba, bb), "boundary HD95");
        assertRel(Goldens.value(key + ".boundaries.hd80"), HausdorffDistance.percentile(ba, bb, 80), "boundary HD80");
    }

    @ParameterizedTest
    @CsvSource({"camera", "coins"})
    void boundariesMatchFindBoundariesThick(String image) {
        Mask expected = Goldens.mask(image + "_a_boundaries");
        Mask actual = Boundaries.of(Goldens.labels(image + "_a"), null);
        assertArrayEquals(expected.data, actual.data);
    }

    /**
     * Instance matching against an independent optimum: the script solves each threshold with scipy's
     * {@code linear_sum_assignment} on the dense IoU matrix (most pairs, then largest IoU sum). Counts must be
     * equal; the mean matched IoU sums the same doubles in another order (1e-12, for at most a few hundred terms
     * below 1).
     */
    @ParameterizedTest
    @CsvSource({"camera,a,b", "camera,a,c", "camera,b,c", "coins,a,b", "coins,a,c", "coins,b,c"})
    void instanceMatchingMatchesScipyAssignment(String image, String t, String p) {
        InstanceMetrics m = InstanceMetrics.of(Goldens.labels(image + "_" + t), Goldens.labels(image + "_" + p));
        String key = image + "_" + t + "_" + p + ".inst.";
        for (String thr : new String[] {"0.1", "0.3", "0.5", "0.75"}) {
            InstanceMetrics.Result r = m.match(Double.parseDouble(thr));
            assertEquals((int) Goldens.value(key + thr + ".tp"), r.tp(), thr);
            assertEquals((int) Goldens.value(key + thr + ".fp"), r.fp(), thr);
            assertEquals((int) Goldens.value(key + thr + ".fn"), r.fn(), thr);
            if (r.tp() > 0) {
                assertEquals(Goldens.value(key + thr + ".miou"), r.meanMatchedIoU(), 1e-12, thr);
            }
        }
        // Ten ratios of small integers averaged: 1e-15.
        assertEquals(Goldens.value(key + "map"), m.meanAveragePrecision(), 1e-15);
    }
}
