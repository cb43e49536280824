package org.segmentation.classic.watershed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.segmentation.classic.TestImages;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.label.RegionStatistics;

class SplitTouchingTest {

    @Test
    void findsTheTwentyFourCoins() {
        SplitTouching split = new SplitTouching(new SplitConfig(true, 30, 3, 10, Connectivity.EIGHT));
        SplitResult r = split.process(TestImages.gray("coins"), null);
        org.slf4j.LoggerFactory.getLogger(SplitTouchingTest.class).info("coins.png: {} objects found", r.count());
        // skimage.data.coins() shows 24 coins, in four rows of six.
        assertEquals(24, r.count());
        assertEquals(24, r.labels().maxLabel());
        RegionStatistics stats = RegionStatistics.compute(r.labels());
        for (int l = 1; l <= 24; l++) {
            // Each coin is a disk of radius 15..30 px: area between pi*15^2 ~ 700 and pi*30^2 ~ 2800.
            int a = stats.area(l);
            assertTrue(a > 500 && a < 3000, "coin " + l + " area " + a);
        }
        // The same pipeline in scikit-image (make_golden.py, section markers) gives the same labels.
        LabelMap expected = TestImages.labels("/golden/markers/coins_split.png");
        int diff = 0;
        for (int i = 0; i < expected.data.length; i++) {
            diff += expected.data[i] != r.labels().data[i] ? 1 : 0;
        }
        assertEquals(0, diff);
        @SuppressWarnings("unchecked")
        List<Object> peaks = (List<Object>) TestImages.json("/golden/markers.json").get("coins_peaks_xy");
        assertEquals(24, peaks.size());
    }

    @Test
    void splitsTwoOverlappingDisks() {
        // Two disks of radius 20 whose centres are 32 apart overlap in a lens: one component, two objects.
        GrayU8 img = new GrayU8(100, 60);
        for (int y = 0; y < 60; y++) {
            for (int x = 0; x < 100; x++) {
                boolean in = (x - 30) * (x - 30) + (y - 30) * (y - 30) < 400
                        || (x - 62) * (x - 62) + (y - 30) * (y - 30) < 400;
                img.set(x, y, in ? 200 : 20);
            }
        }
        SplitResult r = new SplitTouching(new SplitConfig()).process(img, null);
        assertEquals(2, r.count());
        // The cut is the symmetry line x = 46: left of it label 1, right of it label 2.
        assertEquals(1, r.labels().get(40, 30));
        assertEquals(2, r.labels().get(52, 30));
        assertEquals(0, r.labels().get(5, 5));
    }

    @Test
    void degenerateImages() {
        // A constant image: Otsu gives its value, the foreground (> t) is empty, so no object.
        assertEquals(0, new SplitTouching(new SplitConfig()).process(new GrayU8(20, 20).fill(9), null).count());
        assertThrows(IllegalArgumentException.class, () -> new SplitConfig(true, -1, 2, 10, Connectivity.FOUR));
        assertThrows(IllegalArgumentException.class, () -> new SplitConfig(true, 0, 2, 0, Connectivity.FOUR));
    }
}
