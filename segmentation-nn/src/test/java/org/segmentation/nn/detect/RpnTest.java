package org.segmentation.nn.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;
import org.segmentation.nn.testutil.Golden;
import org.segmentation.nn.testutil.GradCheck;

/**
 * The region proposal network's steps against torchvision 0.14's {@code RegionProposalNetwork} (goldens from
 * src/test/python/make_detect_golden.py, float64 on both sides): anchor-order layout, proposal selection, anchor
 * matching, regression targets, and both losses with their gradients given the same sampled anchors. The head
 * against finite differences; the matcher and the sampler on hand-made cases.
 *
 * <p>Tolerances: layouts, labels, sampled sets and proposal counts exact; values 1e-12 relative to each tensor's
 * scale (float64 on both sides, the same operations in the same order up to summation order and libm's exp/log).
 */
class RpnTest {
    static final Golden G = BoxesTest.G;

    static INDArray[] levels(String base, int n) {
        INDArray[] a = new INDArray[n];
        for (int l = 0; l < n; l++) {
            a[l] = G.get(base + l, DataType.DOUBLE);
        }
        return a;
    }

    static double[] row(String name, int i) {
        INDArray a = G.get(name, DataType.DOUBLE);
        return a.getRow(i).dup().reshape(-1).toDoubleVector();
    }

    static void assertClose(String what, double[] actual, double[] expected, double tol) {
        double err = BoxesTest.relError(actual, expected);
        assertTrue(err < tol, what + " relative error " + err);
    }

