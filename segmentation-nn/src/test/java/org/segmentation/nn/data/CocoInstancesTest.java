package org.segmentation.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.image.RgbU8;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.segment.InstanceSegmentation;
import org.segmentation.nn.detect.AnchorGenerator;
import org.segmentation.nn.detect.RoiHeadsConfig;
import org.segmentation.nn.detect.RpnConfig;
import org.segmentation.nn.model.MaskRCNN;
import org.segmentation.nn.model.MaskRCNNConfig;
import org.segmentation.nn.model.MaskRCNNTransform;
import org.segmentation.nn.model.ResNetConfig;
import org.segmentation.nn.predict.InputNormalization;

class CocoInstancesTest {
    @TempDir
    Path dir;

    private void png(String name, int w, int h, long seed) throws Exception {
        Random rng = new Random(seed);
        RgbU8 img = new RgbU8(w, h);
        for (int i = 0; i < img.data.length; i++) {
            img.data[i] = (byte) rng.nextInt(256);
        }
        ImageFiles.writePng(img, dir.resolve(name));
    }

    /** Two images of other sizes, one without instances; categories 3 ("cat") and 7 ("dog"). */
    private Path write() throws Exception {
        png("a.png", 40, 30, 1);
        png("b.png", 48, 36, 2);
        Path json = dir.resolve("instances.json");
        Files.writeString(json, """
                {"images": [{"id": 5, "file_name": "a.png", "width": 40, "height": 30},
                            {"id": 6, "file_name": "b.png", "width": 48, "height": 36}],
                 "categories": [{"id": 7, "name": "dog"}, {"id": 3, "name": "cat"}],
                 "annotations": [
                   {"id": 1, "image_id": 5, "category_id": 3, "segmentation": [[2, 2, 20, 2, 20, 18, 2, 18]]},
                   {"id": 2, "image_id": 5, "category_id": 7, "segmentation": [[15, 10, 38, 10, 38, 28, 15, 28]]}]}
                """);
        return json;
    }

    @Test
    void classesFollowTheCategoriesAndTargetsTheAnnotations() throws Exception {
        CocoInstances data = CocoInstances.open(write(), dir, 3);
        assertEquals(2, data.size());
        assertEquals(List.of("background", "dog", "cat"), data.classNames());
        assertEquals(Map.of(7, 1, 3, 2), data.classOf());
        assertEquals(5L, data.imageId(0));
        MaskRCNN.Target t = data.target(0, DataType.FLOAT);
        assertArrayEquals(new int[] {2, 1}, t.labels());
        assertArrayEquals(new double[] {2, 2, 20, 18, 15, 10, 38, 28}, t.boxes());
        assertEquals(0, data.target(1, DataType.FLOAT).labels().length);
        PlanarF32 b = data.image(1);
        assertEquals(48, b.width);
        assertEquals(3, b.channels);
    }

    /**
     * As training samples: the cat (18x16 = 288 pixels) lies partly on the dog (23x18 = 414), so the shared
     * pixels [15, 20) x [10, 18) are the smaller cat's; the empty image is all background.
     */
    @Test
    void samplesPaintSmallerAnnotationsOverLargerOnes() throws Exception {
        CocoInstances data = CocoInstances.open(write(), dir, 1);
        SegmentationDataset d = data.samples();
        assertEquals(2, d.size());
        assertEquals(3, d.numClasses());
        assertEquals(1, d.channels());
        Sample s = d.get(0);
        assertEquals(1, s.instances().get(16, 12), "shared pixel: the cat, annotation 1");
        assertEquals(2, s.target().get(16, 12), "the cat's class");
        assertEquals(2, s.instances().get(30, 20), "the dog alone");
        assertEquals(1, s.target().get(30, 20), "the dog's class");
        assertEquals(0, s.instances().get(1, 1));
        assertEquals(0, s.instances().get(39, 29));
        int cat = 0;
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                cat += s.instances().get(x, y) == 1 ? 1 : 0;
            }
        }
        assertEquals(18 * 16, cat, "the cat whole");
        Sample empty = d.get(1);
        assertEquals(0, empty.instances().maxLabel());
        assertEquals(0, empty.target().maxLabel());
        assertThrows(IndexOutOfBoundsException.class, () -> d.get(2));
    }

    /**
     * Issue 13: an image without instances trains and predicts fine. A batch of the two images (one empty) goes
     * through the transform into one training step, whose losses are finite, then both are segmented.
     */
    @Test
    void aBatchWithAnEmptyImageTrainsAndPredicts() throws Exception {
        CocoInstances data = CocoInstances.open(write(), dir, 3);
        MaskRCNNConfig c = new MaskRCNNConfig(new ResNetConfig(ResNetConfig.Block.BASIC, new int[] {1, 1, 1, 1},
                new int[] {8, 8, 8, 8}, 8, 3), 16, AnchorGenerator.small(),
                new RpnConfig(150, 100, 80, 50, 0.7, 0.7, 0.3, 64, 0.5, 0.0, 1e-3),
                new RoiHeadsConfig(0.5, 0.5, 64, 0.25, 0.05, 0.5, 10), data.classes(), 32, 8, DataType.FLOAT);
        MaskRCNN model = new MaskRCNN(c, 3);
        MaskRCNNTransform transform = new MaskRCNNTransform(32, 64, InputNormalization.unit(3), 32);
        List<PlanarF32> images = List.of(data.image(0), data.image(1));
        List<MaskRCNN.Target> targets = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            targets.add(data.target(i, DataType.FLOAT));
        }
        MaskRCNNTransform.Batch batch = transform.prepare(images, DataType.FLOAT);
        assertArrayEquals(new int[] {32, 42}, batch.sizes()[0]);
        assertArrayEquals(new int[] {32, 42}, batch.sizes()[1]);
        model.parameters().zeroGradients();
        MaskRCNN.Losses l = model.trainStep(batch.tensor(), batch.sizes(), transform.targets(targets, batch),
                new Random(1));
        assertTrue(Double.isFinite(l.total()) && l.mask() > 0, l.toString());
        List<InstanceSegmentation> found = transform.segment(model, images, 0.5);
        assertEquals(40, found.get(0).labels().width);
        assertEquals(36, found.get(1).labels().height);
    }

    @Test
    void anImageOfAnotherSizeThanTheJsonSaysIsATypedError() throws Exception {
        Path json = write();
        png("b.png", 47, 36, 2);
        CocoInstances data = CocoInstances.open(json, dir, 1);
        DatasetException e = assertThrows(DatasetException.class, () -> data.image(1));
        assertTrue(e.getMessage().contains("the image is 47x36, the COCO file says 48x36 (image 6)"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CocoInstances.open(json, dir, 2));
    }
}
