package org.segmentation.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.core.label.IgnoreLabel;

class DatasetSplitTest {
    private static InMemoryDataset dataset(int n) {
        Random rng = new Random(n);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            samples.add(TestSamples.random(rng, 1, 3, 2, 2));
        }
        return new InMemoryDataset(samples, 2);
    }

    @Test
    void splitSizesAreDisjointAndCoverTheDataset() {
        InMemoryDataset ds = dataset(10);
        DatasetSplit split = DatasetSplit.random(ds, 0.3, 7);
        assertEquals(7, split.train().size());
        assertEquals(3, split.validation().size());
        boolean[] seen = new boolean[10];
        for (int[] part : new int[][] {split.train().indices(), split.validation().indices()}) {
            for (int i : part) {
                assertFalse(seen[i], "index " + i + " is in both parts");
                seen[i] = true;
            }
        }
        for (boolean s : seen) {
            assertTrue(s);
        }
        int v = split.validation().indices()[1];
        assertSame(ds.get(v), split.validation().get(1));
        assertEquals(2, split.train().numClasses());
    }

    @Test
    void splitIsSeeded() {
        InMemoryDataset ds = dataset(40);
        int[] a = DatasetSplit.random(ds, 0.25, 1).validation().indices();
        int[] b = DatasetSplit.random(ds, 0.25, 1).validation().indices();
        int[] c = DatasetSplit.random(ds, 0.25, 2).validation().indices();
        assertArrayEquals(a, b);
        // Two seeds choosing the same 10 of 40 has probability 1/C(40,10), about 1e-9.
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void everyPartGetsAtLeastOneSample() {
        DatasetSplit s = DatasetSplit.random(dataset(3), 0.01, 1);
        assertEquals(1, s.validation().size());
        assertEquals(2, s.train().size());
        assertEquals(2, DatasetSplit.random(dataset(3), 0.99, 1).validation().size());
        assertThrows(IllegalArgumentException.class, () -> DatasetSplit.random(dataset(1), 0.5, 1));
        assertThrows(IllegalArgumentException.class, () -> DatasetSplit.random(dataset(5), 1.0, 1));
        assertThrows(IllegalArgumentException.class, () -> DatasetSplit.random(dataset(5), Double.NaN, 1));
    }

    @Test
    void inMemoryDatasetValidatesLabelsAndChannels() {
        Sample ok = TestSamples.random(new Random(1), 1, 3, 3, 2);
        Sample three = TestSamples.random(new Random(2), 1, 3, 3, 2);
        three.target().data[4] = 2;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new InMemoryDataset(List.of(ok, three), 2));
        assertTrue(e.getMessage().contains("sample 1") && e.getMessage().contains("label 2"), e.getMessage());
        // The same label is accepted when it is the ignore label.
        assertEquals(IgnoreLabel.of(2), new InMemoryDataset(List.of(ok, three), 2, IgnoreLabel.of(2)).ignoreLabel());
        Sample rgb = TestSamples.random(new Random(3), 3, 3, 3, 2);
        assertThrows(IllegalArgumentException.class, () -> new InMemoryDataset(List.of(ok, rgb), 2));
        assertThrows(IndexOutOfBoundsException.class, () -> dataset(2).get(2));
        assertThrows(IllegalArgumentException.class, () -> new SubsetDataset(dataset(2), new int[] {2}));
    }
}
