package org.segmentation.bench.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segmentation.classic.threshold.OtsuOps;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;

class ClassicSegmentersTest {
    /** A 2-channel-free 1-channel planar image from 8-bit values. */
    private static SegmenterInput input(GrayU8 g) {
        return new SegmenterInput("t", PlanarF32.wrap(ConvertImage.toF32(g, 1f / 255f, null).data, 1, g.width,
                g.height));
    }

    /** Three flat bands, 20 / 120 / 220, with two dark dots in the middle band. */
    private static GrayU8 bands() {
        GrayU8 g = new GrayU8(30, 12);
        for (int y = 0; y < 12; y++) {
            for (int x = 0; x < 30; x++) {
                g.set(x, y, x < 10 ? 20 : x < 20 ? 120 : 220);
            }
        }
        return g;
    }

    @Test
    void otsuIsTheLibraryThreshold() {
        GrayU8 g = bands();
        LabelMap l = ClassicSegmenters.otsu().segment(input(g));
        int t = OtsuOps.threshold(g, null);
        for (int i = 0; i < l.data.length; i++) {
            assertEquals((g.data[i] & 0xFF) > t ? 1 : 0, l.data[i]);
        }
    }

    @Test
    void multiOtsuAndKMeansGiveClassesZeroToTwoDarkestFirst() {
        GrayU8 g = bands();
        for (Segmenter s : new Segmenter[] {ClassicSegmenters.multiOtsu(3), ClassicSegmenters.kmeans(3, 1)}) {
            assertEquals(Segmenter.Output.CLASSES, s.output());
            LabelMap l = s.segment(input(g));
            for (int y = 0; y < 12; y++) {
                for (int x = 0; x < 30; x++) {
                    assertEquals(x / 10, l.get(x, y), s.name() + " at " + x + "," + y);
                }
            }
        }
    }

    @Test
    void watershedAndSplitTouchingLabelInstancesInsideTheForeground() {
        // Two bright squares on black.
        GrayU8 g = new GrayU8(40, 20);
        for (int y = 4; y < 16; y++) {
            for (int x = 3; x < 15; x++) {
                g.set(x, y, 200);
                g.set(x + 22, y, 200);
            }
        }
        for (Segmenter s : new Segmenter[] {ClassicSegmenters.watershed(ClassicSegmenters.DEFAULT_H),
            ClassicSegmenters.splitTouching(new org.segmentation.classic.watershed.SplitConfig(true, 0, 0, 3,
                    org.segmentation.core.image.Connectivity.EIGHT))}) {
            assertEquals(Segmenter.Output.INSTANCES, s.output());
            LabelMap l = s.segment(input(g));
            assertEquals(0, l.get(0, 0), s.name());
            assertEquals(0, l.get(20, 10), s.name());
            int a = l.get(8, 10);
            int b = l.get(30, 10);
            assertTrue(a > 0 && b > 0 && a != b, s.name() + ": " + a + ", " + b);
        }
    }

    @Test
    void sobelOfARampIsItsSlope() {
        GrayU8 g = new GrayU8(8, 5);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 8; x++) {
                g.set(x, y, 10 * x);
            }
        }
        GrayU8 s = ClassicSegmenters.sobelMagnitude(g, null);
        // Inside: gx = 4 * (10 * 2) = 80, /4 = 20; at the replicated edges the step is one pixel: 10.
        assertEquals(20, s.get(3, 2));
        assertEquals(10, s.get(0, 2));
        assertEquals(10, s.get(7, 2));
    }

    @Test
    void relabelNumbersInRasterOrderAndCountsDistinctLabels() {
        LabelMap l = LabelMap.wrap(new int[] {0, 7, 7, 3, 0, 9, 3, 0}, 4, 2);
        assertEquals(3, ClassicSegmenters.countRegions(l));
        assertEquals(3, ClassicSegmenters.relabel(l));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 1, 1, 2, 0, 3, 2, 0}, l.data);
        assertEquals(0, ClassicSegmenters.countRegions(new LabelMap(3, 3)));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ClassicSegmenters.countRegions(LabelMap.wrap(new int[] {-1}, 1, 1)));
    }
}
