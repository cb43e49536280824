package org.segmentation.classic.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.segmentation.classic.kmeans.KMeansConfig;
import org.segmentation.classic.threshold.OtsuOps;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.segment.Baselines;
import org.segmentation.core.segment.Segmenter;
import org.segmentation.core.segment.SegmenterInput;
import org.segmentation.core.segment.SegmenterRegistry;

class ClassicSegmentersTest {
    private static SegmenterInput input(GrayU8 g) {
        return SegmenterInput.of(g);
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
        for (Segmenter s : new Segmenter[] {ClassicSegmenters.multiOtsu(3), ClassicSegmenters.kmeans(KMeansConfig.of(3).withSeed(1))}) {
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
    void theRegistryHasTheBaselinesThenTheFiveAlgorithmsUnderTheirOwnNames() {
        SegmenterRegistry r = ClassicSegmenters.registry();
        assertEquals(List.of(Baselines.MEAN_THRESHOLD, Baselines.ALL_BACKGROUND, ClassicSegmenters.OTSU,
                ClassicSegmenters.MULTI_OTSU, ClassicSegmenters.KMEANS, ClassicSegmenters.WATERSHED,
                ClassicSegmenters.SPLIT_TOUCHING), r.names());
        for (String name : r.names()) {
            assertEquals(name, r.create(name).name());
        }
    }

    @Test
    void badSettingsAreRefusedWhenTheSegmenterIsMade() {
        assertThrows(IllegalArgumentException.class, () -> ClassicSegmenters.watershed(-1));
        assertThrows(IllegalArgumentException.class, () -> ClassicSegmenters.multiOtsu(1));
    }
}
