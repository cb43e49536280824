package org.segmentation.classic.threshold;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.classic.TestImages;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.Mask;

class OtsuOpsTest {
    private static final Map<String, Object> GOLDEN = TestImages.json("/golden/threshold.json");

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(String name) {
        return (Map<String, Object>) GOLDEN.get(name);
    }

    /** Brute-force between-class variance, exact in long/double arithmetic, for the naive reference. */
    private static double betweenClassVariance(int[] hist, int t) {
        double w0 = 0;
        double w1 = 0;
        double s0 = 0;
        double s1 = 0;
        for (int v = 0; v < hist.length; v++) {
            if (v <= t) {
                w0 += hist[v];
                s0 += (double) v * hist[v];
            } else {
                w1 += hist[v];
                s1 += (double) v * hist[v];
            }
        }
        if (w0 == 0 || w1 == 0) {
            return 0;
        }
        double d = s0 / w0 - s1 / w1;
        return w0 * w1 * d * d;
    }

    @Test
    void eightBitEqualsOpenCvOnEveryRealImage() {
        Map<String, Object> expected = section("otsu_u8");
        assertEquals(7, expected.size());
        for (String name : expected.keySet()) {
            GrayU8 g = TestImages.gray(name);
            ThresholdResult r = OtsuOps.binarize(g, null, null);
            assertEquals(((Double) expected.get(name)).intValue(), (int) r.threshold(), name);
            int on = 0;
            for (int i = 0; i < g.data.length; i++) {
                assertEquals((g.data[i] & 0xFF) > r.threshold() ? 1 : 0, r.mask().data[i]);
                on += r.mask().data[i];
            }
            assertTrue(on > 0 && on < g.data.length, name + " must split into two non-empty classes");
        }
    }

