package org.segmentation.core.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.LabelMap;

class RegionStatisticsTest {

    @Test
    void handMade() {
        // 1 1 0
        // 0 3 3
        // 0 0 3     label 2 is absent
        LabelMap l = LabelMap.wrap(new int[] {1, 1, 0, 0, 3, 3, 0, 0, 3}, 3, 3);
        RegionStatistics s = RegionStatistics.compute(l);
        assertEquals(3, s.labelCount());
        assertEquals(2, s.area(1));
        assertEquals(0.5, s.centroidX(1), 0.0);
        assertEquals(0.0, s.centroidY(1), 0.0);
        assertEquals(0, s.area(2));
        assertTrue(Double.isNaN(s.centroidX(2)));
        assertTrue(s.minX(2) > s.maxX(2));
        assertEquals(3, s.area(3));
        assertEquals(1, s.minX(3));
        assertEquals(2, s.maxX(3));
        assertEquals(1, s.minY(3));
        assertEquals(2, s.maxY(3));
        assertEquals(5.0 / 3, s.centroidX(3), 1e-12); // (1+2+2)/3; 1e-12 covers one rounding of a division
        assertEquals(4.0 / 3, s.centroidY(3), 1e-12); // (1+1+2)/3
        assertThrows(IndexOutOfBoundsException.class, () -> s.area(0));
        assertThrows(IndexOutOfBoundsException.class, () -> s.area(4));
    }

    @Test
    void randomLabelsMatchDirectSums() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 50; trial++) {
            int w = 1 + rnd.nextInt(15);
            int h = 1 + rnd.nextInt(15);
            LabelMap l = new LabelMap(w, h);
            for (int i = 0; i < l.data.length; i++) {
                l.data[i] = rnd.nextInt(5);
            }
            RegionStatistics s = RegionStatistics.compute(l);
            for (int label = 1; label <= s.labelCount(); label++) {
                int area = 0;
                long sx = 0;
                int x0 = Integer.MAX_VALUE;
                int y1 = -1;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        if (l.get(x, y) == label) {
                            area++;
                            sx += x;
                            x0 = Math.min(x0, x);
                            y1 = Math.max(y1, y);
                        }
                    }
                }
                assertEquals(area, s.area(label));
                assertEquals(x0, s.minX(label));
                assertEquals(y1, s.maxY(label));
                if (area > 0) {
                    assertEquals((double) sx / area, s.centroidX(label), 1e-12); // same sum, one division
                }
            }
        }
    }

    @Test
    void negativeLabelIsRejected() {
        LabelMap l = LabelMap.wrap(new int[] {0, -2}, 2, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> RegionStatistics.compute(l));
        assertTrue(e.getMessage().contains("-2"));
    }
}
