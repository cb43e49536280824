package org.segmentation.nn.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.segmentation.core.segment.Segmenter;

/**
 * An {@link EvaluationReport} as Markdown: a summary table with one row per algorithm, the pooled per-class IoU
 * of the class-map algorithms, and one per-image table per algorithm. Scores have four decimals, times two;
 * "n/a" marks a score that does not apply, "NaN" one that is undefined.
 */
public final class ReportMarkdown {
    private ReportMarkdown() {
    }

    /** The report as Markdown text. */
    public static String toMarkdown(EvaluationReport report) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Evaluation on ").append(escape(report.dataset())).append("\n\n");
        sb.append(report.imageCount()).append(" images of ")
                .append(report.sameSize() ? "" : "up to ").append(report.width()).append("x")
                .append(report.height()).append(", ").append(report.numClasses()).append(" classes")
                .append(report.ignoreLabel().isNone() ? "" : ", ignore label " + report.ignoreLabel().value())
                .append("; warm-up ").append(report.config().warmupImages()).append(" image(s); boundary F1")
                .append(" tolerance ").append(format(report.config().boundaryTolerance(), 1)).append(" px.\n\n");

        List<Metric> metrics = usedMetrics(report.algorithms());
        sb.append("## Summary\n\n| algorithm | output |");
        for (Metric m : metrics) {
            sb.append(' ').append(m.label()).append(m.higherIsBetter() ? "" : " (lower is better)").append(" |");
        }
        sb.append(" ms/image | median ms |\n|---|---|");
        sb.append("---:|".repeat(metrics.size() + 2)).append('\n');
        for (AlgorithmResult r : report.algorithms()) {
            sb.append("| ").append(escape(r.algorithm())).append(" | ")
                    .append(r.output().name().toLowerCase(Locale.ROOT)).append(" |");
            for (Metric m : metrics) {
                sb.append(' ').append(cell(r.aggregate().get(m))).append(" |");
            }
            sb.append(' ').append(format(r.meanMillis(), 2)).append(" | ").append(format(r.medianMillis(), 2))
                    .append(" |\n");
        }
        sb.append("\nMean IoU, Dice, pixel accuracy and foreground IoU come from the confusion matrix pooled over"
                + " all images; the other scores are means over images. Class-map algorithms are scored on the"
                + " dataset's classes, foreground and instance algorithms on background vs. foreground. Times"
                + " are wall-clock per segment() call, not a benchmark.\n");

        List<AlgorithmResult> classMaps = report.algorithms().stream()
                .filter(r -> r.output() == Segmenter.Output.CLASSES).toList();
        if (!classMaps.isEmpty()) {
            sb.append("\n## Per-class IoU (pooled)\n\n| class |");
            for (AlgorithmResult r : classMaps) {
                sb.append(' ').append(escape(r.algorithm())).append(" |");
            }
            sb.append("\n|---:|").append("---:|".repeat(classMaps.size())).append('\n');
            for (int c = 0; c < report.numClasses(); c++) {
                sb.append("| ").append(c).append(" |");
                for (AlgorithmResult r : classMaps) {
                    sb.append(' ').append(cell(r.perClassIoU()[c])).append(" |");
                }
                sb.append('\n');
            }
        }

        for (AlgorithmResult r : report.algorithms()) {
            List<Metric> used = usedMetrics(List.of(r));
            sb.append("\n## ").append(escape(r.algorithm())).append(": per image\n\n| image | size | ms |");
            for (Metric m : used) {
                sb.append(' ').append(m.label()).append(" |");
            }
            sb.append("\n|---|---:|---:|").append("---:|".repeat(used.size())).append('\n');
            for (ImageResult row : r.images()) {
                sb.append("| ").append(escape(row.id())).append(" | ").append(row.width()).append('x')
                        .append(row.height()).append(" | ").append(format(row.millis(), 2)).append(" |");
                for (Metric m : used) {
                    sb.append(' ').append(cell(row.metrics().get(m))).append(" |");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * Writes the Markdown to {@code file} (UTF-8).
     *
     * @throws IOException naming the file if it cannot be written
     */
    public static void write(EvaluationReport report, Path file) throws IOException {
        try {
            Files.writeString(file, toMarkdown(report), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + e, e);
        }
    }

    /** The metrics present for at least one of the algorithms, in {@link Metric} order. */
    public static List<Metric> usedMetrics(List<AlgorithmResult> algorithms) {
        List<Metric> out = new ArrayList<>();
        for (Metric m : Metric.values()) {
            if (algorithms.stream().anyMatch(r -> r.aggregate().containsKey(m))) {
                out.add(m);
            }
        }
        return out;
    }

    private static String cell(Double v) {
        return v == null ? "n/a" : format(v, 4);
    }

    private static String format(double v, int decimals) {
        return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** Keeps a table cell in one piece: pipes are escaped, line breaks become spaces. */
    private static String escape(String s) {
        return s.replace("|", "\\|").replace('\n', ' ').replace('\r', ' ');
    }
}
