package org.segmentation.bench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.bench.cli.SegCliTest.Result;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.io.NpyFiles;
import org.segmentation.core.io.Tensor;
import org.segmentation.core.label.LabelOps;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.predict.InstanceConfig;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;
import org.segmentation.nn.task.TrainedUNet;
import org.segmentation.nn.train.TrainingHistory;

/**
 * {@code seg train} and {@code seg predict} end to end on tiny U-Nets (depth 2, 4 filters, 32 px synthetic
 * cells, a handful of steps), so the whole class stays within seconds.
 */
class TrainCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Tiny: 8 images, 2 held out, 6 trained in batches of 2 = 3 steps per epoch. */
    private static final String[] TINY = {"train", "--synthetic", "cells", "--count", "8", "--size", "32", "--depth", "2",
        "--base-filters", "4", "--batch-size", "2", "--val-fraction", "0.25", "--seed", "7", "--threads", "0"};

    @TempDir
    static Path shared;
    static Path trained;
    static JsonNode trainJson;

    @TempDir
    Path dir;

    @BeforeAll
    static void trainTinyModel() throws IOException {
        trained = shared.resolve("run");
        Result r = SegCliTest.run(concat(TINY, "--epochs", "2", "--out", trained.toString(), "--json"));
        trainJson = oneJson(r);
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static JsonNode oneJson(Result r) throws IOException {
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().strip().lines().count(), "one JSON line: " + r.out());
        return JSON.readTree(r.out());
    }

    private static void assertOneLineFailure(Result r, int code, String... fragments) {
        assertEquals(code, r.code(), r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), f + " in: " + r.err());
        }
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
        if (code == SegCli.EXIT_FAILURE) {
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void helpOfTrainAndPredict() {
        Result t = SegCliTest.run("train", "--help");
        assertEquals(0, t.code());
        for (String s : new String[] {"--data", "--synthetic", "--val-fraction", "--depth", "--base-filters",
            "--batch-size", "--epochs", "--steps", "--lr", "--optimizer", "--loss", "--[no-]augment", "--out",
            "--resume", "--threads", "--json"}) {
            assertTrue(t.out().contains(s), s + " in\n" + t.out());
        }
        Result p = SegCliTest.run("predict", "--help");
        assertEquals(0, p.code());
        for (String s : new String[] {"--model", "IMAGE", "--probabilities", "--tile", "--overlap", "--tta",
            "--instances", "--json"}) {
            assertTrue(p.out().contains(s), s + " in\n" + p.out());
        }
    }

    @Test
    void trainWritesModelCheckpointsHistoryCurvesAndJson() throws IOException {
        assertEquals("unet", trainJson.get("algorithm").asText());
        assertEquals(32, trainJson.get("width").asInt());
        assertEquals(32, trainJson.get("height").asInt());
        assertEquals(2, trainJson.get("epochs").asInt());
        assertEquals(6, trainJson.get("steps").asInt());
        assertTrue(trainJson.get("millis").asDouble() > 0);
        assertEquals(trainJson.get("millis").asDouble() / 1000 / (6 * 2), // 6 steps of --batch-size 2
                trainJson.get("seconds_per_image").asDouble(), 1e-9);
        double loss = trainJson.get("final_loss").asDouble();
        assertTrue(loss > 0 && loss < 5, "cross-entropy of 3 classes near ln 3 = 1.10 at the start: " + loss);
        for (String m : new String[] {"best_metric", "mean_iou", "dice", "pixel_accuracy"}) {
            double v = trainJson.get(m).asDouble(Double.NaN);
            assertTrue(v >= 0 && v <= 1, m + " = " + v);
        }
        // The final model is the last checkpoint's weights: the final validation equals the last recorded one.
        TrainingHistory h = TrainingHistory.read(trained.resolve(TrainingHistory.JSON_FILE));
        assertEquals(6, h.size());
        assertEquals(2, h.validations().size());
        assertEquals(h.validations().get(1).meanIoU(), trainJson.get("mean_iou").asDouble(), 1e-9);
        for (String f : new String[] {"model/config.json", "last/config.json", "best/config.json",
            TrainingHistory.STEPS_CSV, TrainingHistory.VALIDATION_CSV, "curves.png"}) {
            assertTrue(Files.isRegularFile(trained.resolve(f)), f);
        }
        BufferedImage curves = ImageIO.read(trained.resolve("curves.png").toFile());
        assertEquals(1280, curves.getWidth());
        assertEquals(440, curves.getHeight());
        UNet model = UNet.load(trained.resolve("model"));
        assertEquals(3, model.outputChannels());
        assertEquals(1, model.inputChannels());
    }

    /** A synthetic 32x32 cell image saved as 8-bit gray PNG. */
    private Path savedCellImage() throws IOException {
        SyntheticCells gen = new SyntheticCells(new SyntheticCells.Config(32, 32, 2, 4, 0.5, 1.0, 0.03, 0.3));
        PlanarF32 img = gen.generate(99).image();
        Path file = dir.resolve("cells.png");
        ImageFiles.writePng(ConvertImage.toU8(img.channel(0), 255f, null), file);
        return file;
    }

    @Test
    void predictMatchesThePredictorOnTheSameModel() throws IOException {
        Path image = savedCellImage();
        Path out = dir.resolve("pred");
        UNet model = UNet.load(trained.resolve("model"));
        PlanarF32 input = ConvertImage.toUnitPlanar(ImageFiles.readBufferedImage(image, ImageFiles.DEFAULT_MAX_PIXELS),
                1);
        Predictor direct = new Predictor(model, PredictorConfig.wholeImage());

        JsonNode classes = oneJson(SegCliTest.run("predict", "--model", trained.toString(), image.toString(),
                "--out", out.toString(), "--json", "--probabilities"));
        LabelMap expected = direct.labels(input);
        assertEquals("unet", classes.get("algorithm").asText());
        assertEquals(32, classes.get("width").asInt());
        assertEquals(32, classes.get("height").asInt());
        assertEquals(LabelOps.countRegions(expected), classes.get("regions").asInt());
        assertArrayEquals(expected.data, ImageFiles.readLabels(out.resolve("cells.labels.png")).data);
        // The task-level API on the same file gives the same labels as the command line.
        TrainedUNet api = TrainedUNet.load(trained);
        assertArrayEquals(api.segment(image).data, ImageFiles.readLabels(out.resolve("cells.labels.png")).data);
        assertEquals(2, new ObjectMapper().readTree(trained.resolve("model").resolve("config.json").toFile())
                .get("format_version").intValue(), "seg train records the normalisation (format version 2)");
        assertTrue(Files.isRegularFile(out.resolve("cells.overlay.png")));
        Tensor probs = NpyFiles.read(out.resolve("cells.probabilities.npy"));
        assertArrayEquals(new long[] {3, 32, 32}, probs.shape());

        JsonNode cells = oneJson(SegCliTest.run("predict", "--model", trained.resolve("model").toString(),
                image.toString(), "--out", out.toString(), "--json", "--instances"));
        LabelMap expectedCells = direct.instances(input, InstanceConfig.defaults());
        assertEquals(LabelOps.countRegions(expectedCells), cells.get("regions").asInt());
        assertArrayEquals(expectedCells.data, ImageFiles.readLabels(out.resolve("cells.labels.png")).data);

        // Tiles of 16 with an overlap of 8 and flips go through the Predictor's tiled path.
        JsonNode tiled = oneJson(SegCliTest.run("predict", "--model", trained.toString(), image.toString(),
                "--out", out.toString(), "--json", "--tile", "16", "--overlap", "8", "--tta"));
        Predictor tiledDirect = new Predictor(model, PredictorConfig.tiled(16).withTileOverlap(8).withFlipTta(true));
        LabelMap expectedTiled = tiledDirect.labels(input);
        assertEquals(LabelOps.countRegions(expectedTiled), tiled.get("regions").asInt());
        assertArrayEquals(expectedTiled.data, ImageFiles.readLabels(out.resolve("cells.labels.png")).data);
    }

    @Test
    void evaluateScoresTheTrainedModel() throws IOException {
        JsonNode classes = oneJson(SegCliTest.run("evaluate", "--synthetic", "cells", "--count", "2", "--size",
                "32", "--model", trained.toString(), "-a", "unet", "--warmup", "0", "--json"));
        assertEquals("unet", classes.get("algorithm").asText());
        assertEquals("classes", classes.get("algorithms").get(0).get("output").asText());
        double iou = classes.get("mean_iou").asDouble(Double.NaN);
        assertTrue(iou >= 0 && iou <= 1, "mean IoU " + iou);

        JsonNode cells = oneJson(SegCliTest.run("evaluate", "--synthetic", "cells", "--count", "2", "--size", "32",
                "--model", trained.toString(), "--instances", "-a", "unet-instances", "-a", "otsu", "--warmup", "0",
                "--json"));
        JsonNode unet = cells.get("algorithms").get(0);
        assertEquals("unet-instances", unet.get("algorithm").asText());
        assertEquals("instances", unet.get("output").asText());
        double ap = unet.get("ap50").asDouble(Double.NaN);
        assertTrue(ap >= 0 && ap <= 1, "AP@0.5 " + ap);
        assertEquals("otsu", cells.get("algorithms").get(1).get("algorithm").asText());

        assertOneLineFailure(SegCliTest.run("evaluate", "--synthetic", "cells", "--instances"), 2, "--model");
        Path missing = dir.resolve("missing-model");
        assertOneLineFailure(SegCliTest.run("evaluate", "--synthetic", "cells", "--model", missing.toString()), 1,
                missing.toString());
    }

    @Test
    void resumeContinuesFromTheLastCheckpoint() throws IOException {
        Path out = dir.resolve("resumed");
        JsonNode first = oneJson(SegCliTest.run(concat(TINY, "--epochs", "1", "--out", out.toString(), "--json")));
        assertEquals(3, first.get("steps").asInt());
        JsonNode second = oneJson(SegCliTest.run(concat(TINY, "--epochs", "2", "--resume",
                out.resolve("last").toString(), "--json")));
        assertEquals(6, second.get("steps").asInt());
        assertEquals(2, second.get("epochs").asInt());
        TrainingHistory h = TrainingHistory.read(out.resolve(TrainingHistory.JSON_FILE));
        assertArrayEquals(new long[] {1, 2, 3, 4, 5, 6}, h.steps());
        // Resuming is exact (the Trainer's own tests check it bit for bit): the resumed run's history equals
        // the uninterrupted 2-epoch run's, which had the same seed and options.
        TrainingHistory full = TrainingHistory.read(trained.resolve(TrainingHistory.JSON_FILE));
        assertArrayEquals(full.losses(), h.losses(), 1e-6);
    }

    @Test
    void badInputsGiveExitCodesAndOneLine() throws IOException {
        Path missing = dir.resolve("no-such-folder");
        assertOneLineFailure(SegCliTest.run("train", "--data", missing.toString(), "--out", dir.toString()), 1,
                missing.toString());
        assertOneLineFailure(SegCliTest.run(concat(TINY, "--out", dir.toString(), "--loss", "hinge")), 2, "--loss");
        assertOneLineFailure(SegCliTest.run(concat(TINY)), 2, "--out");
        assertOneLineFailure(SegCliTest.run("train", "--out", dir.toString()), 2);
        assertOneLineFailure(SegCliTest.run("train", "--synthetic", "cells", "--size", "30", "--depth", "2", "--out",
                dir.toString()), 2, "multiple");
        assertOneLineFailure(SegCliTest.run(concat(TINY, "--resume", missing.toString())), 1, missing.toString());

        Path image = savedCellImage();
        assertOneLineFailure(SegCliTest.run("predict", "--model", missing.toString(), image.toString()), 1,
                missing.toString());
        Path corrupt = dir.resolve("corrupt");
        Files.createDirectories(corrupt);
        Files.writeString(corrupt.resolve("config.json"), "{ not json");
        assertOneLineFailure(SegCliTest.run("predict", "--model", corrupt.toString(), image.toString(), "--out",
                dir.toString()), 1, corrupt.toString());
        Path noImage = dir.resolve("none.png");
        assertOneLineFailure(SegCliTest.run("predict", "--model", trained.toString(), noImage.toString(), "--out",
                dir.toString()), 1, noImage.toString());
        assertOneLineFailure(SegCliTest.run("predict", "--model", trained.toString()), 2);
        assertOneLineFailure(SegCliTest.run("predict", "--model", trained.toString(), image.toString(), "--tile",
                "10"), 2, "tile");
        Result verbose = SegCliTest.run("predict", "--verbose", "--model", missing.toString(), image.toString());
        assertEquals(1, verbose.code());
        assertTrue(verbose.err().contains("\tat "), "stack trace with --verbose: " + verbose.err());
        assertTrue(List.of(dir.toFile().list()).contains("cells.png"));
    }
}
