package org.segmentation.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.task.TrainedUNet;

/**
 * {@code seg spark segment}, {@code evaluate} and {@code train} end to end on {@code local[2]}: a few 32 px
 * synthetic cell images, a tiny U-Net and a handful of steps, so that the class stays within seconds of Spark's
 * start-up.
 */
class SparkCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode json(SegCliTest.Result r) throws IOException {
        assertEquals(0, r.code(), r.err());
        return JSON.readTree(r.out().strip());
    }

    @Test
    void segmentsAndEvaluatesAFolder() throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        Path masks = Files.createDirectories(dir.resolve("masks"));
        SyntheticCells cells = new SyntheticCells(new SyntheticCells.Config(32, 32, 1, 4, 0.5, 0.5, 0.03, 0.2));
        for (int i = 0; i < 6; i++) {
            SyntheticCells.Cells c = cells.generate(1, i);
            ImageFiles.writePng(ConvertImage.toU8(c.image().channel(0), 255f, null), images.resolve("c" + i + ".png"));
            ImageFiles.writeLabels(c.threeClass(), masks.resolve("c" + i + ".png"));
        }
        Files.writeString(images.resolve("broken.png"), "not a png");
        Path out = dir.resolve("labels");
        JsonNode s = json(SegCliTest.run("spark", "segment", images.toString(), "--master", "local[2]", "-o",
                out.toString(), "-a", "multi-otsu", "--partitions", "2", "--json"));
        assertEquals(7, s.get("images").asLong());
        assertEquals(1, s.get("errors").asLong(), "the broken file is reported, the job goes on");
        assertEquals("local[2]", s.get("master").asText());
        assertTrue(Files.isRegularFile(out.resolve("c5.labels.png")));

        Files.delete(images.resolve("broken.png"));
        JsonNode e = json(SegCliTest.run("spark", "evaluate", "--master", "local[2]", "--predictions", out.toString(),
                "--masks", masks.toString(), "--classes", "3", "--json"));
        assertEquals(6 * 32 * 32, e.get("pixels").asLong());
        double miou = e.get("mean_iou").asDouble();
        assertTrue(miou > 0 && miou < 1, e.toString());
    }

    @Test
    void trainsWritesAModelAndResumes() throws IOException {
        String[] args = {"spark", "train", "--master", "local[2]", "--synthetic-cells", "8", "--size", "32",
            "--depth", "2", "--base-filters", "4", "--batch-size", "2", "--steps", "4", "--workers", "2",
            "--local-steps", "2", "-o", dir.resolve("run").toString(), "--json"};
        JsonNode first = json(SegCliTest.run(args));
        assertEquals(2, first.get("rounds").asLong());
        assertEquals(2, first.get("rounds_this_run").asLong());
        TrainedUNet model = TrainedUNet.load(dir.resolve("run"));
        assertEquals(3, model.classNames().size());

        JsonNode again = json(SegCliTest.run(args));
        assertEquals(0, again.get("rounds_this_run").asLong(), "every round was done: the rerun resumes at the end");
    }

    @Test
    void refusesTwoSources() {
        SegCliTest.Result r = SegCliTest.run("spark", "segment", "x", "-o", dir.toString(), "-a", "otsu", "-m", "y");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("exactly one of --algorithm and --model"), r.err());
    }
}
