package org.segmentation.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.segmentation.nn.testutil.Peers;

class TexturedCompositesTest {
    private static final TexturedComposites GENERATOR = new TexturedComposites(TexturedComposites.Config.defaults());

    @Test
    void sameSeedSameImage() {
        Sample a = GENERATOR.generate(11);
        Sample b = GENERATOR.generate(11);
        assertArrayEquals(a.image().data, b.image().data);
        assertArrayEquals(a.target().data, b.target().data);
        assertFalse(Arrays.equals(a.image().data, GENERATOR.generate(12).image().data));
    }

    @Test
    void targetsAndInstancesAreConsistent() {
        InMemoryDataset ds = GENERATOR.dataset(12, 5);
        assertEquals(TexturedComposites.NUM_CLASSES, ds.numClasses());
        assertEquals(TexturedComposites.NUM_CLASSES, TexturedComposites.CLASS_NAMES.size());
        boolean[] classSeen = new boolean[11];
        for (int s = 0; s < ds.size(); s++) {
            Sample sample = ds.get(s);
            int n = sample.instances().maxLabel();
            assertTrue(n >= 1, "sample " + s + " shows no item");
            int[] classOf = new int[n + 1];
            for (int i = 0; i < sample.target().data.length; i++) {
                int t = sample.target().data[i];
                int id = sample.instances().data[i];
                assertTrue(t >= 0 && t <= 10);
                assertEquals(t != 0, id != 0, "items are labelled in both maps");
                if (id != 0) {
                    // One pasted item has one class.
                    assertTrue(classOf[id] == 0 || classOf[id] == t, "instance " + id + " has two classes");
                    classOf[id] = t;
                }
                classSeen[t] = true;
                float v = sample.image().data[i];
                assertTrue(v >= 0f && v <= 1f);
            }
            for (int id = 1; id <= n; id++) {
                assertTrue(classOf[id] != 0, "instance ids are 1..n without gaps; " + id + " is missing");
            }
        }
        int classes = 0;
        for (int c = 1; c <= 10; c++) {
            classes += classSeen[c] ? 1 : 0;
        }
        // 12 images of 2 to 6 uniformly drawn classes: fewer than 5 distinct classes is very unlikely.
        assertTrue(classes >= 5, classes + " classes seen");
        assertTrue(classSeen[0]);
    }

    @Test
    void bundledItemsAreTheFirstHundredTestItemsOfEachClass() throws IOException {
        Path images = Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
        Path labels = Path.of("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
        Peers.require(Files.exists(images) && Files.exists(labels), "Fashion-MNIST is not installed");
        byte[] img = gunzip(Files.newInputStream(images));
        byte[] lab = gunzip(Files.newInputStream(labels));
        byte[] bundled = gunzip(TexturedComposites.class.getResourceAsStream("fashion-mnist-subset.bin.gz"));
        assertEquals(1000 * 784, bundled.length);
        int[] taken = new int[10];
        for (int i = 0; i < 10000; i++) {
            int c = lab[8 + i];
            if (taken[c] < 100) {
                int dst = (c * 100 + taken[c]) * 784;
                assertArrayEquals(Arrays.copyOfRange(img, 16 + i * 784, 16 + (i + 1) * 784),
                        Arrays.copyOfRange(bundled, dst, dst + 784), "class " + c + " item " + taken[c]);
                taken[c]++;
            }
        }
    }

    private static byte[] gunzip(InputStream raw) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(raw)) {
            return in.readAllBytes();
        }
    }
}
