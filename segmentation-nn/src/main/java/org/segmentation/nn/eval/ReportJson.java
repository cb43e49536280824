package org.segmentation.nn.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * An {@link EvaluationReport} as one JSON object. JSON has no NaN: an undefined score is {@code null}; a score
 * that does not apply to an algorithm is absent.
 *
 * <p>Shape: the keys of the first algorithm's summary at the top level (so a one-algorithm run reads as a flat
 * object), then the run's settings, then {@code "algorithms"}: the summary of every algorithm, the first
 * included, in the order given. A summary has {@code algorithm}, {@code output} ({@code classes},
 * {@code foreground} or {@code instances}), {@code images}, {@code width}, {@code height} (the common size, or
 * the largest when {@code same_size} is false), {@code same_size}, {@code millis} (mean per image),
 * {@code median_millis}, {@code total_millis}, one key per applicable {@link Metric} ({@link Metric#key()}:
 * {@code mean_iou}, {@code dice}, {@code pixel_accuracy}, ...) and {@code per_class_iou}. With per-image rows,
 * each algorithm also has {@code per_image}: objects with {@code index}, {@code id}, {@code width},
 * {@code height}, {@code millis} and the metric keys.
 */
public final class ReportJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportJson() {
    }

    /**
     * The report as a JSON tree.
     *
     * @param perImage whether to include each algorithm's {@code per_image} rows
     */
    public static ObjectNode toJson(EvaluationReport report, boolean perImage) {
        ObjectNode root = MAPPER.createObjectNode();
        root.setAll(summary(report, report.algorithms().get(0), false));
        root.put("dataset", report.dataset());
        root.put("num_classes", report.numClasses());
        if (report.ignoreLabel().isNone()) {
            root.putNull("ignore_label");
        } else {
            root.put("ignore_label", report.ignoreLabel().value());
        }
        root.put("warmup_images", report.config().warmupImages());
        root.put("boundary_tolerance", report.config().boundaryTolerance());
        ArrayNode algorithms = root.putArray("algorithms");
        for (AlgorithmResult r : report.algorithms()) {
            algorithms.add(summary(report, r, perImage));
        }
        return root;
    }

    /** The report as indented JSON text. */
    public static String toString(EvaluationReport report, boolean perImage) {
        try {
            return MAPPER.writeValueAsString(toJson(report, perImage));
        } catch (IOException e) {
            // Serialising a tree of plain nodes to a String does no I/O.
            throw new IllegalStateException("cannot serialise the report: " + e.getMessage(), e);
        }
    }

    /**
     * Writes the report with per-image rows to {@code file} (UTF-8).
     *
     * @throws IOException naming the file if it cannot be written
     */
    public static void write(EvaluationReport report, Path file) throws IOException {
        try {
            Files.writeString(file, toString(report, true) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + e, e);
        }
    }

    private static ObjectNode summary(EvaluationReport report, AlgorithmResult r, boolean perImage) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("algorithm", r.algorithm());
        o.put("output", r.output().name().toLowerCase(Locale.ROOT));
        o.put("images", r.images().size());
        o.put("width", report.width());
        o.put("height", report.height());
        o.put("same_size", report.sameSize());
        number(o, "millis", r.meanMillis());
        number(o, "median_millis", r.medianMillis());
        number(o, "total_millis", r.totalMillis());
        for (Map.Entry<Metric, Double> e : r.aggregate().entrySet()) {
            number(o, e.getKey().key(), e.getValue());
        }
        ArrayNode perClass = o.putArray("per_class_iou");
        for (double v : r.perClassIoU()) {
            if (Double.isNaN(v)) {
                perClass.addNull();
            } else {
                perClass.add(v);
            }
        }
        if (perImage) {
            ArrayNode rows = o.putArray("per_image");
            for (ImageResult row : r.images()) {
                ObjectNode ro = rows.addObject();
                ro.put("index", row.index());
                ro.put("id", row.id());
                ro.put("width", row.width());
                ro.put("height", row.height());
                number(ro, "millis", row.millis());
                for (Map.Entry<Metric, Double> e : row.metrics().entrySet()) {
                    number(ro, e.getKey().key(), e.getValue());
                }
            }
        }
        return o;
    }

    private static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }
}
