package org.segmentation.nn.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.segmentation.nn.testutil.Golden;

/**
 * Box coding, IoU, NMS and anchors against torchvision 0.14 (goldens from src/test/python/make_detect_golden.py),
 * plus hand-made cases.
 *
 * <p>Tolerances: box coding and IoU run in float64 on both sides in the same order of operations; +, −, ×, ÷ are
 * then bit-identical and only exp and log (Java's StrictMath-quality against glibc's) may differ by an ulp, so
 * 1e-12 relative to each tensor's scale. NMS indices and anchors must be exactly equal: anchors are integers
 * computed in float32 as torchvision does, and the NMS goldens keep every IoU at least 1e-4 from the threshold.
 */
class BoxesTest {
    static final Golden G = Golden.load("/golden/nn/detect");

    static double[] d(String name) {
        return G.get(name, DataType.DOUBLE).reshape(-1).toDoubleVector();
    }

    static int[] i(String name) {
        return G.get(name, DataType.DOUBLE).reshape(-1).toIntVector();
    }

    static double relError(double[] actual, double[] expected) {
        assertEquals(expected.length, actual.length, "length");
        double diff = 0;
        double scale = 1e-30;
        for (int k = 0; k < expected.length; k++) {
            diff = Math.max(diff, Math.abs(actual[k] - expected[k]));
            scale = Math.max(scale, Math.abs(expected[k]));
        }
        return diff / scale;
    }

    @Test
    void encodeAndDecodeEqualTorchvision() {
        double[] refs = d("coder.refs");
        double[] targets = d("coder.targets");
        for (String tag : new String[] {"rpn", "roi"}) {
            BoxCoder coder = tag.equals("rpn") ? BoxCoder.RPN : BoxCoder.ROI_HEADS;
            double encErr = relError(coder.encode(targets, refs, null), d("coder." + tag + ".encoded"));
            assertTrue(encErr < 1e-12, tag + " encode relative error " + encErr);
            double decErr = relError(coder.decode(d("coder." + tag + ".deltas"), refs, null),
                    d("coder." + tag + ".decoded"));
            assertTrue(decErr < 1e-12, tag + " decode relative error " + decErr);
        }
    }

    @Test
    void decodeInvertsEncodeAndClampsLargeScales() {
        BoxCoder coder = BoxCoder.ROI_HEADS;
        double[] ref = {10, 20, 30, 60};
        double[] target = {12, 18, 40, 50};
        double[] back = coder.decode(coder.encode(target, ref, null), ref, null);
        assertArrayEquals(target, back, 1e-12);
        // dw/ww = 100 is clamped to log(1000/16): the width becomes 20·1000/16 = 1250 around the centre x = 20
        double[] wide = coder.decode(new double[] {0, 0, 500, 0}, ref, null);
        assertEquals(1250, wide[2] - wide[0], 1e-9);
        assertEquals(20, (wide[0] + wide[2]) / 2, 1e-9);
        assertEquals(40, wide[3] - wide[1], 1e-12);
    }

    @Test
    void iouEqualsTorchvision() {
        double err = relError(BoxOps.iou(d("iou.a"), d("iou.b"), null), d("iou.out"));
        assertTrue(err < 1e-12, "IoU relative error " + err);
    }

    @Test
    void iouOfHandMadeBoxes() {
        double[] a = {0, 0, 2, 2};
        double[] b = {1, 1, 3, 3, 0, 0, 2, 2, 5, 5, 6, 6, 0, 0, 1, 2};
        // intersections 1, 4, 0, 2 over unions 7, 4, 5, 4
        assertArrayEquals(new double[] {1 / 7.0, 1, 0, 0.5}, BoxOps.iou(a, b, null), 0);
    }

    @Test
    void nmsKeepsTheSameBoxesAsTorchvision() {
        for (String tag : new String[] {"small", "large"}) {
            double[] boxes = d("nms." + tag + ".boxes");
            double[] scores = d("nms." + tag + ".scores");
            int[] classes = i("nms." + tag + ".classes");
            for (int t : new int[] {3, 5, 7}) {
                assertArrayEquals(i("nms." + tag + ".keep" + t), Nms.nms(boxes, scores, t / 10.0),
                        tag + " nms at " + t / 10.0);
                assertArrayEquals(i("nms." + tag + ".batched" + t), Nms.batched(boxes, scores, classes, t / 10.0),
                        tag + " batched nms at " + t / 10.0);
            }
        }
    }

