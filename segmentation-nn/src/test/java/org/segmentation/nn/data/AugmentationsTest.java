package org.segmentation.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;

class AugmentationsTest {
    private static final float PAD = -1f;
    private static final int PAD_LABEL = 5;

    /**
     * Every pixel of a geometrically transformed sample is either padding in image, target and instance map
     * alike, or image data whose threshold equals the target and instance label.
     */
    private static void assertAligned(Sample s, String what) {
        int n = s.width() * s.height();
        for (int i = 0; i < n; i++) {
            float v = s.image().data[i];
            if (v == PAD) {
                assertEquals(PAD_LABEL, s.target().data[i], what + " pixel " + i);
                assertEquals(0, s.instances().data[i], what + " pixel " + i);
                for (int c = 1; c < s.channels(); c++) {
                    assertEquals(PAD, s.image().data[c * n + i], what + " pixel " + i + " channel " + c);
                }
            } else {
                assertEquals(v > 0.5f ? 1 : 0, s.target().data[i], what + " pixel " + i);
                assertEquals(v > 0.5f ? 7 : 0, s.instances().data[i], what + " pixel " + i);
            }
        }
    }

    @Test
    void geometricOpsKeepImageTargetAndInstancesAligned() {
        Random rng = new Random(1);
        // 7x5 is not square, so a quarter turn that swapped the wrong axes would index out of range or misalign.
        Sample s = TestSamples.thresholded(rng, 2, 7, 5);
        assertAligned(Augmentations.flip(s, true), "flip horizontal");
        assertAligned(Augmentations.flip(s, false), "flip vertical");
        for (int k = 1; k <= 3; k++) {
            Sample r = Augmentations.rotate90(s, k);
            assertAligned(r, "rot90 k=" + k);
            assertEquals(k % 2 == 1 ? 5 : 7, r.width());
        }
        assertAligned(Augmentations.window(s, 2, 1, 4, 3, PAD, PAD_LABEL), "crop");
        assertAligned(Augmentations.window(s, -2, -3, 12, 11, PAD, PAD_LABEL), "pad");
        SplittableRandom r = new SplittableRandom(2);
        Augmentation crop = Augmentations.cropOrPad(6, 8, PAD, PAD_LABEL);
        for (int i = 0; i < 20; i++) {
            Sample c = crop.apply(s, r);
            assertEquals(6, c.width());
            assertEquals(8, c.height());
            assertAligned(c, "random crop-or-pad " + i);
        }
    }

    @Test
    void rot90MatchesNumpyOnAHandExample() {
        // np.rot90([[1, 2, 3], [4, 5, 6]]) == [[3, 6], [2, 5], [1, 4]]
        PlanarF32 img = PlanarF32.wrap(new float[] {1, 2, 3, 4, 5, 6}, 1, 3, 2);
        LabelMap t = LabelMap.wrap(new int[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Sample r = Augmentations.rotate90(new Sample(img, t), 1);
        assertEquals(2, r.width());
        assertEquals(3, r.height());
        assertArrayEquals(new float[] {3, 6, 2, 5, 1, 4}, r.image().data);
        assertArrayEquals(new int[] {3, 6, 2, 5, 1, 4}, r.target().data);
        Sample f = Augmentations.flip(new Sample(img, t), true);
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4}, f.image().data);
        Sample v = Augmentations.flip(new Sample(img, t), false);
        assertArrayEquals(new int[] {4, 5, 6, 1, 2, 3}, v.target().data);
    }

    @Test
    void inversesRestoreTheSample() {
        Sample s = TestSamples.random(new Random(3), 3, 6, 4, 4);
        Sample back = Augmentations.rotate90(Augmentations.rotate90(s, 1), 3);
        assertArrayEquals(s.image().data, back.image().data);
        assertArrayEquals(s.target().data, back.target().data);
        Sample twice = Augmentations.flip(Augmentations.flip(s, true), true);
        assertArrayEquals(s.image().data, twice.image().data);
        assertArrayEquals(s.instances().data, twice.instances().data);
    }

