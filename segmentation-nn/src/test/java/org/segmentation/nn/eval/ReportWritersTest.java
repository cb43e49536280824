package org.segmentation.nn.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.core.segment.Baselines;
import org.segmentation.core.segment.Segmenter;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.SyntheticCells;

class ReportWritersTest {
    private static EvaluationReport report;

    @BeforeAll
    static void evaluate() {
        SegmentationDataset cells = new SyntheticCells(new SyntheticCells.Config(48, 48, 3, 5, 0.5, 1.0, 0.03, 0.3))
                .dataset(3, 11L);
        // The instance oracle returns the true instance map, so it scores 1 on every instance metric.
        Segmenter oracle = Segmenter.of("oracle-instances", Segmenter.Output.INSTANCES,
                in -> cells.get(Integer.parseInt(in.id().substring(1))).instances());
        report = new Evaluator(EvaluationConfig.defaults()).evaluate("cells", cells,
                List.of(Baselines.meanThreshold(), Baselines.allBackground(), oracle));
    }

    @Test
    void jsonHasTheFirstAlgorithmAtTopLevelAndEveryAlgorithmInTheArray() throws Exception {
        JsonNode root = new ObjectMapper().readTree(ReportJson.toString(report, false));
        AlgorithmResult first = report.algorithms().get(0);
        assertEquals(Baselines.MEAN_THRESHOLD, root.get("algorithm").asText());
        assertEquals("foreground", root.get("output").asText());
        assertEquals(48, root.get("width").asInt());
        assertEquals(48, root.get("height").asInt());
        assertEquals(3, root.get("images").asInt());
        assertEquals(3, root.get("num_classes").asInt());
        assertTrue(root.get("ignore_label").isNull());
        // Jackson writes doubles with the shortest representation that reads back exactly.
        assertEquals(first.meanMillis(), root.get("millis").asDouble(), 0.0);
        assertEquals(first.get(Metric.MEAN_IOU), root.get("mean_iou").asDouble(), 0.0);
        assertEquals(first.get(Metric.DICE), root.get("dice").asDouble(), 0.0);
        assertEquals(first.get(Metric.PIXEL_ACCURACY), root.get("pixel_accuracy").asDouble(), 0.0);
        assertFalse(root.has("per_image"));

        JsonNode algorithms = root.get("algorithms");
        assertEquals(3, algorithms.size());
        for (int a = 0; a < 3; a++) {
            AlgorithmResult r = report.algorithms().get(a);
            JsonNode o = algorithms.get(a);
            assertEquals(r.algorithm(), o.get("algorithm").asText());
            assertEquals(r.get(Metric.FOREGROUND_IOU), o.get("foreground_iou").asDouble(), 0.0);
            assertEquals(r.perClassIoU().length, o.get("per_class_iou").size());
        }
        JsonNode oracle = algorithms.get(2);
        assertEquals(1.0, oracle.get("ap50").asDouble(), 0.0);
        assertFalse(algorithms.get(0).has("ap50"), "a foreground segmenter has no instance scores");

        JsonNode full = new ObjectMapper().readTree(ReportJson.toString(report, true));
        JsonNode rows = full.get("algorithms").get(1).get("per_image");
        assertEquals(3, rows.size());
        assertEquals("#2", rows.get(2).get("id").asText());
        assertEquals(report.algorithms().get(1).images().get(2).get(Metric.PIXEL_ACCURACY),
                rows.get(2).get("pixel_accuracy").asDouble(), 0.0);
    }

    @Test
    void undefinedScoresAreJsonNullAndMarkdownNaN() throws Exception {
        Map<Metric, Double> m = new EnumMap<>(Metric.class);
        m.put(Metric.MEAN_IOU, Double.NaN);
        ImageResult row = new ImageResult(0, "a|b", 2, 2, 0.5, m);
        EvaluationReport r = new EvaluationReport("empty", 2, IgnoreLabel.of(255), EvaluationConfig.defaults(),
                List.of(new AlgorithmResult("x", Segmenter.Output.CLASSES, List.of(row), m,
                        new double[] {Double.NaN, 1.0})));
        JsonNode root = new ObjectMapper().readTree(ReportJson.toString(r, true));
        assertTrue(root.get("mean_iou").isNull());
        assertTrue(root.get("per_class_iou").get(0).isNull());
        assertEquals(255, root.get("ignore_label").asInt());
        String md = ReportMarkdown.toMarkdown(r);
        assertTrue(md.contains("| x | classes | NaN | 0.50 | 0.50 |"), md);
        assertTrue(md.contains("| a\\|b | 2x2 | 0.50 | NaN |"), "pipes in names are escaped: " + md);
    }

    @Test
    void markdownHasOneSummaryRowPerAlgorithm() {
        String md = ReportMarkdown.toMarkdown(report);
        for (AlgorithmResult r : report.algorithms()) {
            String mean = String.format(Locale.ROOT, "%.4f", r.get(Metric.MEAN_IOU));
            assertTrue(md.contains("| " + r.algorithm() + " | " + r.output().name().toLowerCase(Locale.ROOT)
                    + " | " + mean + " |"), r.algorithm() + " in\n" + md);
            assertTrue(md.contains("## " + r.algorithm() + ": per image"), md);
        }
        // Instance columns appear because one algorithm has them; the others show n/a there.
        assertTrue(md.contains("AP@0.5") && md.contains("n/a"), md);
        assertTrue(md.contains("## Per-class IoU (pooled)"), "the class-map baseline has per-class IoU");
    }

    @Test
    void writeProducesJsonAndMarkdown(@TempDir Path dir) throws Exception {
        List<Path> files = report.write(dir.resolve("out"));
        assertEquals(List.of(dir.resolve("out").resolve(EvaluationReport.JSON_FILE),
                dir.resolve("out").resolve(EvaluationReport.MARKDOWN_FILE)), files);
        JsonNode json = new ObjectMapper().readTree(files.get(0).toFile());
        assertEquals(3, json.get("algorithms").get(0).get("per_image").size());
        assertTrue(Files.readString(files.get(1)).startsWith("# Evaluation on cells"));
    }
}
