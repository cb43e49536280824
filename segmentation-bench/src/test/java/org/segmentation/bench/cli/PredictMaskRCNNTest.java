package org.segmentation.bench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.segmentation.bench.cli.SegCliTest.Result;
import org.segmentation.core.image.LabelMap;
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
import org.segmentation.nn.task.TrainedMaskRCNN;

/** {@code seg predict} with a Mask R-CNN model folder: per-image instance files, overlays and COCO results. */
class PredictMaskRCNNTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void writesInstancesOverlaysAndCocoResultsThatEvaluate() throws Exception {
        MaskRCNNConfig c = new MaskRCNNConfig(new ResNetConfig(ResNetConfig.Block.BASIC, new int[] {1, 1, 1, 1},
                new int[] {8, 8, 8, 8}, 8, 3), 16, AnchorGenerator.small(),
                new RpnConfig(150, 100, 80, 50, 0.7, 0.7, 0.3, 64, 0.5, 0.0, 1e-3),
                new RoiHeadsConfig(0.5, 0.5, 64, 0.25, 0.05, 0.5, 10), 3, 32, 8, DataType.FLOAT);
        TrainedMaskRCNN model = new TrainedMaskRCNN(new MaskRCNN(c, 5), MaskRCNNTransform.imagenet(48, 64),
                List.of("background", "round", "square"));
        Path m = dir.resolve("model");
        model.save(m);
        Random rng = new Random(2);
        Path image = dir.resolve("scene.png");
        RgbU8 rgb = new RgbU8(56, 40);
        for (int i = 0; i < rgb.data.length; i++) {
            rgb.data[i] = (byte) rng.nextInt(256);
        }
        ImageFiles.writePng(rgb, image);
        Path truth = dir.resolve("instances.json");
        Files.writeString(truth, "{\"images\": [{\"id\": 42, \"file_name\": \"sub/scene.png\", \"width\": 56,"
                + " \"height\": 40}], \"categories\": [{\"id\": 1, \"name\": \"round\"}, {\"id\": 2, \"name\":"
                + " \"square\"}], \"annotations\": [{\"id\": 1, \"image_id\": 42, \"category_id\": 1,"
                + " \"segmentation\": [[10, 10, 30, 10, 30, 30, 10, 30]]}]}");
        Path out = dir.resolve("out");
        Path results = dir.resolve("results.json");

        Result r = SegCliTest.run("predict", "--model", m.toString(), image.toString(), "--out", out.toString(),
                "--coco", results.toString(), "--coco-images", truth.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode line = JSON.readTree(r.out().strip());
        assertEquals("maskrcnn", line.get("algorithm").textValue());
        InstanceSegmentation expected = model.segment(model.read(image));
        assertEquals(expected.size(), line.get("instances").intValue());
        assertTrue(expected.size() > 0, "random weights find something to draw");

        LabelMap labels = ImageFiles.readLabels(out.resolve("scene.instances.png"));
        assertArrayEquals(expected.labels().data, labels.data);
        JsonNode inst = JSON.readTree(out.resolve("scene.instances.json").toFile());
        assertEquals(expected.size(), inst.size());
        assertEquals(expected.classes()[0], inst.get(0).get("class").intValue());
        assertEquals(List.of("background", "round", "square").get(expected.classes()[0]),
                inst.get(0).get("class_name").textValue());
        assertEquals(expected.scores()[0], inst.get(0).get("score").doubleValue(), 0);
        assertEquals(expected.boxes()[2], inst.get(0).get("box").get(2).doubleValue(), 0);
        assertTrue(Files.isRegularFile(out.resolve("scene.overlay.png")));
        JsonNode res = JSON.readTree(results.toFile());
        assertEquals(expected.size(), res.size());
        assertEquals(42, res.get(0).get("image_id").intValue());

        Result ev = SegCliTest.run("evaluate", "--coco", truth.toString(), "--coco-results", results.toString(),
                "--json");
        assertEquals(0, ev.code(), ev.err());
        double ap = JSON.readTree(ev.out()).get("ap").doubleValue();
        assertTrue(ap >= 0 && ap <= 1, ev.out());

        Result bad = SegCliTest.run("predict", "--model", m.toString(), image.toString(), "--out", out.toString(),
                "--tile", "32");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("is a Mask R-CNN"), bad.err());
    }
}