    @Test
    void layoutFollowsTheAnchorOrder() {
        INDArray[] obj = levels("rpn.obj", 5);
        INDArray[] del = levels("rpn.del", 5);
        double[][] fo = Rpn.flattenObjectness(obj);
        double[][] fd = Rpn.flattenDeltas(del);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(row("rpn.flat_obj", i), fo[i], 0);
            assertArrayEquals(row("rpn.flat_del", i), fd[i], 0);
        }
        INDArray[] back = Rpn.unflattenDeltas(fd, del);
        for (int l = 0; l < 5; l++) {
            assertEquals(del[l], back[l]);
        }
        AnchorGenerator gen = AnchorGenerator.uniformRatios(new double[] {8, 16, 32, 64, 128}, new double[] {0.5, 1, 2});
        double[] anchors = AnchorGenerator.concat(gen.anchors(64, 96, new int[] {16, 8, 4, 2, 1},
                new int[] {24, 12, 6, 3, 2}));
        assertArrayEquals(BoxesTest.d("rpn.anchors"), anchors, 0);
    }

    @Test
    void proposalsEqualTorchvision() {
        double[] anchors = BoxesTest.d("rpn.anchors");
        double[][] fo = Rpn.flattenObjectness(levels("rpn.obj", 5));
        double[][] fd = Rpn.flattenDeltas(levels("rpn.del", 5));
        int[] perLevel = {3 * 16 * 24, 3 * 8 * 12, 3 * 4 * 6, 3 * 2 * 3, 3 * 2};
        RpnConfig config = new RpnConfig(300, 200, 100, 50, 0.7, 0.7, 0.3, 256, 0.5, 0.0, 1e-3);
        for (int i = 0; i < 2; i++) {
            Rpn.Proposals p = Rpn.propose(fo[i], fd[i], anchors, perLevel, 64, 96, config, false);
            double[] expected = BoxesTest.d("rpn.proposals" + i);
            assertEquals(expected.length / 4, p.size(), "image " + i + " proposal count");
            assertClose("image " + i + " proposals", p.boxes(), expected, 1e-12);
            assertClose("image " + i + " scores", p.scores(), BoxesTest.d("rpn.scores" + i), 1e-12);
        }
    }

    @Test
    void targetsAndLossesEqualTorchvision() {
        double[] anchors = BoxesTest.d("rpn.anchors");
        INDArray[] obj = levels("rpn.obj", 5);
        INDArray[] del = levels("rpn.del", 5);
        double[][] fo = Rpn.flattenObjectness(obj);
        double[][] fd = Rpn.flattenDeltas(del);
        int[][] labels = new int[2][];
        double[][] targets = new double[2][];
        BalancedSampler.Sample[] samples = new BalancedSampler.Sample[2];
        for (int i = 0; i < 2; i++) {
            Rpn.Targets t = Rpn.assign(anchors, BoxesTest.d("rpn.gt" + i), RpnConfig.torchvisionDefault().matcher());
            assertArrayEquals(BoxesTest.i("rpn.labels" + i), t.labels(), "image " + i + " labels");
            assertArrayEquals(BoxesTest.d("rpn.matched" + i), t.matchedBoxes(), 0, "image " + i + " matched boxes");
            labels[i] = t.labels();
            targets[i] = BoxCoder.RPN.encode(t.matchedBoxes(), anchors, null);
            assertClose("image " + i + " regression targets", targets[i], BoxesTest.d("rpn.targets" + i), 1e-12);
            samples[i] = new BalancedSampler.Sample(BoxesTest.i("rpn.pos" + i), BoxesTest.i("rpn.neg" + i));
        }
        Rpn.Loss loss = Rpn.loss(fo, fd, labels, targets, samples);
        assertEquals(G.get("rpn.loss_obj", DataType.DOUBLE).getDouble(0), loss.objectness(), 1e-12);
        assertEquals(G.get("rpn.loss_box", DataType.DOUBLE).getDouble(0), loss.box(), 1e-12);
        for (int i = 0; i < 2; i++) {
            assertClose("objectness gradient " + i, loss.dObjectness()[i], row("rpn.grad_obj", i), 1e-12);
            assertClose("delta gradient " + i, loss.dDeltas()[i], row("rpn.grad_del", i), 1e-12);
        }
    }

    @Test
    void matcherThresholdsAndLowQualityMatches() {
        // 2 ground truths x 4 predictions
        double[] q = {
            0.8, 0.5, 0.1, 0.2,
            0.75, 0.6, 0.25, 0.2};
        // prediction 0: gt 0 (0.8 >= 0.7); 1: between (0.6); 2: below (0.25); 3: below (0.2)
        assertArrayEquals(new int[] {0, Matcher.BETWEEN, Matcher.BELOW_LOW, Matcher.BELOW_LOW},
                new Matcher(0.7, 0.3, false).match(q, 2, 4));
        // gt 1's best prediction is 0 (0.75), already matched to gt 0; gt 0's best is prediction 0 too; so low-quality
        // matching changes nothing here
        assertArrayEquals(new int[] {0, Matcher.BETWEEN, Matcher.BELOW_LOW, Matcher.BELOW_LOW},
                new Matcher(0.7, 0.3, true).match(q, 2, 4));
        double[] q2 = {
            0.2, 0.5, 0.1,
            0.1, 0.2, 0.2};
        // gt 0's best is prediction 1 (0.5): restored to gt 0; gt 1's best (0.2) is attained by predictions 1 and 2
        // (a tie): prediction 2's best gt is gt 1, prediction 1's stays gt 0
        assertArrayEquals(new int[] {Matcher.BELOW_LOW, 0, 1}, new Matcher(0.7, 0.3, true).match(q2, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> new Matcher(0.7, 0.3, true).match(new double[0], 0, 3));
    }

    @Test
    void samplerCountsAndSubsets() {
        int[] labels = new int[1000];
        for (int i = 1; i < 1000; i += 3) {
            labels[i] = -1;
        }
        for (int i = 0; i < 1000; i += 50) {
            labels[i] = 1;        // 20 positives
        }
        BalancedSampler s = new BalancedSampler(256, 0.5);
        BalancedSampler.Sample a = s.sample(labels, new Random(1));
        assertEquals(20, a.positives().length);        // fewer positives than 128: all of them
        assertEquals(236, a.negatives().length);       // the batch is filled with negatives
        for (int p : a.positives()) {
            assertEquals(1, labels[p]);
        }
        for (int n : a.negatives()) {
            assertEquals(0, labels[n]);
        }
        assertEquals(236, Arrays.stream(a.negatives()).distinct().count());
        BalancedSampler.Sample b = s.sample(labels, new Random(2));
        assertTrue(!Arrays.equals(a.negatives(), b.negatives()), "different seeds draw different negatives");
        Arrays.fill(labels, 1);
        assertEquals(128, s.sample(labels, new Random(1)).positives().length);
        assertEquals(0, s.sample(labels, new Random(1)).negatives().length);
    }

    @Test
    void headGradientsMatchFiniteDifferences() {
        Random rng = new Random(8);
        ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.DOUBLE);
        RpnHead head = new RpnHead(b, "rpn.head.", 3, 2, 2, rng);
        ParameterBuffer params = b.build();
        for (Parameter p : params.parameters()) {
            p.value().assign(GradCheck.gaussian(rng, DataType.DOUBLE, p.shape()).muli(0.5));   // not the tiny init
        }
        INDArray[] f = {GradCheck.gaussian(rng, DataType.DOUBLE, 2, 3, 5, 4), GradCheck.gaussian(rng, DataType.DOUBLE,
            2, 3, 3, 2)};
        RpnHead.Output out = head.forward(f);
        assertArrayEquals(new long[] {2, 2, 5, 4}, out.objectness()[0].shape());
        assertArrayEquals(new long[] {2, 8, 3, 2}, out.deltas()[1].shape());
        INDArray[] ro = {GradCheck.gaussian(rng, DataType.DOUBLE, 2, 2, 5, 4), GradCheck.gaussian(rng, DataType.DOUBLE,
            2, 2, 3, 2)};
        INDArray[] rd = {GradCheck.gaussian(rng, DataType.DOUBLE, 2, 8, 5, 4), GradCheck.gaussian(rng, DataType.DOUBLE,
            2, 8, 3, 2)};
        params.zeroGradients();
        INDArray[] dF = head.backward(ro, rd);
        java.util.function.DoubleSupplier loss = () -> {
            RpnHead.Output o = head.forward(f);
            double s = 0;
            for (int l = 0; l < 2; l++) {
                s += GradCheck.dot(o.objectness()[l], ro[l]) + GradCheck.dot(o.deltas()[l], rd[l]);
            }
            return s;
        };
        for (int l = 0; l < 2; l++) {
            assertTrue(GradCheck.maxRelativeError(loss, f[l], dF[l]) < GradCheck.TOLERANCE, "level " + l);
        }
        for (Parameter p : params.parameters()) {
            double e = GradCheck.maxRelativeError(loss, p.value(), p.grad());
            assertTrue(e < GradCheck.TOLERANCE, p.name() + " " + e);
        }
        assertEquals(java.util.List.of("rpn.head.conv.0.0.weight", "rpn.head.conv.0.0.bias",
                "rpn.head.cls_logits.weight", "rpn.head.cls_logits.bias", "rpn.head.bbox_pred.weight",
                "rpn.head.bbox_pred.bias"), params.parameters().stream().map(Parameter::name).toList());
    }

    @Test
    void emptyGroundTruthIsAllBackgroundAndNoSampleGivesZeroLoss() {
        double[] anchors = {0, 0, 4, 4, 2, 2, 8, 8};
        Rpn.Targets t = Rpn.assign(anchors, new double[0], RpnConfig.torchvisionDefault().matcher());
        assertArrayEquals(new int[] {0, 0}, t.labels());
        Rpn.Loss l = Rpn.loss(new double[][] {{0.3, -0.2}}, new double[][] {new double[8]}, new int[][] {t.labels()},
                new double[][] {new double[8]}, new BalancedSampler.Sample[] {new BalancedSampler.Sample(new int[0],
                    new int[0])});
        assertEquals(0, l.total(), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rpn.loss(
                new double[][] {{0.3, -0.2}}, new double[][] {new double[8]}, new int[][] {{-1, 0}},
                new double[][] {new double[8]}, new BalancedSampler.Sample[] {new BalancedSampler.Sample(new int[0],
                    new int[] {0})}));
        assertTrue(e.getMessage().contains("ignored"), e.getMessage());
    }
}
