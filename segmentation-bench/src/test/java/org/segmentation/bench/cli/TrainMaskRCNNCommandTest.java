package org.segmentation.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.bench.cli.SegCliTest.Result;
import org.segmentation.core.coco.CocoRle;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.Mask;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.segment.InstanceSegmentation;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.task.TrainedMaskRCNN;
import org.segmentation.nn.train.TrainingHistory;

/**
 * {@code seg train --arch maskrcnn} end to end on a few steps of the small Mask R-CNN: on synthetic cells, and on
 * a COCO folder made of synthetic cells followed by {@code seg predict} and {@code seg evaluate --coco}; bad input
 * is a one-line error naming the file or the option.
 */
class TrainMaskRCNNCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode oneJson(Result r) throws Exception {
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().strip().lines().count(), "one JSON line: " + r.out());
        return JSON.readTree(r.out());
    }

    private static void assertOneLineFailure(Result r, int code, String... fragments) {
        assertEquals(code, r.code(), r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), f + " in: " + r.err());
        }
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void trainsOnSyntheticCellsAndWritesModelCheckpointsAndHistory() throws Exception {
        Path run = dir.resolve("run");
        // 5 images, 1 held out, 4 trained in batches of 2: 2 steps per epoch
        JsonNode j = oneJson(SegCliTest.run("train", "--arch", "maskrcnn", "--synthetic", "cells", "--count", "5",
                "--size", "32", "--batch-size", "2", "--val-fraction", "0.2", "--epochs", "1", "--seed", "3",
                "--threads", "0", "--out", run.toString(), "--json"));
        assertEquals("maskrcnn", j.get("algorithm").asText());
        assertEquals(32, j.get("width").asInt());
        assertEquals(1, j.get("epochs").asInt());
        assertEquals(2, j.get("steps").asInt());
        double loss = j.get("final_loss").asDouble();
        assertTrue(loss > 0 && loss < 10, "five losses of an untrained network, each of order 1: " + loss);
        double ap = j.get("ap").asDouble();
        assertTrue(ap >= 0 && ap <= 1, "ap " + ap);
        for (String f : List.of("last/model.safetensors", "last/optimizer.safetensors", "model/config.json",
                TrainingHistory.JSON_FILE, TrainingHistory.STEPS_CSV, TrainingHistory.VALIDATION_CSV, "curves.png")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        }
        TrainingHistory h = TrainingHistory.read(run.resolve(TrainingHistory.JSON_FILE));
        assertEquals(2, h.size());
        assertEquals(1, h.validations().size());
        assertEquals(h.validations().get(0).maskAp(), ap, 1e-12, "the final model is the last validated one");
        TrainedMaskRCNN model = TrainedMaskRCNN.load(run);
        assertEquals(List.of("background", "cell"), model.classNames());
        assertEquals(1, model.network().config().backbone().inputChannels());

        // resuming from last/ with more epochs continues at step 2
        JsonNode more = oneJson(SegCliTest.run("train", "--arch", "maskrcnn", "--synthetic", "cells", "--count", "5",
                "--size", "32", "--batch-size", "2", "--val-fraction", "0.2", "--epochs", "2", "--seed", "3",
                "--threads", "0", "--resume", run.resolve("last").toString(), "--json"));
        assertEquals(4, more.get("steps").asInt());
        assertEquals(4, TrainingHistory.read(run.resolve(TrainingHistory.JSON_FILE)).size());
    }

    /** {@code n} synthetic cell images as PNGs and a COCO instances file with one RLE annotation per cell. */
    private Path cocoFolder(Path root, int n, int size) throws Exception {
        Path images = Files.createDirectories(root.resolve("images"));
        SyntheticCells.Config d = SyntheticCells.Config.defaults();
        SyntheticCells gen = new SyntheticCells(new SyntheticCells.Config(size, size, 2, 4, d.touchingFraction(),
                d.blurSigma(), d.noiseSigma(), d.illumination()));
        ObjectNode coco = JSON.createObjectNode();
        ArrayNode imgs = coco.putArray("images");
        ArrayNode anns = coco.putArray("annotations");
        coco.putArray("categories").addObject().put("id", 1).put("name", "cell");
        int annId = 1;
        for (int i = 0; i < n; i++) {
            SyntheticCells.Cells c = gen.generate(7, i);
            String name = "cells-" + i + ".png";
            GrayU8 gray = new GrayU8(size, size);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    gray.set(x, y, Math.round(Math.max(0, Math.min(1, c.image().get(0, x, y))) * 255));
                }
            }
            ImageFiles.writePng(gray, images.resolve(name));
            imgs.addObject().put("id", 100 + i).put("file_name", name).put("width", size).put("height", size);
            InstanceSegmentation truth = InstanceSegmentation.fromLabels(c.instances(), null);
            for (int k = 0; k < truth.size(); k++) {
                Mask m = truth.mask(k, null);
                ObjectNode a = anns.addObject().put("id", annId++).put("image_id", 100 + i).put("category_id", 1)
                        .put("iscrowd", 0);
                ObjectNode seg = a.putObject("segmentation");
                seg.putArray("size").add(size).add(size);
                seg.put("counts", CocoRle.encode(m).toCompressedString());
            }
        }
        Path json = root.resolve("instances.json");
        JSON.writeValue(json.toFile(), coco);
        return json;
    }

    @Test
    void trainsOnACocoFolderThenPredictsAndEvaluates() throws Exception {
        Path json = cocoFolder(dir.resolve("coco"), 4, 32);
        Path images = dir.resolve("coco").resolve("images");
        Path run = dir.resolve("run");
        JsonNode j = oneJson(SegCliTest.run("train", "--arch", "maskrcnn", "--coco", json.toString(), "--images",
                images.toString(), "--channels", "1", "--batch-size", "2", "--val-fraction", "0.25", "--epochs",
                "1", "--seed", "1", "--threads", "0", "--out", run.toString(), "--json"));
        assertEquals(1, j.get("steps").asInt(), "3 training images in batches of 2, the last dropped");
        TrainedMaskRCNN model = TrainedMaskRCNN.load(run);
        assertEquals(List.of("background", "cell"), model.classNames());

        List<String> predict = new ArrayList<>(List.of("predict", "--model", run.toString()));
        try (var files = Files.list(images)) {
            files.sorted().forEach(p -> predict.add(p.toString()));
        }
        Path results = dir.resolve("results.json");
        predict.addAll(List.of("--out", dir.resolve("pred").toString(), "--coco", results.toString(),
                "--coco-images", json.toString()));
        Result p = SegCliTest.run(predict.toArray(new String[0]));
        assertEquals(0, p.code(), p.err());
        assertTrue(Files.isRegularFile(dir.resolve("pred").resolve("cells-0.instances.png")));
        JsonNode ev = oneJson(SegCliTest.run("evaluate", "--coco", json.toString(), "--coco-results",
                results.toString(), "--json"));
        assertEquals(4, ev.get("images").asInt());
        double ap = ev.get("ap").asDouble();
        assertTrue(ap >= 0 && ap <= 1, ev.toString());
    }

    @Test
    void badInputIsAOneLineErrorNamingTheFileOrOption() throws Exception {
        Path json = cocoFolder(dir.resolve("coco"), 2, 32);
        Path images = dir.resolve("coco").resolve("images");
        Path out = dir.resolve("out");
        assertOneLineFailure(SegCliTest.run("train", "--coco", json.toString(), "--images", images.toString(),
                "--out", out.toString()), 2, "--arch maskrcnn");
        assertOneLineFailure(SegCliTest.run("train", "--arch", "maskrcnn", "--coco", json.toString(), "--out",
                out.toString()), 2, "--images");
        assertOneLineFailure(SegCliTest.run("train", "--arch", "maskrcnn", "--data", dir.toString(), "--out",
                out.toString()), 2, "instance labels");
        Path missing = dir.resolve("nope.json");
        assertOneLineFailure(SegCliTest.run("train", "--arch", "maskrcnn", "--coco", missing.toString(), "--images",
                images.toString(), "--out", out.toString()), 1, "nope.json");
        // an annotation of a category the file does not declare
        String text = Files.readString(json).replaceFirst("\"category_id\":1", "\"category_id\":9");
        Path unknown = dir.resolve("unknown.json");
        Files.writeString(unknown, text);
        assertOneLineFailure(SegCliTest.run("train", "--arch", "maskrcnn", "--coco", unknown.toString(),
                "--images", images.toString(), "--out", out.toString()), 1, "unknown.json", "9");
        // an image the file names but the folder does not hold
        Files.delete(images.resolve("cells-1.png"));
        assertOneLineFailure(SegCliTest.run("train", "--arch", "maskrcnn", "--coco", json.toString(), "--images",
                images.toString(), "--out", out.toString()), 1, "cells-1.png");
    }
}