    @Test
    void sixteenBitAndFloatWithinOneBinOfSkimage() {
        Map<String, Object> u16 = section("otsu_u16");
        Map<String, Object> f32 = section("otsu_f32");
        for (String name : u16.keySet()) {
            GrayU16 img = TestImages.u16("/golden/threshold/" + name + "_u16.png");
            // One bin per integer value, as skimage does for integer images: one bin is 1 gray level.
            double t16 = OtsuOps.threshold(img, 0, null);
            assertEquals((Double) u16.get(name), t16, 1.0, name + " u16");
            GrayF32 f = new GrayF32(img.width, img.height);
            for (int i = 0; i < f.data.length; i++) {
                f.data[i] = (img.data[i] & 0xFFFF) / 65535f;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> g = (Map<String, Object>) f32.get(name);
            double binWidth = (Double) g.get("bin_width");
            double tf = OtsuOps.threshold(f, 256, null);
            // numpy bins in single precision, we in double; a pixel near an edge may change bin: one bin allowed.
            assertEquals((Double) g.get("threshold"), tf, binWidth * 1.0001, name + " f32");
        }
    }

    @Test
    void eightBitMatchesBruteForceMaximumOnRandomHistograms() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 200; trial++) {
            GrayU8 g = new GrayU8(1 + rnd.nextInt(40), 1 + rnd.nextInt(40));
            int lo = rnd.nextInt(200);
            int span = 1 + rnd.nextInt(56);
            for (int i = 0; i < g.data.length; i++) {
                g.data[i] = (byte) (lo + rnd.nextInt(span));
            }
            int t = OtsuOps.threshold(g, null);
            int[] hist = new int[256];
            for (byte b : g.data) {
                hist[b & 0xFF]++;
            }
            double best = 0;
            for (int c = 0; c < 256; c++) {
                best = Math.max(best, betweenClassVariance(hist, c));
            }
            // The chosen threshold attains the maximum up to rounding of the running sums (relative 1e-9).
            assertEquals(best, betweenClassVariance(hist, t), best * 1e-9 + 1e-12, "trial " + trial);
        }
    }

    @Test
    void handMadeTwoLevels() {
        GrayU8 g = GrayU8.wrap(new byte[] {10, 10, 10, (byte) 200, (byte) 200, 10}, 3, 2);
        // Any t in 10..199 separates the classes; OpenCV keeps the first maximum, 10.
        assertEquals(10, OtsuOps.threshold(g, null));
        GrayU16 u = GrayU16.wrap(new short[] {10, 10, 10, 2000, 2000, 10}, 3, 2);
        // One bin per value: the first maximum is again the lower value.
        assertEquals(10.0, OtsuOps.threshold(u, 0, null));
        GrayF32 f = GrayF32.wrap(new float[] {0, 0, 0, 1, 1, 0}, 3, 2);
        // Two bins over [0, 1]: the threshold is the first bin centre.
        assertEquals(0.25, OtsuOps.threshold(f, 2, null));
    }

    @Test
    void maskRestrictsTheHistogramAndTheOutput() {
        // Left half 0/100, right half 150/250: inside the right-half mask the threshold separates 150 and 250.
        GrayU8 g = new GrayU8(4, 2);
        byte[] v = {0, 100, (byte) 150, (byte) 250, 100, 0, (byte) 250, (byte) 150};
        System.arraycopy(v, 0, g.data, 0, 8);
        Mask roi = new Mask(4, 2);
        roi.set(2, 0, true);
        roi.set(3, 0, true);
        roi.set(2, 1, true);
        roi.set(3, 1, true);
        ThresholdResult r = OtsuOps.binarize(g, roi, null);
        assertEquals(150, (int) r.threshold());
        assertEquals(2, r.mask().countOn());
        assertTrue(r.mask().get(3, 0) && r.mask().get(2, 1));
    }

    @Test
    void constantImagesHaveTheirValueAsThreshold() {
        assertEquals(77, OtsuOps.threshold(new GrayU8(5, 5).fill(77), null));
        assertEquals(300.0, OtsuOps.threshold(new GrayU16(5, 5).fill(300), 0, null));
        double t = OtsuOps.threshold(new GrayF32(5, 5).fill(0.5f), 256, null);
        assertEquals(0.5, t);
        assertEquals(0, OtsuOps.binarize(new GrayF32(5, 5).fill(0.5f), 256, null, null).mask().countOn());
    }

    @Test
    void badInput() {
        GrayU8 g = new GrayU8(4, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> OtsuOps.threshold(g, new Mask(4, 4)));
        assertTrue(e.getMessage().contains("no pixel on"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OtsuOps.threshold(g, new Mask(3, 4)));
        assertTrue(e.getMessage().contains("3x4"), e.getMessage());
        GrayF32 f = new GrayF32(3, 3);
        f.set(1, 2, Float.NaN);
        e = assertThrows(IllegalArgumentException.class, () -> OtsuOps.threshold(f, 256, null));
        assertTrue(e.getMessage().contains("(1, 2)") && e.getMessage().contains("NaN"), e.getMessage());
        f.set(1, 2, Float.POSITIVE_INFINITY);
        assertThrows(IllegalArgumentException.class, () -> OtsuOps.threshold(f, 256, null));
        // A non-finite pixel outside the mask is ignored.
        Mask roi = new Mask(3, 3).fill(true);
        roi.set(1, 2, false);
        f.set(0, 0, 1f);
        assertEquals(1, OtsuOps.binarize(f, 256, roi, null).mask().countOn());
        assertThrows(IllegalArgumentException.class, () -> OtsuOps.threshold(f, 1, null));
        assertThrows(IllegalArgumentException.class, () -> ThresholdOps.greaterThan(g, Double.NaN, null, null));
    }

    @Test
    void thresholdOpsCompareStrictlyForEveryPixelType() {
        GrayU8 g = GrayU8.wrap(new byte[] {9, 10, 11, (byte) 255}, 4, 1);
        assertEquals(2, ThresholdOps.greaterThan(g, 10, null, null).countOn());
        assertEquals(2, ThresholdOps.greaterThan(g, 10.5, null, null).countOn());
        assertEquals(4, ThresholdOps.greaterThan(g, -3, null, null).countOn());
        assertEquals(0, ThresholdOps.greaterThan(g, 255, null, null).countOn());
        GrayU16 u = GrayU16.wrap(new short[] {9, 10, 11, (short) 65535}, 4, 1);
        assertEquals(2, ThresholdOps.greaterThan(u, 10, null, null).countOn());
        GrayF32 f = GrayF32.wrap(new float[] {9, 10, 11, Float.NaN}, 4, 1);
        assertEquals(1, ThresholdOps.greaterThan(f, 10, null, null).countOn()); // NaN is never greater
    }

    /**
     * The 8-bit histogram (four interleaved sub-histograms) and the branch-free binarisation against per-pixel
     * loops, on sub-images of random shapes (widths not a multiple of four), with and without a mask, at every
     * threshold.
     */
    @Test
    void eightBitHistogramAndBinarisationMatchNaiveLoopsOnSubImages() {
        Random rnd = new Random(5);
        for (int trial = 0; trial < 300; trial++) {
            int w = 1 + rnd.nextInt(23);
            int h = 1 + rnd.nextInt(9);
            int x0 = rnd.nextInt(3);
            int y0 = rnd.nextInt(3);
            GrayU8 parent = new GrayU8(w + x0 + rnd.nextInt(3), h + y0 + rnd.nextInt(3));
            Mask roiParent = new Mask(parent.width, parent.height);
            int base = rnd.nextInt(256);
            for (int i = 0; i < parent.data.length; i++) {
                // runs of equal values, as in smooth images, and the extremes 0 and 255
                parent.data[i] = (byte) (rnd.nextInt(4) == 0 ? base + rnd.nextInt(3) : rnd.nextInt(2) * 255);
                roiParent.data[i] = (byte) (rnd.nextInt(3) == 0 ? 0 : 1);
            }
            GrayU8 img = parent.subimage(x0, y0, x0 + w, y0 + h);
            Mask roi = rnd.nextBoolean() ? roiParent.subimage(x0, y0, x0 + w, y0 + h) : null;
            int[] expected = new int[256];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (roi == null || roi.get(x, y)) {
                        expected[img.get(x, y)]++;
                    }
                }
            }
            assertArrayEquals(expected, ImageHistogram.histogram(img, roi), "trial " + trial);
            double t = rnd.nextInt(260) - 2 + (rnd.nextBoolean() ? 0.5 : 0);
            Mask dstParent = new Mask(parent.width, parent.height).fill(true);
            Mask dst = ThresholdOps.greaterThan(img, t, roi, dstParent.subimage(x0, y0, x0 + w, y0 + h));
            int outside = parent.width * parent.height - w * h;
            int on = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    boolean want = img.get(x, y) > t && (roi == null || roi.get(x, y));
                    assertEquals(want, dst.get(x, y), "trial " + trial + " t " + t + " at " + x + "," + y);
                    on += want ? 1 : 0;
                }
            }
            assertEquals(outside + on, dstParent.countOn(), "pixels outside the view untouched, trial " + trial);
        }
    }
}