    @Test
    void cropOrPadGivesTheSizeAndAContiguousWindowOfTheInput() {
        SplittableRandom rng = new SplittableRandom(4);
        int[][] sizes = {{10, 6}, {4, 4}, {5, 9}, {6, 5}};
        for (int[] size : sizes) {
            int w = size[0];
            int h = size[1];
            // A ramp image with value y*w + x identifies each source pixel.
            PlanarF32 img = new PlanarF32(1, w, h);
            for (int i = 0; i < w * h; i++) {
                img.data[i] = i;
            }
            Sample s = new Sample(img, new LabelMap(w, h));
            for (int rep = 0; rep < 5; rep++) {
                Sample c = Augmentations.cropOrPad(6, 5, PAD, PAD_LABEL).apply(s, rng);
                assertEquals(6, c.width());
                assertEquals(5, c.height());
                int inside = 0;
                int firstX = -1;
                int firstY = -1;
                for (int y = 0; y < 5; y++) {
                    for (int x = 0; x < 6; x++) {
                        float v = c.image().data[y * 6 + x];
                        if (v == PAD) {
                            assertEquals(PAD_LABEL, c.target().data[y * 6 + x]);
                            continue;
                        }
                        int sx = (int) v % w;
                        int sy = (int) v / w;
                        if (firstX < 0) {
                            firstX = x - sx;
                            firstY = y - sy;
                        }
                        // Every non-pad pixel is the source pixel at one common offset.
                        assertEquals(firstX, x - sx);
                        assertEquals(firstY, y - sy);
                        inside++;
                    }
                }
                assertEquals(Math.min(w, 6) * Math.min(h, 5), inside, "pixels kept from " + w + "x" + h);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Augmentations.cropOrPad(0, 5, 0f, 0));
    }

    @Test
    void intensityOpsChangeOnlyTheImage() {
        Sample s = TestSamples.random(new Random(5), 2, 16, 16, 3);
        SplittableRandom rng = new SplittableRandom(6);
        for (Augmentation a : List.of(Augmentations.brightness(0.2), Augmentations.contrast(0.5),
                Augmentations.gamma(2.0), Augmentations.gaussianNoise(0.1))) {
            float[] before = s.image().data.clone();
            Sample out = a.apply(s, rng);
            assertSame(s.target(), out.target());
            assertSame(s.instances(), out.instances());
            assertArrayEquals(before, s.image().data, "the input image must not be modified");
            assertNotEquals(before[0], out.image().data[0]);
        }
    }

    @Test
    void brightnessAddsOneBoundedOffset() {
        Sample s = TestSamples.random(new Random(7), 1, 8, 8, 2);
        SplittableRandom rng = new SplittableRandom(8);
        for (int rep = 0; rep < 20; rep++) {
            Sample out = Augmentations.brightness(0.25).apply(s, rng);
            float delta = out.image().data[0] - s.image().data[0];
            assertTrue(Math.abs(delta) <= 0.25f + 1e-6f, "delta " + delta);
            for (int i = 0; i < 64; i++) {
                // One float addition per pixel: the recovered offset differs by at most a few ulps of 1.
                assertEquals(delta, out.image().data[i] - s.image().data[i], 1e-6f);
            }
        }
    }

    @Test
    void contrastKeepsTheMeanAndScalesDeviations() {
        Sample s = TestSamples.random(new Random(9), 2, 8, 8, 2);
        Sample out = Augmentations.contrast(s, 1.5f);
        for (int c = 0; c < 2; c++) {
            double mean = 0;
            double meanOut = 0;
            for (int i = 0; i < 64; i++) {
                mean += s.image().data[c * 64 + i] / 64.0;
                meanOut += out.image().data[c * 64 + i] / 64.0;
            }
            // Float rounding of 64 values near 1: the means agree to about 1e-6.
            assertEquals(mean, meanOut, 1e-5);
            for (int i = 0; i < 64; i++) {
                assertEquals(1.5 * (s.image().data[c * 64 + i] - mean), out.image().data[c * 64 + i] - mean, 1e-5);
            }
        }
    }

    @Test
    void gammaRaisesToAPowerAndStaysInTheUnitRange() {
        Sample s = TestSamples.random(new Random(10), 1, 8, 8, 2);
        s.image().data[0] = -0.5f;
        Sample sq = Augmentations.gamma(s, 2.0);
        assertEquals(0f, sq.image().data[0]);
        for (int i = 1; i < 64; i++) {
            float v = s.image().data[i];
            assertEquals(v * v, sq.image().data[i], 1e-6f);
        }
        SplittableRandom rng = new SplittableRandom(11);
        for (int rep = 0; rep < 10; rep++) {
            for (float v : Augmentations.gamma(3.0).apply(s, rng).image().data) {
                assertTrue(v >= 0f && v <= 1f, "value " + v);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Augmentations.gamma(0.5));
    }

    @Test
    void gaussianNoiseHasTheRequestedSpread() {
        int n = 64 * 64;
        Sample s = new Sample(new PlanarF32(1, 64, 64), new LabelMap(64, 64));
        float[] out = Augmentations.gaussianNoise(0.1).apply(s, new SplittableRandom(12)).image().data;
        double sum = 0;
        double sq = 0;
        for (float v : out) {
            sum += v;
            sq += v * v;
        }
        double mean = sum / n;
        double std = Math.sqrt(sq / n - mean * mean);
        // With 4096 draws the standard error of the mean is 0.1/64 = 0.0016 and of the std about 0.0011; allow
        // four standard errors.
        assertEquals(0.0, mean, 0.0064);
        assertEquals(0.1, std, 0.0045);
        assertThrows(IllegalArgumentException.class, () -> Augmentations.gaussianNoise(-1));
    }

    @Test
    void pipelineAppliesStepsWithTheirProbabilityAndIsSeeded() {
        Sample s = TestSamples.thresholded(new Random(13), 1, 9, 9);
        AugmentationPipeline never = AugmentationPipeline.builder().add(Augmentations.flipHorizontal(), 0).build();
        assertSame(s, never.apply(s, new SplittableRandom(1)));
        AugmentationPipeline always = AugmentationPipeline.builder().add(Augmentations.flipHorizontal()).build();
        assertArrayEquals(Augmentations.flip(s, true).image().data, always.apply(s, new SplittableRandom(1))
                .image().data);

        AugmentationPipeline p = AugmentationPipeline.builder()
                .add(Augmentations.flipHorizontal(), 0.5)
                .add(Augmentations.rotate90(), 0.5)
                .add(Augmentations.cropOrPad(7, 7, PAD, PAD_LABEL))
                .add(Augmentations.gaussianNoise(0.05), 0.5)
                .build();
        Set<Integer> distinct = new HashSet<>();
        for (long seed = 0; seed < 40; seed++) {
            Sample a = p.apply(s, new SplittableRandom(seed));
            Sample b = p.apply(s, new SplittableRandom(seed));
            assertArrayEquals(a.image().data, b.image().data, "seed " + seed);
            assertArrayEquals(a.target().data, b.target().data, "seed " + seed);
            distinct.add(Arrays.hashCode(a.image().data));
        }
        // Different seeds draw different crops, flips and noise: 40 seeds give many different outputs.
        assertTrue(distinct.size() > 10, distinct.size() + " distinct outputs");
        assertThrows(IllegalArgumentException.class,
                () -> AugmentationPipeline.builder().add(Augmentations.flipVertical(), 1.5));
    }
}
