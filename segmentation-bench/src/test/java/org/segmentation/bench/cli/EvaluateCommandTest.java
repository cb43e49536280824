package org.segmentation.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.bench.cli.SegCliTest.Result;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.metrics.ConfusionMatrix;
import org.segmentation.core.segment.Baselines;
import org.segmentation.core.segment.SegmenterInput;
import org.segmentation.nn.data.Sample;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.SyntheticCells;

class EvaluateCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static Result run(String... args) {
        return SegCliTest.run(args);
    }

    @Test
    void helpDescribesTheOptions() {
        Result r = run("evaluate", "--help");
        assertEquals(0, r.code());
        for (String option : new String[] {"--data", "--synthetic", "--algorithm", "--out", "--json", "--warmup"}) {
            assertTrue(r.out().contains(option), option + " in\n" + r.out());
        }
    }

    @Test
    void jsonOnSyntheticCellsMatchesMetricsComputedDirectly() throws Exception {
        Result r = run("evaluate", "--synthetic", "cells", "--count", "2", "--seed", "5", "--size", "32",
                "--algorithm", Baselines.MEAN_THRESHOLD, "--algorithm", Baselines.ALL_BACKGROUND, "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().strip().lines().count(), "one JSON object on one line: " + r.out());
        JsonNode root = JSON.readTree(r.out());

        // The same data, made directly: the generator's defaults at 32x32, as --size documents.
        SyntheticCells.Config d = SyntheticCells.Config.defaults();
        SegmentationDataset data = new SyntheticCells(new SyntheticCells.Config(32, 32, d.minCells(), d.maxCells(),
                d.touchingFraction(), d.blurSigma(), d.noiseSigma(), d.illumination())).dataset(2, 5L);
        // The mean threshold is a foreground segmenter: scored on background vs. cell pixels, pooled.
        ConfusionMatrix fg = new ConfusionMatrix(2);
        // The all-background baseline is a class-map segmenter: scored on the 3 classes.
        ConfusionMatrix classes = new ConfusionMatrix(3);
        for (int i = 0; i < data.size(); i++) {
            Sample s = data.get(i);
            LabelMap pred = Baselines.meanThreshold().segment(new SegmenterInput("#" + i, s.image()));
            LabelMap truthFg = new LabelMap(32, 32);
            for (int p = 0; p < truthFg.data.length; p++) {
                truthFg.data[p] = s.target().data[p] != 0 ? 1 : 0;
            }
            fg.add(truthFg, pred);
            classes.add(s.target(), new LabelMap(32, 32));
        }

        assertEquals(Baselines.MEAN_THRESHOLD, root.get("algorithm").asText());
        assertEquals(32, root.get("width").asInt());
        assertEquals(32, root.get("height").asInt());
        assertTrue(root.get("millis").asDouble() >= 0, root.toString());
        // Same integer counts, same formulas: the doubles agree to rounding (JSON keeps all 17 digits).
        double eps = 1e-12;
        assertEquals(fg.meanIoU(), root.get("mean_iou").asDouble(), eps);
        assertEquals(fg.meanDice(), root.get("dice").asDouble(), eps);
        assertEquals(fg.pixelAccuracy(), root.get("pixel_accuracy").asDouble(), eps);

        JsonNode second = root.get("algorithms").get(1);
        assertEquals(Baselines.ALL_BACKGROUND, second.get("algorithm").asText());
        assertEquals(classes.meanIoU(), second.get("mean_iou").asDouble(), eps);
        assertEquals(classes.meanDice(), second.get("dice").asDouble(), eps);
        assertEquals(classes.pixelAccuracy(), second.get("pixel_accuracy").asDouble(), eps);
        assertEquals(2, root.get("algorithms").size());
    }

    @Test
    void outWritesTheThreeReportsAndTheTextSummaryNamesThem() throws Exception {
        Path out = dir.resolve("report");
        Result r = run("evaluate", "--synthetic", "composites", "--count", "1", "--size", "48", "--out",
                out.toString());
        assertEquals(0, r.code(), r.err());
        java.util.List<String> names = org.segmentation.classic.segment.ClassicSegmenters.registry().names();
        for (String name : names) {
            assertTrue(r.out().contains(name), "every registered segmenter runs by default: " + r.out());
        }
        assertTrue(r.out().contains("wrote evaluation.json"), r.out());
        JsonNode json = JSON.readTree(out.resolve("evaluation.json").toFile());
        assertEquals(11, json.get("num_classes").asInt());
        assertTrue(Files.readString(out.resolve("evaluation.md")).contains("| " + Baselines.ALL_BACKGROUND));
        // ReportChart: 560 px high with a one-line legend, else one more 24 px line per algorithm.
        int height = ImageIO.read(out.resolve("evaluation.png").toFile()).getHeight();
        assertTrue(height == 560 || height == 560 + 24 * names.size(), "height " + height);
    }

    @Test
    void folderDataIsEvaluatedWithFileNamesAsIds() throws Exception {
        Path data = dir.resolve("pairs");
        // A bright square on black: the mean threshold finds it exactly.
        int[] mask = new int[8 * 8];
        for (int y = 2; y < 6; y++) {
            for (int x = 2; x < 6; x++) {
                mask[y * 8 + x] = 1;
            }
        }
        writeGray(data.resolve("images/one.png"), 8, 8, mask, 200);
        writeGray(data.resolve("masks/one.png"), 8, 8, mask, 1);
        Path out = dir.resolve("out");
        Result r = run("evaluate", "--data", data.toString(), "-a", Baselines.MEAN_THRESHOLD, "--json", "--out",
                out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode root = JSON.readTree(r.out());
        assertEquals(1.0, root.get("mean_iou").asDouble(), 0.0);
        assertEquals(1.0, root.get("pixel_accuracy").asDouble(), 0.0);
        JsonNode rows = JSON.readTree(out.resolve("evaluation.json").toFile()).get("algorithms").get(0)
                .get("per_image");
        assertEquals("one.png", rows.get(0).get("id").asText());
    }

    @Test
    void missingDataFolderIsOneLineNamingIt() {
        Path missing = dir.resolve("no-such-folder");
        Result r = run("evaluate", "--data", missing.toString(), "--json");
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(missing.toString()), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        assertEquals("", r.out(), "nothing on stdout when failing");
    }

    @Test
    void corruptImageIsOneLineNamingTheFile() throws Exception {
        Path data = dir.resolve("pairs");
        int[] mask = new int[16];
        mask[5] = 1;
        writeGray(data.resolve("images/good.png"), 4, 4, mask, 255);
        writeGray(data.resolve("masks/good.png"), 4, 4, mask, 1);
        writeGray(data.resolve("masks/broken.png"), 4, 4, mask, 1);
        Files.write(data.resolve("images/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Result r = run("evaluate", "--data", data.toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("broken.png"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());

        Result verbose = run("evaluate", "--verbose", "--data", data.toString());
        assertEquals(1, verbose.code());
        assertTrue(verbose.err().contains("\tat "), "--verbose prints the stack trace");
    }

    @Test
    void unknownAlgorithmIsAUsageErrorNamingIt() {
        Result r = run("evaluate", "--synthetic", "cells", "--count", "1", "--algorithm", "no-such-algo");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'no-such-algo'") && r.err().contains(Baselines.MEAN_THRESHOLD), r.err());
    }

    @Test
    void dataAndSyntheticAreExclusiveAndOneIsRequired() {
        assertEquals(2, run("evaluate").code());
        assertEquals(2, run("evaluate", "--data", dir.toString(), "--synthetic", "cells").code());
        assertEquals(2, run("evaluate", "--synthetic", "squares").code());
        assertEquals(2, run("evaluate", "--synthetic", "cells", "--count", "0").code());
        Result twice = run("evaluate", "--synthetic", "cells", "-a", Baselines.ALL_BACKGROUND, "-a",
                Baselines.ALL_BACKGROUND);
        assertEquals(2, twice.code());
        assertTrue(twice.err().contains("given twice"), twice.err());
    }

    @Test
    void listShowsTheRegisteredSegmenters() {
        Result r = run("evaluate", "--list");
        assertEquals(0, r.code());
        assertTrue(r.out().contains(Baselines.MEAN_THRESHOLD) && r.out().contains("baseline"), r.out());
    }

    /** Writes an 8-bit gray PNG whose pixel is {@code scale * values[i]}. */
    private static void writeGray(Path file, int w, int h, int[] values, int scale) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < w * h; i++) {
            img.getRaster().setSample(i % w, i / w, 0, values[i] * scale);
        }
        ImageIO.write(img, "png", file.toFile());
    }

    /**
     * Two 4x5 images. Image 1: a cell (category 1) found exactly. Image 2: a blob (category 2) of 4 pixels found as
     * 2 of them, IoU 0.5, a true positive at threshold 0.5 only. So category 1 has AP 1 and category 2 AP 0.1,
     * AP50 1, AP75 0; the means are 0.55, 1 and 0.5.
     */
    @Test
    void cocoResultsAreScoredWithMaskAp() throws Exception {
        Path truth = dir.resolve("instances.json");
        Files.writeString(truth, """
                {"images": [{"id": 1, "file_name": "a.png", "width": 4, "height": 5},
                            {"id": 2, "file_name": "b.png", "width": 4, "height": 5}],
                 "categories": [{"id": 1, "name": "cell"}, {"id": 2, "name": "blob"}],
                 "annotations": [
                   {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 3, 1, 3, 3, 1, 3]]},
                   {"id": 2, "image_id": 2, "category_id": 2, "segmentation": {"size": [5, 4], "counts": [5, 2, 3, 2, 8]}}]}
                """);
        Path results = dir.resolve("results.json");
        Files.writeString(results, """
                [{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": [[1, 1, 3, 1, 3, 3, 1, 3]]},
                 {"image_id": 2, "category_id": 2, "score": 0.8, "segmentation": {"size": [5, 4], "counts": [5, 2, 13]}}]
                """);
        Result r = run("evaluate", "--coco", truth.toString(), "--coco-results", results.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = JSON.readTree(r.out());
        assertEquals(0.55, o.get("ap").doubleValue(), 1e-12);
        assertEquals(1.0, o.get("ap50").doubleValue(), 1e-12);
        assertEquals(0.5, o.get("ap75").doubleValue(), 1e-12);
        assertEquals(1.0, o.get("per_category").get("1").get("ap").doubleValue(), 1e-12);
        assertEquals("blob", o.get("per_category").get("2").get("name").textValue());
        assertEquals(0.1, o.get("per_category").get("2").get("ap").doubleValue(), 1e-12);

        Result text = run("evaluate", "--coco", truth.toString(), "--coco-results", results.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("2 blob") && text.out().lines().anyMatch(l -> l.startsWith("mean")
                && l.contains("0.5500") && l.contains("1.0000")), text.out());

        Files.writeString(results, "[{\"image_id\": 2, \"category_id\": 3, \"score\": 0.5, \"segmentation\":"
                + " {\"size\": [5, 4], \"counts\": [20]}}]");
        Result bad = run("evaluate", "--coco", truth.toString(), "--coco-results", results.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains(results + ": result 0 (image 2): category 3 is not among the categories"
                + " [1, 2]"), bad.err());
        assertEquals(2, run("evaluate", "--coco", truth.toString()).code());
        assertEquals(2, run("evaluate", "--synthetic", "cells", "--coco-results", results.toString()).code());
    }
}
