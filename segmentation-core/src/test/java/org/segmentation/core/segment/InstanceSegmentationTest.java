package org.segmentation.core.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

class InstanceSegmentationTest {
    @Test
    void fromLabelsRenumbersAndBoxesThePixelExtent() {
        // ids 2 and 5 present, 1, 3, 4 absent; 4 wide, 3 high
        LabelMap l = LabelMap.wrap(new int[] {
            0, 2, 2, 0,
            5, 0, 2, 0,
            5, 5, 0, 0}, 4, 3);
        int[] classOf = {0, 9, 4, 9, 9, 7};
        InstanceSegmentation s = InstanceSegmentation.fromLabels(l, classOf);
        assertEquals(2, s.size());
        assertArrayEquals(new int[] {4, 7}, s.classes());
        assertArrayEquals(new double[] {1, 1}, s.scores());
        assertArrayEquals(new double[] {1, 0, 3, 2, 0, 1, 2, 3}, s.boxes());
        assertArrayEquals(new int[] {0, 1, 1, 0, 2, 0, 1, 0, 2, 2, 0, 0}, s.labels().data);
        Mask m = s.mask(1, null);
        assertArrayEquals(new byte[] {0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0}, m.data);
        assertEquals(0, InstanceSegmentation.fromLabels(new LabelMap(2, 2), null).size());
        assertArrayEquals(new int[] {1, 1}, InstanceSegmentation.fromLabels(l, null).classes());
    }

    @Test
    void inconsistentInstancesAreRejectedNamingTheValue() {
        LabelMap l = LabelMap.wrap(new int[] {0, 1, 2, 0}, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new InstanceSegmentation(l, new int[] {1}, new double[] {1}, new double[] {0, 0, 1, 1}));
        assertTrue(e.getMessage().contains("label 2 at (0, 1) but there are 1 instances"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new InstanceSegmentation(l, new int[] {1, 0},
                new double[] {1, 1}, new double[8]));
        assertTrue(e.getMessage().contains("instance 1 has class 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new InstanceSegmentation(l, new int[] {1, 1},
                new double[] {1, 1.5}, new double[8]));
        assertTrue(e.getMessage().contains("instance 1 has score 1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new InstanceSegmentation(l, new int[] {1, 1},
                new double[] {1, 1}, new double[] {0, 0, 1, 1, 2, 0, 1, 1}));
        assertTrue(e.getMessage().contains("instance 1 has box (2.0, 0.0, 1.0, 1.0)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new InstanceSegmentation(l, new int[] {1, 1},
                new double[] {1}, new double[8]));
        assertTrue(e.getMessage().contains("2 classes but 1 scores"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> InstanceSegmentation.fromLabels(l, new int[] {0, 1}));
    }
}
