package org.segmentation.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.LabelMap;

class SyntheticCellsTest {
    private static final SyntheticCells GENERATOR = new SyntheticCells(SyntheticCells.Config.defaults());

    @Test
    void threeClassTargetOnAHandExample() {
        LabelMap instances = LabelMap.wrap(new int[] {
            1, 1, 2, 2,
            1, 1, 2, 2,
            0, 0, 0, 0}, 4, 3);
        // (0,0) and (3,0) only touch their own cell and the image border; every other cell pixel touches another
        // label.
        assertArrayEquals(new int[] {
            1, 2, 2, 1,
            2, 2, 2, 2,
            0, 0, 0, 0}, SyntheticCells.threeClassTarget(instances, null).data);
    }

    @Test
    void sameSeedSameImageOtherSeedOtherImage() {
        SyntheticCells.Cells a = GENERATOR.generate(3);
        SyntheticCells.Cells b = GENERATOR.generate(3);
        assertArrayEquals(a.image().data, b.image().data);
        assertArrayEquals(a.instances().data, b.instances().data);
        assertFalse(Arrays.equals(a.instances().data, GENERATOR.generate(4).instances().data));
    }

    @Test
    void outputsAreConsistent() {
        int touchingImages = 0;
        for (long seed = 0; seed < 8; seed++) {
            SyntheticCells.Cells c = GENERATOR.generate(seed);
            int w = 128;
            int h = 128;
            LabelMap inst = c.instances();
            // Instance ids are exactly 1..count, each present.
            boolean[] present = new boolean[c.count() + 1];
            for (int v : inst.data) {
                assertTrue(v >= 0 && v <= c.count(), "id " + v + " of " + c.count());
                present[v] = true;
            }
            for (int k = 1; k <= c.count(); k++) {
                assertTrue(present[k], "instance " + k + " missing, seed " + seed);
            }
            assertTrue(c.count() >= 1 && c.count() <= 20, "count " + c.count());
            boolean touching = false;
            double inside = 0;
            double outside = 0;
            int nInside = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = y * w + x;
                    int v = inst.data[i];
                    int t = c.threeClass().data[i];
                    assertEquals(v != 0, c.foreground().data[i] != 0);
                    // Interior and boundary together are exactly the foreground.
                    assertEquals(v != 0, t == SyntheticCells.INTERIOR || t == SyntheticCells.BOUNDARY);
                    boolean differentNeighbour = false;
                    for (int[] d : new int[][] {{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
                        int nx = x + d[0];
                        int ny = y + d[1];
                        if (nx >= 0 && ny >= 0 && nx < w && ny < h) {
                            int nv = inst.data[ny * w + nx];
                            differentNeighbour |= nv != v;
                            touching |= v != 0 && nv != 0 && nv != v;
                        }
                    }
                    if (v != 0) {
                        assertEquals(differentNeighbour, t == SyntheticCells.BOUNDARY, "pixel " + x + "," + y);
                    }
                    float p = c.image().data[i];
                    assertTrue(p >= 0f && p <= 1f);
                    if (v != 0) {
                        inside += p;
                        nInside++;
                    } else {
                        outside += p;
                    }
                }
            }
            touchingImages += touching ? 1 : 0;
            // Cells (0.45..0.85 before shading) are far brighter than the background (0.08..0.14).
            assertTrue(inside / nInside > 2 * outside / (w * h - nInside), "seed " + seed);
        }
        // Half the cells are placed against another one, so most images have touching cells.
        assertTrue(touchingImages >= 4, touchingImages + " of 8 images have touching cells");
    }

    @Test
    void everyCellIsOneFourConnectedRegion() {
        // Seeds 61, 93, 180 and 182 each produced a cell cut in two by overlapping neighbours before fragments
        // were removed.
        for (long seed : new long[] {61, 93, 180, 182}) {
            SyntheticCells.Cells c = GENERATOR.generate(seed);
            int[] d = c.instances().data;
            int w = 128;
            int[] components = new int[c.count() + 1];
            boolean[] seen = new boolean[d.length];
            ArrayDeque<Integer> queue = new ArrayDeque<>();
            for (int start = 0; start < d.length; start++) {
                if (d[start] == 0 || seen[start]) {
                    continue;
                }
                components[d[start]]++;
                seen[start] = true;
                queue.add(start);
                while (!queue.isEmpty()) {
                    int p = queue.poll();
                    int x = p % w;
                    for (int q : new int[] {x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, p - w, p + w}) {
                        if (q >= 0 && q < d.length && !seen[q] && d[q] == d[start]) {
                            seen[q] = true;
                            queue.add(q);
                        }
                    }
                }
            }
            for (int k = 1; k <= c.count(); k++) {
                assertEquals(1, components[k], "seed " + seed + ", cell " + k);
            }
        }
    }

    @Test
    void datasetIsSeededAndThreeClass() {
        SyntheticCells small = new SyntheticCells(new SyntheticCells.Config(32, 24, 1, 3, 0.5, 0.5, 0.01, 0.2));
        InMemoryDataset a = small.dataset(3, 9);
        InMemoryDataset b = small.dataset(3, 9);
        assertEquals(3, a.size());
        assertEquals(3, a.numClasses());
        assertEquals(32, a.get(2).width());
        assertEquals(24, a.get(2).height());
        assertArrayEquals(a.get(2).image().data, b.get(2).image().data);
        assertThrows(IllegalArgumentException.class, () -> new SyntheticCells.Config(128, 128, 5, 4, 0.5, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SyntheticCells.Config(8, 128, 1, 4, 0.5, 1, 0, 0));
    }
}
