package org.segmentation.core.label;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

class LabelOpsTest {
    @Test
    void relabelNumbersInRasterOrderOfFirstAppearance() {
        LabelMap l = LabelMap.wrap(new int[] {0, 7, 7, 3, 0, 9, 3, 0}, 4, 2);
        assertEquals(3, LabelOps.countRegions(l));
        assertEquals(3, LabelOps.relabel(l));
        assertArrayEquals(new int[] {0, 1, 1, 2, 0, 3, 2, 0}, l.data);
        assertEquals(3, LabelOps.relabel(l), "relabelling sequential labels changes nothing");
        assertArrayEquals(new int[] {0, 1, 1, 2, 0, 3, 2, 0}, l.data);
    }

    @Test
    void relabelOfASubImageTouchesOnlyItsPixels() {
        // 4x3 parent; the sub-image is the 2x2 block at (1, 1).
        LabelMap parent = LabelMap.wrap(new int[] {
            5, 5, 5, 5,
            5, 8, 4, 5,
            5, 4, 0, 5}, 4, 3);
        LabelMap sub = parent.subimage(1, 1, 3, 3);
        assertEquals(2, LabelOps.relabel(sub));
        assertArrayEquals(new int[] {5, 5, 5, 5, 5, 1, 2, 5, 5, 2, 0, 5}, parent.data);
    }

    @Test
    void negativeLabelsAreRejectedNamingThePixelAndNothingChanges() {
        LabelMap l = LabelMap.wrap(new int[] {4, 0, -2, 4}, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelOps.relabel(l));
        assertTrue(e.getMessage().contains("-2") && e.getMessage().contains("(0, 1)"), e.getMessage());
        assertArrayEquals(new int[] {4, 0, -2, 4}, l.data);
        assertThrows(IllegalArgumentException.class, () -> LabelOps.countRegions(l));
    }

    @Test
    void countRegionsOfAnEmptyMapIsZero() {
        assertEquals(0, LabelOps.countRegions(new LabelMap(3, 3)));
        assertEquals(0, LabelOps.relabel(new LabelMap(3, 3)));
    }

    @Test
    void fromMaskGivesZeroAndOneAndReusesTheOutput() {
        Mask m = Mask.wrap(new byte[] {0, 1, 1, 0, 0, 1}, 3, 2);
        LabelMap out = new LabelMap(1, 1);
        LabelMap got = LabelOps.fromMask(m, out);
        assertSame(out, got);
        assertEquals(3, got.width);
        assertEquals(2, got.height);
        assertArrayEquals(new int[] {0, 1, 1, 0, 0, 1}, got.data);
    }

    @Test
    void firstInvalidClassNamesThePixelAndAcceptsTheIgnoreLabel() {
        LabelMap l = LabelMap.wrap(new int[] {0, 1, 255, 2}, 2, 2);
        assertEquals("label 255 at pixel (0, 1) is not a class 0..2", LabelOps.firstInvalidClass(l, 3,
                IgnoreLabel.NONE));
        assertEquals(null, LabelOps.firstInvalidClass(l, 3, IgnoreLabel.of(255)));
        assertEquals("label 2 at pixel (1, 1) is not a class 0..1 nor the ignore label 255",
                LabelOps.firstInvalidClass(l, 2, IgnoreLabel.of(255)));
    }
}
