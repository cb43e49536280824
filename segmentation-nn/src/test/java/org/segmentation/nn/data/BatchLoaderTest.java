package org.segmentation.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchLoaderTest {
    private static InMemoryDataset dataset(int n, int channels, int w, int h) {
        Random rng = new Random(42);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            samples.add(TestSamples.random(rng, channels, w, h, 3));
        }
        return new InMemoryDataset(samples, 3);
    }

    private static List<Batch> all(Iterator<Batch> it) {
        List<Batch> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void unshuffledBatchesHoldTheSamplesInNchwOrder() {
        InMemoryDataset ds = dataset(7, 2, 4, 3);
        try (BatchLoader loader = new BatchLoader(ds, null, new BatchLoader.Config(3, false, false, 1, 2, 2))) {
            List<Batch> batches = all(loader.epoch(0));
            assertEquals(3, loader.batchesPerEpoch());
            assertEquals(List.of(3, 3, 1), batches.stream().map(b -> b.size).toList());
            int index = 0;
            for (Batch b : batches) {
                assertEquals(2, b.channels);
                assertEquals(3, b.height);
                assertEquals(4, b.width);
                for (int n = 0; n < b.size; n++, index++) {
                    assertEquals(index, b.indices[n]);
                    Sample s = ds.get(index);
                    for (int c = 0; c < 2; c++) {
                        for (int y = 0; y < 3; y++) {
                            for (int x = 0; x < 4; x++) {
                                assertEquals(s.image().get(c, x, y), b.images[((n * 2 + c) * 3 + y) * 4 + x]);
                            }
                        }
                    }
                    for (int y = 0; y < 3; y++) {
                        for (int x = 0; x < 4; x++) {
                            assertEquals(s.target().get(x, y), b.targets[(n * 3 + y) * 4 + x]);
                        }
                    }
                }
            }
        }
        try (BatchLoader drop = new BatchLoader(ds, null, new BatchLoader.Config(3, false, true, 1, 0, 1))) {
            assertEquals(2, all(drop.epoch(0)).size());
        }
    }

    @Test
    void shuffledEpochsArePermutationsThatDiffer() {
        InMemoryDataset ds = dataset(20, 1, 2, 2);
        try (BatchLoader loader = new BatchLoader(ds, null, new BatchLoader.Config(6, true, false, 5, 1, 1))) {
            int[][] orders = new int[2][];
            for (int e = 0; e < 2; e++) {
                int[] seen = all(loader.epoch(e)).stream().flatMapToInt(b -> Arrays.stream(b.indices)).toArray();
                assertArrayEquals(loader.order(e), seen);
                orders[e] = seen.clone();
                Arrays.sort(seen);
                for (int i = 0; i < 20; i++) {
                    assertEquals(i, seen[i]);
                }
            }
            // Two independent shuffles of 20 agree with probability 1/20!.
            assertFalse(Arrays.equals(orders[0], orders[1]));
        }
    }

    private static Augmentation pipeline() {
        return AugmentationPipeline.builder()
                .add(Augmentations.flipHorizontal(), 0.5)
                .add(Augmentations.rotate90(), 0.5)
                .add(new ElasticDeformation(3, 4.0, ElasticDeformation.Interpolation.BILINEAR), 0.7)
                .add(Augmentations.cropOrPad(10, 8, 0f, 0))
                .add(Augmentations.brightness(0.1), 0.5)
                .add(Augmentations.gaussianNoise(0.05))
                .build();
    }

    private static List<Batch> run(SegmentationDataset ds, long seed, int threads, int epoch) {
        try (BatchLoader loader = new BatchLoader(ds, pipeline(), new BatchLoader.Config(4, true, false, seed, threads,
                3))) {
            return all(loader.epoch(epoch));
        }
    }

    @Test
    void batchesAreTheSameForASeedWhateverTheThreadCount() {
        // Samples of different sizes, brought to 10x8 by the crop-or-pad step.
        Random rng = new Random(9);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            samples.add(TestSamples.random(rng, 2, 6 + rng.nextInt(10), 6 + rng.nextInt(10), 3));
        }
        InMemoryDataset ds = new InMemoryDataset(samples, 3);
        for (int epoch = 0; epoch < 2; epoch++) {
            List<Batch> reference = run(ds, 77, 0, epoch);
            assertEquals(4, reference.size());
            for (int threads : new int[] {1, 3}) {
                List<Batch> other = run(ds, 77, threads, epoch);
                assertEquals(reference.size(), other.size());
                for (int k = 0; k < reference.size(); k++) {
                    assertArrayEquals(reference.get(k).indices, other.get(k).indices);
                    assertArrayEquals(reference.get(k).images, other.get(k).images, threads + " threads, batch " + k);
                    assertArrayEquals(reference.get(k).targets, other.get(k).targets);
                }
            }
        }
        assertFalse(Arrays.equals(run(ds, 77, 2, 0).get(0).images, run(ds, 78, 2, 0).get(0).images));
    }

    @Test
    void workerExceptionsReachTheCallerWithTheirType() {
        InMemoryDataset good = dataset(6, 1, 3, 3);
        SegmentationDataset bad = new SegmentationDataset() {
            @Override
            public int size() {
                return good.size();
            }

            @Override
            public Sample get(int index) {
                if (index == 4) {
                    throw new DatasetException(Path.of("broken-4.png"), "cannot read broken-4.png");
                }
                return good.get(index);
            }

            @Override
            public int numClasses() {
                return 3;
            }

            @Override
            public int channels() {
                return 1;
            }
        };
        try (BatchLoader loader = new BatchLoader(bad, null, new BatchLoader.Config(2, false, false, 1, 2, 2))) {
            Iterator<Batch> it = loader.epoch(0);
            it.next();
            it.next();
            DatasetException e = assertThrows(DatasetException.class, it::next);
            assertEquals(Path.of("broken-4.png"), e.file());
        }
    }

    @Test
    void samplesOfDifferentSizesNeedACrop() {
        List<Sample> samples = List.of(TestSamples.random(new Random(1), 1, 4, 4, 2),
                TestSamples.random(new Random(2), 1, 5, 4, 2));
        InMemoryDataset ds = new InMemoryDataset(samples, 2);
        try (BatchLoader loader = new BatchLoader(ds, null, new BatchLoader.Config(2, false, false, 1, 1, 1))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> loader.epoch(0).next());
            assertTrue(e.getMessage().contains("sample 1") && e.getMessage().contains("crop"), e.getMessage());
        }
    }

    private static long liveThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix) && t.isAlive()).count();
    }

    @Test
    void closeStopsTheWorkerThreads() {
        InMemoryDataset ds = dataset(8, 1, 3, 3);
        BatchLoader loader = new BatchLoader(ds, null, new BatchLoader.Config(2, true, false, 1, 3, 2));
        String prefix = "batch-loader-" + Integer.toHexString(System.identityHashCode(loader)) + "-";
        Iterator<Batch> it = loader.epoch(0);
        it.next();
        assertTrue(liveThreads(prefix) > 0, "workers run while the loader is open");
        loader.close();
        assertEquals(0, liveThreads(prefix));
        assertFalse(it.hasNext());
        assertThrows(IllegalStateException.class, () -> loader.epoch(1));
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader.Config(0, true, true, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader.Config(1, true, true, 1, -1, 1));
    }
}