    @Test
    void nmsSuppressesOnlyAboveTheThresholdAndWithinAClass() {
        double[] boxes = {0, 0, 10, 10, 0, 0, 10, 5, 20, 20, 30, 30, 1, 0, 11, 10};
        double[] scores = {0.9, 0.8, 0.7, 0.95};
        // IoU(3, 0) = 90/110, IoU(3, 1) = 45/105, IoU(0, 1) = 50/100 exactly; box 2 overlaps nothing
        assertArrayEquals(new int[] {3, 1, 2}, Nms.nms(boxes, scores, 0.5));
        assertArrayEquals(new int[] {3, 2}, Nms.nms(boxes, scores, 0.4));
        // an IoU equal to the threshold does not suppress
        assertArrayEquals(new int[] {0, 1}, Nms.nms(java.util.Arrays.copyOf(boxes, 8), new double[] {0.9, 0.8}, 0.5));
        // box 0 is alone in its class, so box 3 does not suppress it
        assertArrayEquals(new int[] {3, 0, 2}, Nms.batched(boxes, scores, new int[] {1, 0, 0, 0}, 0.4));
        assertArrayEquals(new int[0], Nms.nms(new double[0], new double[0], 0.5));
    }

    @Test
    void anchorsEqualTorchvision() {
        double[][] perLevel = AnchorGenerator.torchvisionDefault().anchors(160, 256, new int[] {40, 20, 10, 5, 3},
                new int[] {64, 32, 16, 8, 4});
        assertArrayEquals(d("anchors.default"), AnchorGenerator.concat(perLevel), 0);
        AnchorGenerator small = new AnchorGenerator(new double[][] {{5, 8}, {12, 17}, {24, 31}},
                new double[][] {{0.5, 1, 2}, {0.25, 1, 3}, {1}});
        double[][] s = small.anchors(100, 150, new int[] {25, 13, 7}, new int[] {38, 19, 10});
        assertEquals(25 * 38 * 6 * 4, s[0].length);
        assertArrayEquals(d("anchors.small"), AnchorGenerator.concat(s), 0);
    }

    @Test
    void cellAnchorsRoundHalfToEven() {
        // size 5 at ratio 1: ±2.5 rounds to ±2; size 7: ±3.5 to ±4
        AnchorGenerator g = new AnchorGenerator(new double[][] {{5, 7}}, new double[][] {{1}});
        assertArrayEquals(new double[] {-2, -2, 2, 2, -4, -4, 4, 4}, g.cellAnchors(0), 0);
    }

    @Test
    void badInputIsRejectedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BoxOps.iou(new double[] {0, 0, 1}, new double[4], null));
        assertTrue(e.getMessage().contains("multiple of 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Nms.nms(new double[] {0, 0, 1, 1}, new double[] {Double.NaN}, 0.5));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Nms.nms(new double[] {0, 0, 1, 1}, new double[2], 0.5));
        assertTrue(e.getMessage().contains("expected 1 scores"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new BoxCoder(1, 0, 1, 1));
        assertTrue(e.getMessage().contains("positive"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BoxCoder.RPN.decode(new double[6], new double[4], null));
        assertTrue(e.getMessage().contains("4·k deltas"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AnchorGenerator.small().anchors(64, 64, new int[] {16, 8, 4, 2, 128}, new int[] {16, 8, 4, 2, 1}));
        assertTrue(e.getMessage().contains("level 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new AnchorGenerator(new double[][] {{8}}, new double[][] {{-1}}));
        assertTrue(e.getMessage().contains("ratios"), e.getMessage());
    }

    @Test
    void clipAndKeepLarge() {
        double[] boxes = {-5, 3, 12, 20, 2, 2, 2.0005, 9};
        double[] c = BoxOps.clip(boxes, 10, 8, null);
        assertArrayEquals(new double[] {0, 3, 8, 10, 2, 2, 2.0005, 9}, c, 0);
        assertArrayEquals(new int[] {0}, BoxOps.keepLarge(c, 1e-3));
        Random rng = new Random(3);
        double[] r = new double[40];
        for (int k = 0; k < r.length; k++) {
            r[k] = rng.nextDouble() * 100 - 20;
        }
        double[] inPlace = r.clone();
        assertArrayEquals(BoxOps.clip(r, 50, 60, null), BoxOps.clip(inPlace, 50, 60, inPlace), 0);
    }
}
