package org.segmentation.core.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IgnoreLabelTest {
    @Test
    void noneMatchesNothingAndAValueMatchesItself() {
        assertTrue(IgnoreLabel.NONE.isNone());
        for (int v : new int[] {-100, -1, 0, 255}) {
            assertFalse(IgnoreLabel.NONE.matches(v), "NONE matches " + v);
        }
        IgnoreLabel voc = IgnoreLabel.of(255);
        assertTrue(voc.matches(255));
        assertFalse(voc.matches(254));
        assertEquals(255, voc.value());
        assertEquals(255, voc.valueOr(0));
        assertEquals(0, IgnoreLabel.NONE.valueOr(0));
        assertEquals(IgnoreLabel.of(255), voc);
        assertThrows(IllegalStateException.class, IgnoreLabel.NONE::value);
    }

    @Test
    void theOneRuleANonNegativeValueThatIsNotAClass() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> IgnoreLabel.of(-100));
        assertTrue(negative.getMessage().contains("-100"), negative.getMessage());
        IllegalArgumentException inRange = assertThrows(IllegalArgumentException.class,
                () -> IgnoreLabel.of(2).checkFor(3));
        assertTrue(inRange.getMessage().contains("0..2"), inRange.getMessage());
        assertEquals(IgnoreLabel.of(3), IgnoreLabel.of(3).checkFor(3));
        assertEquals(IgnoreLabel.NONE, IgnoreLabel.NONE.checkFor(1));
        assertThrows(IllegalArgumentException.class, () -> IgnoreLabel.NONE.checkFor(0));
    }
}
