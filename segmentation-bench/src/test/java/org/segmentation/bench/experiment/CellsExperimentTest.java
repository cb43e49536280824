package org.segmentation.bench.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.bench.cli.SegCli;
import org.segmentation.core.io.ImageFiles;

/** A tiny run of the cells experiment: the protocol end to end, not the acceptance numbers (see the README). */
class CellsExperimentTest {
    private static final CellsExperiment.Config TINY = new CellsExperiment.Config(8, 3, 2, 4, 4, 32, 6, 2e-3, 3, 5);

    @Test
    void aTinyRunScoresBothMethodsAndWritesItsFiles(@TempDir Path out) throws Exception {
        CellsExperiment.Result r = new CellsExperiment(TINY, false).run(out);
        assertEquals(6, r.steps());
        for (double v : new double[] {r.unetForegroundIoU(), r.unetAp50(), r.classicForegroundIoU(),
                r.classicAp50(), r.validationMeanIoU()}) {
            assertTrue(v >= 0 && v <= 1, "a score in [0, 1], got " + v);
        }
        // The classic pipeline on these images is far from useless, whatever the U-Net learnt in 6 steps.
        assertTrue(r.classicForegroundIoU() > 0.5, "classic foreground IoU " + r.classicForegroundIoU());
        // RSS before training, after steps 1 and 10 (only 6 here: not sampled), at the validations (3, 6).
        assertEquals(java.util.List.of(0L, 1L, 3L, 6L), r.rss().stream().map(CellsExperiment.RssSample::step)
                .toList());
        JsonNode json = new ObjectMapper().readTree(out.resolve(CellsExperiment.JSON_FILE).toFile());
        assertEquals(r.unetAp50(), json.get("unet").get("ap50").asDouble());
        assertEquals(r.classicConfig().minDistance(), json.get("classic").get("min_distance").asInt());
        assertEquals(6, json.get("steps").asInt());
        assertTrue(Files.readString(out.resolve(CellsExperiment.MARKDOWN_FILE)).contains("| U-Net |"));
        for (String f : new String[] {"cells.png", "cells-truth.png", "cells-unet.png", "cells-classic.png"}) {
            assertEquals(128, ImageFiles.info(out.resolve(f)).width(), f);
        }
        assertTrue(Files.size(out.resolve("curves.png")) > 1000);
        assertTrue(Files.exists(out.resolve("model").resolve("config.json")));
    }

    @Test
    void theSameSeedGivesTheSameResult(@TempDir Path a, @TempDir Path b) throws Exception {
        CellsExperiment.Result ra = new CellsExperiment(TINY, false).run(a);
        CellsExperiment.Result rb = new CellsExperiment(TINY, false).run(b);
        assertEquals(ra.unetForegroundIoU(), rb.unetForegroundIoU());
        assertEquals(ra.unetAp50(), rb.unetAp50());
        assertEquals(ra.classicAp50(), rb.classicAp50());
    }

    @Test
    void theCommandHasHelpAndRefusesBadSettingsAsUsageErrors() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, SegCli.run(new PrintWriter(out), new PrintWriter(err), "experiment", "cells", "--help"));
        assertTrue(out.toString().contains("--steps"), out.toString());
        assertEquals(2, SegCli.run(new PrintWriter(out), new PrintWriter(err), "experiment", "cells", "--crop", "30"));
        assertTrue(err.toString().contains("crop"), err.toString());
    }

    @Test
    void badSettingsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CellsExperiment.Config(8, 3, 3, 4, 4, 36, 6, 2e-3, 3, 5));
        assertTrue(e.getMessage().contains("crop"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new CellsExperiment.Config(0, 3, 3, 4, 4, 32, 6, 2e-3, 3, 5));
        assertTrue(e.getMessage().contains("trainImages"), e.getMessage());
    }
}
