package org.segmentation.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.nn.data.ElasticDeformation.Interpolation;

class ElasticDeformationTest {
    @Test
    void zeroSigmaIsTheIdentity() {
        Sample s = TestSamples.random(new Random(1), 2, 11, 7, 4);
        for (Interpolation interp : Interpolation.values()) {
            // Zero displacement samples at integer positions, where both kernels weigh one pixel by exactly 1.
            Sample out = new ElasticDeformation(3, 0.0, interp).apply(s, new SplittableRandom(2));
            assertArrayEquals(s.image().data, out.image().data, interp.name());
            assertArrayEquals(s.target().data, out.target().data);
            assertArrayEquals(s.instances().data, out.instances().data);
        }
    }

    @Test
    void integerShiftMovesImageAndLabelsTogether() {
        Sample s = TestSamples.random(new Random(3), 1, 10, 8, 5);
        int n = 80;
        float[] dx = new float[n];
        float[] dy = new float[n];
        Arrays.fill(dx, 2f);
        Arrays.fill(dy, -1f);
        for (Interpolation interp : Interpolation.values()) {
            Sample out = new ElasticDeformation(3, 1.0, interp).warp(s, dx, dy);
            for (int y = 1; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    int src = (y - 1) * 10 + x + 2;
                    assertEquals(s.image().data[src], out.image().data[y * 10 + x], 1e-6f, interp + " " + x + "," + y);
                    assertEquals(s.target().data[src], out.target().data[y * 10 + x]);
                    assertEquals(s.instances().data[src], out.instances().data[y * 10 + x]);
                }
            }
            // Row 0 reads row -1, mirrored to row 1.
            assertEquals(s.target().data[10 + 2], out.target().data[0]);
        }
    }

    @Test
    void bothKernelsReproduceALinearRampAtDisplacedPositions() {
        int w = 40;
        int h = 30;
        PlanarF32 img = new PlanarF32(1, w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.data[y * w + x] = 0.01f * x + 0.02f * y;
            }
        }
        Sample s = new Sample(img, new LabelMap(w, h));
        ElasticDeformation e = new ElasticDeformation(3, 3.0, Interpolation.BILINEAR);
        float[] dx = ElasticDeformation.denseField(randomGrid(4), 3, w, h);
        float[] dy = ElasticDeformation.denseField(randomGrid(5), 3, w, h);
        for (Interpolation interp : Interpolation.values()) {
            Sample out = new ElasticDeformation(3, 3.0, interp).warp(s, dx, dy);
            int checked = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double fx = x + dx[y * w + x];
                    double fy = y + dy[y * w + x];
                    // The cubic kernel reads one pixel further out, so stay two pixels clear of the mirrored border.
                    if (fx < 2 || fy < 2 || fx > w - 3 || fy > h - 3) {
                        continue;
                    }
                    // Linear and Catmull-Rom interpolation are exact on linear functions; float arithmetic on
                    // values below 1 leaves errors of a few 1e-7.
                    assertEquals(0.01 * fx + 0.02 * fy, out.image().data[y * w + x], 1e-5, interp + " " + x + "," + y);
                    checked++;
                }
            }
            assertTrue(checked > w * h / 2, "checked " + checked);
        }
        assertThrows(IllegalArgumentException.class, () -> e.warp(s, new float[3], dy));
    }

    private static float[] randomGrid(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] g = new float[9];
        for (int i = 0; i < 9; i++) {
            g[i] = (float) (3 * r.nextGaussian());
        }
        return g;
    }

    @Test
    void denseFieldPassesThroughTheControlPointsAndKeepsConstants() {
        float[] grid = randomGrid(6);
        // 9 pixels and 3 control points: the control points sit exactly on pixels 0, 4 and 8.
        float[] field = ElasticDeformation.denseField(grid, 3, 9, 9);
        for (int j = 0; j < 3; j++) {
            for (int i = 0; i < 3; i++) {
                assertEquals(grid[j * 3 + i], field[(4 * j) * 9 + 4 * i], 1e-6f);
            }
        }
        float[] constant = new float[9];
        Arrays.fill(constant, 2.5f);
        // Catmull-Rom weights sum to one, so a constant grid gives a constant field up to float rounding.
        for (float v : ElasticDeformation.denseField(constant, 3, 13, 7)) {
            assertEquals(2.5f, v, 1e-6f);
        }
    }

    @Test
    void nearestNeighbourLabelsContainOnlyLabelsPresentBefore() {
        int w = 48;
        LabelMap target = new LabelMap(w, w);
        LabelMap instances = new LabelMap(w, w);
        // Stripes of labels 0, 3 and 7: bilinear blending would create 1, 2, 4, 5 or 6 between them.
        for (int y = 0; y < w; y++) {
            for (int x = 0; x < w; x++) {
                int stripe = (x + y) / 6 % 3;
                target.data[y * w + x] = new int[] {0, 3, 7}[stripe];
                instances.data[y * w + x] = stripe == 0 ? 0 : 10 + x / 12;
            }
        }
        PlanarF32 img = new PlanarF32(1, w, w);
        Sample s = new Sample(img, target, instances);
        Set<Integer> instanceIds = new HashSet<>();
        for (int v : instances.data) {
            instanceIds.add(v);
        }
        ElasticDeformation e = ElasticDeformation.paperDefault();
        for (long seed = 0; seed < 5; seed++) {
            Sample out = e.apply(s, new SplittableRandom(seed));
            int changed = 0;
            for (int i = 0; i < w * w; i++) {
                int v = out.target().data[i];
                assertTrue(v == 0 || v == 3 || v == 7, "label " + v);
                assertTrue(instanceIds.contains(out.instances().data[i]), "instance " + out.instances().data[i]);
                changed += v != target.data[i] ? 1 : 0;
            }
            // sigma = 10 px on 6 px stripes moves many pixels into another stripe: the test is not vacuous.
            assertTrue(changed > w * w / 10, "changed " + changed);
        }
    }

    @Test
    void mirrorReflectsWithoutRepeatingTheEdge() {
        assertEquals(1, ElasticDeformation.mirror(-1, 5));
        assertEquals(3, ElasticDeformation.mirror(5, 5));
        assertEquals(0, ElasticDeformation.mirror(8, 5));
        assertEquals(0, ElasticDeformation.mirror(-7, 1));
        assertThrows(IllegalArgumentException.class, () -> new ElasticDeformation(1, 10, Interpolation.BICUBIC));
    }
}
