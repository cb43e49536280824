package org.segmentation.core.coco;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.metrics.CocoAveragePrecision;

/**
 * Mask AP of a results file against an instances file, checked against pycocotools' COCOeval on the files written
 * by golden/coco/make_coco_eval_golden.py. Both sides average the same ratios of small counts in double precision,
 * in orders that may differ, so the tolerance is 1e-12.
 */
class CocoEvaluationTest {
    private static final double EPS = 1e-12;

    @TempDir
    Path dir;

    private static Path golden(String name) throws URISyntaxException {
        return Path.of(CocoEvaluationTest.class.getResource("/golden/coco/" + name).toURI());
    }

    @Test
    void maskApEqualsPycocotools() throws Exception {
        CocoDataset truth = CocoDataset.read(golden("eval_truth.json"), null);
        List<CocoResults.Detection> results = CocoResults.read(golden("eval_results.json"), truth);
        JsonNode expected = new ObjectMapper().readTree(golden("eval_expected.json").toFile());
        assertEquals(expected.get("detections").intValue(), results.size());
        assertEquals(expected.get("annotations").intValue(),
                truth.images().keySet().stream().mapToInt(id -> truth.annotations(id).size()).sum());
        CocoAveragePrecision.Result r = CocoEvaluation.masks(truth, results, 100);
        assertEquals(expected.get("ap").doubleValue(), r.ap(), EPS);
        assertEquals(expected.get("ap50").doubleValue(), r.ap50(), EPS);
        assertEquals(expected.get("ap75").doubleValue(), r.ap75(), EPS);
        assertTrue(r.ap() > 0.1 && r.ap() < 0.9, "a case that is neither trivial nor hopeless: " + r.ap());
        for (var e : expected.get("per_category").properties()) {
            int category = Integer.parseInt(e.getKey());
            double v = e.getValue().doubleValue();
            if (v < 0) {
                assertFalse(r.perCategory().containsKey(category), "category " + category + " has no ground truth");
            } else {
                assertEquals(v, r.perCategory().get(category).ap(), EPS, "category " + category);
            }
        }
    }

    @Test
    void writtenResultsReadBackAndScorePerfectAgainstThemselves() throws Exception {
        CocoDataset truth = CocoDataset.read(golden("eval_truth.json"), null);
        // every non-crowd annotation as a detection of score 1: AP 1 for both categories with ground truth
        Path file = dir.resolve("self.json");
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ArrayNode all = json.createArrayNode();
        for (long id : truth.images().keySet()) {
            for (CocoDataset.Annotation a : truth.annotations(id)) {
                if (a.crowd()) {
                    continue;
                }
                com.fasterxml.jackson.databind.node.ObjectNode d = all.addObject().put("image_id", id)
                        .put("category_id", a.categoryId()).put("score", 1.0);
                com.fasterxml.jackson.databind.node.ObjectNode seg = d.putObject("segmentation");
                seg.putArray("size").add(a.mask().height()).add(a.mask().width());
                seg.put("counts", a.mask().toCompressedString());   // backslashes and quotes need JSON escapes
            }
        }
        json.writeValue(file.toFile(), all);
        CocoAveragePrecision.Result r = CocoEvaluation.masks(truth, CocoResults.read(file, truth), 100);
        assertEquals(1, r.ap(), EPS);
        assertEquals(2, r.perCategory().size());
    }

    @Test
    void resultsThatDoNotFitTheDatasetAreTypedErrors() throws Exception {
        CocoDataset truth = CocoDataset.read(golden("eval_truth.json"), null);
        String ok = "{\"image_id\": 3, \"category_id\": 2, \"score\": 0.5, \"segmentation\": {\"size\": [48, 40],"
                + " \"counts\": [1900, 20]}}";
        Path file = dir.resolve("r.json");
        Files.writeString(file, "[" + ok + "]");
        assertEquals(1, CocoResults.read(file, truth).size());
        String[][] cases = {
            {"\"image_id\": 3", "\"image_id\": 4", "result 0 (image 4): image 4 is not among the instances file's 6"
                + " images"},
            {"\"category_id\": 2", "\"category_id\": 4", "result 0 (image 3): category 4 is not among the categories"
                + " [1, 2, 5]"},
            {"[48, 40]", "[40, 48]", "result 0 (image 3): RLE size [40,48] differs from the image's [48, 40]"},
            {"[1900, 20]", "[1900, 21]", "result 0 (image 3): bad RLE: RLE counts sum to 1921"},
            {"0.5", "\"high\"", "result 0 (image 3): \"score\" must be a finite number"},
        };
        for (String[] c : cases) {
            Files.writeString(file, "[" + ok.replace(c[0], c[1]) + "]");
            CocoFormatException e = assertThrows(CocoFormatException.class, () -> CocoResults.read(file, truth));
            assertTrue(e.getMessage().startsWith(file + ": " + c[2]), e.getMessage());
        }
        Files.writeString(file, "{}");
        assertTrue(assertThrows(CocoFormatException.class, () -> CocoResults.read(file, truth)).getMessage()
                .contains("expected a JSON array of results"));
    }
}
