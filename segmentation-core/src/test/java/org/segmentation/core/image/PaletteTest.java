package org.segmentation.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PaletteTest {
    @Test
    void vocColoursOfWellKnownLabels() {
        // The published VOC map: background black, aeroplane (128,0,0), bicycle (0,128,0), person (192,128,128),
        // void (224,224,192).
        assertEquals(0x000000, Palette.voc(0));
        assertEquals(0x800000, Palette.voc(1));
        assertEquals(0x008000, Palette.voc(2));
        assertEquals(0xC08080, Palette.voc(15));
        assertEquals(0xE0E0C0, Palette.voc(255));
        assertThrows(IllegalArgumentException.class, () -> Palette.voc(256));
    }

    @Test
    void vocColoursAreDistinct() {
        Set<Integer> seen = new HashSet<>();
        for (int c : Palette.vocTable()) {
            seen.add(c);
        }
        assertEquals(256, seen.size());
    }

    @Test
    void instanceColoursDifferFromNeighbours() {
        for (int l = 256; l < 2000; l++) {
            assertNotEquals(Palette.label(l), Palette.label(l + 1));
        }
        assertThrows(IllegalArgumentException.class, () -> Palette.label(-1));
    }
}
