package org.segmentation.nn.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.testutil.Golden;

/**
 * The box and mask heads' targets, losses and inference against torchvision 0.14's {@code roi_heads} (goldens from
 * src/test/python/make_detect_golden.py, float64): proposal assignment and sampling with the same sampled
 * proposals, regression targets, {@code fastrcnn_loss}, mask targets, {@code maskrcnn_loss} with their gradients,
 * and {@code postprocess_detections}.
 *
 * <p>Tolerances: labels, indices and detection counts exact; values 1e-12 relative to each tensor's scale (float64
 * on both sides, differences only from summation order and libm's exp/log).
 */
class RoiHeadsTest {
    static final Golden G = BoxesTest.G;
    static final double TOL = 1e-12;

    static void assertClose(String what, double[] actual, double[] expected) {
        double err = BoxesTest.relError(actual, expected);
        assertTrue(err < TOL, what + " relative error " + err);
    }

    @Test
    void trainingTargetsAndLossesEqualTorchvision() {
        RoiHeadsConfig config = RoiHeadsConfig.torchvisionDefault();
        double[][] selBoxes = new double[2][];
        int[][] selLabels = new int[2][];
        double[][] selTargets = new double[2][];
        int[][] selMatched = new int[2][];
        for (int i = 0; i < 2; i++) {
            double[] gt = BoxesTest.d("roi.h.gt" + i);
            double[] props = RoiHeads.withGroundTruth(BoxesTest.d("roi.h.proposals" + i), gt);
            RoiHeads.Assignment a = RoiHeads.assign(props, gt, BoxesTest.i("roi.h.gtlabels" + i), config.matcher());
            assertArrayEquals(BoxesTest.i("roi.h.labels" + i), a.labels(), "image " + i + " labels");
            assertArrayEquals(BoxesTest.i("roi.h.matched" + i), a.matchedIdx(), "image " + i + " matches");
            RoiHeads.Selection s = RoiHeads.select(props, gt, a, new BalancedSampler.Sample(
                    BoxesTest.i("roi.h.pos" + i), BoxesTest.i("roi.h.neg" + i)));
            assertArrayEquals(BoxesTest.d("roi.h.sel_boxes" + i), s.boxes(), 0, "image " + i + " sampled boxes");
            assertArrayEquals(BoxesTest.i("roi.h.sel_labels" + i), s.labels(), "image " + i + " sampled labels");
            assertClose("image " + i + " regression targets", s.regressionTargets(),
                    BoxesTest.d("roi.h.sel_targets" + i));
            selBoxes[i] = s.boxes();
            selLabels[i] = s.labels();
            selTargets[i] = s.regressionTargets();
            selMatched[i] = s.matchedIdx();
        }
        int[] labels = concat(selLabels[0], selLabels[1]);
        double[] targets = concat(selTargets[0], selTargets[1]);
        RoiHeads.BoxLoss bl = RoiHeads.boxLoss(BoxesTest.d("roi.h.class_logits"), BoxesTest.d("roi.h.box_regression"),
                labels, targets);
        assertEquals(G.get("roi.h.cls_loss", DataType.DOUBLE).getDouble(0), bl.classification(), TOL);
        assertEquals(G.get("roi.h.box_loss", DataType.DOUBLE).getDouble(0), bl.box(), TOL);
        assertClose("class logit gradient", bl.dLogits(), BoxesTest.d("roi.h.grad_logits"));
        assertClose("box regression gradient", bl.dRegression(), BoxesTest.d("roi.h.grad_regression"));

        // masks: the positive sampled proposals of both images, in order
        INDArray[] targetsPerImage = new INDArray[2];
        java.util.List<Integer> posLabels = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            java.util.List<Integer> keep = new java.util.ArrayList<>();
            for (int k = 0; k < selLabels[i].length; k++) {
                if (selLabels[i][k] > 0) {
                    keep.add(k);
                    posLabels.add(selLabels[i][k]);
                }
            }
            int[] idx = keep.stream().mapToInt(Integer::intValue).toArray();
            int[] matched = new int[idx.length];
            for (int k = 0; k < idx.length; k++) {
                matched[k] = selMatched[i][idx[k]];
            }
            targetsPerImage[i] = RoiHeads.maskTargets(G.get("roi.h.gtmasks" + i, DataType.DOUBLE),
                    BoxOps.select(selBoxes[i], idx), matched, 14);
        }
        double err = Golden.relError(targetsPerImage[0], G.get("roi.h.mask_targets0", DataType.DOUBLE));
        assertTrue(err < TOL, "mask targets relative error " + err);
        INDArray maskTargets = Nd4j.concat(0, targetsPerImage[0], targetsPerImage[1]);
        RoiHeads.MaskLoss ml = RoiHeads.maskLoss(G.get("roi.h.mask_logits", DataType.DOUBLE),
                posLabels.stream().mapToInt(Integer::intValue).toArray(), maskTargets);
        assertEquals(G.get("roi.h.mask_loss", DataType.DOUBLE).getDouble(0), ml.loss(), TOL);
        double gErr = Golden.relError(ml.dLogits(), G.get("roi.h.grad_mask", DataType.DOUBLE));
        assertTrue(gErr < TOL, "mask logit gradient relative error " + gErr);
    }

    @Test
    void detectionsEqualTorchvision() {
        double[] logits = BoxesTest.d("roi.h.det_logits");
        double[] regression = BoxesTest.d("roi.h.det_regression");
        int half = logits.length / 2;
        for (int i = 0; i < 2; i++) {
            double[] l = java.util.Arrays.copyOfRange(logits, i * half, (i + 1) * half);
            double[] r = java.util.Arrays.copyOfRange(regression, i * 4 * half, (i + 1) * 4 * half);
            RoiHeads.Detections d = RoiHeads.detect(l, r, BoxesTest.d("roi.h.det_props" + i), 48, 64,
                    RoiHeadsConfig.torchvisionDefault());
            assertArrayEquals(BoxesTest.i("roi.h.det_labels" + i), d.labels(), "image " + i + " labels");
            assertClose("image " + i + " boxes", d.boxes(), BoxesTest.d("roi.h.det_boxes" + i));
            assertClose("image " + i + " scores", d.scores(), BoxesTest.d("roi.h.det_scores" + i));
        }
        // a cap below the count keeps the best ones
        RoiHeadsConfig capped = new RoiHeadsConfig(0.5, 0.5, 512, 0.25, 0.05, 0.5, 5);
        RoiHeads.Detections d = RoiHeads.detect(java.util.Arrays.copyOf(logits, half),
                java.util.Arrays.copyOf(regression, 4 * half), BoxesTest.d("roi.h.det_props0"), 48, 64, capped);
        assertArrayEquals(java.util.Arrays.copyOf(BoxesTest.i("roi.h.det_labels0"), 5), d.labels());
    }

    @Test
    void emptyGroundTruthAndBadLabels() {
        double[] props = {0, 0, 10, 10, 5, 5, 20, 20};
        RoiHeads.Assignment a = RoiHeads.assign(props, new double[0], new int[0],
                RoiHeadsConfig.torchvisionDefault().matcher());
        assertArrayEquals(new int[] {0, 0}, a.labels());
        RoiHeads.Selection s = RoiHeads.select(props, new double[0], a, new BalancedSampler.Sample(new int[0],
                new int[] {0, 1}));
        assertEquals(2, s.size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RoiHeads.assign(props,
                new double[] {0, 0, 5, 5}, new int[] {0}, RoiHeadsConfig.torchvisionDefault().matcher()));
        assertTrue(e.getMessage().contains("class 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RoiHeads.boxLoss(new double[] {1, 2}, new double[8],
                new int[] {2}, new double[4]));
        assertTrue(e.getMessage().contains("outside [0, 2)"), e.getMessage());
        RoiHeads.MaskLoss none = RoiHeads.maskLoss(Nd4j.zeros(DataType.DOUBLE, 0, 3, 14, 14), new int[0],
                Nd4j.zeros(DataType.DOUBLE, 0, 14, 14));
        assertEquals(0, none.loss(), 0);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static double[] concat(double[] a, double[] b) {
        double[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
