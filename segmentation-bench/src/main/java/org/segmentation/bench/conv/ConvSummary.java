package org.segmentation.bench.conv;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Markdown table of {@link Conv2dBenchmark} results read from JMH JSON files ({@code -rf json -rff FILE}): per
 * shape, ours ({@link ConvInputs#ours()}) forward, backward-data, backward-weights and whole step, ND4J conv2d and
 * conv2d_bp, each in ms and GFLOP/s, and the ratios ours/ND4J of GFLOP/s (= ND4J's time over ours; above 1,
 * ours is faster) for forward vs conv2d, backward-data + backward-weights vs conv2d_bp, step vs conv2d + conv2d_bp. One pass is
 * F = 2·N·C·C_in·k²·H·W FLOPs; backward and conv2d_bp count 2F, a step 3F.
 *
 * <pre>
 * SEG_MAIN=org.segmentation.bench.conv.ConvSummary segmentation-bench/seg.sh result.json [more.json ...]
 * </pre>
 */
public final class ConvSummary {
    /** Average ms per call of each benchmark method of one shape. */
    public record Shape(int n, int cin, int channels, int size, int kernel, Map<String, Double> ms) {
        /** FLOPs of one pass: 2·N·C·C_in·k²·H·W. */
        public double passFlops() {
            return 2.0 * n * channels * cin * kernel * kernel * size * size;
        }

        /** ms of {@code method}, NaN if it was not run. */
        public double ms(String method) {
            return ms.getOrDefault(method, Double.NaN);
        }

        /** GFLOP/s of {@code passes} passes done in {@code millis}. */
        public double gflops(double passes, double millis) {
            return passes * passFlops() / (millis * 1e6);
        }

        public String label() {
            return String.format(Locale.ROOT, "N=%d %d→%d %d² k=%d", n, cin, channels, size, kernel);
        }
    }

    private ConvSummary() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: ConvSummary result.json [more.json ...]");
            System.exit(2);
        }
        List<Shape> shapes = new ArrayList<>();
        for (String a : args) {
            shapes.addAll(read(new ObjectMapper().readTree(Path.of(a).toFile())));
        }
        System.out.print(table(shapes));
    }

    /** The Conv2dBenchmark results of one JMH JSON document, one {@link Shape} per parameter set, in file order. */
    public static List<Shape> read(JsonNode root) {
        Map<String, Shape> byKey = new LinkedHashMap<>();
        String prefix = Conv2dBenchmark.class.getName() + ".";
        for (JsonNode r : root) {
            String bench = r.get("benchmark").asText();
            if (!bench.startsWith(prefix)) {
                continue;
            }
            JsonNode p = r.get("params");
            int n = p.get("n").asInt(), cin = p.get("cin").asInt(), c = p.get("channels").asInt();
            int size = p.get("size").asInt(), k = p.get("kernel").asInt();
            JsonNode m = r.get("primaryMetric");
            if (!"ms/op".equals(m.get("scoreUnit").asText())) {
                throw new IllegalArgumentException(bench + ": expected ms/op, got " + m.get("scoreUnit").asText());
            }
            Shape s = byKey.computeIfAbsent(n + "x" + cin + "x" + c + "x" + size + "x" + k,
                    key -> new Shape(n, cin, c, size, k, new LinkedHashMap<>()));
            s.ms().put(bench.substring(prefix.length()), m.get("score").asDouble());
        }
        return new ArrayList<>(byKey.values());
    }

    /** The Markdown table: one row per shape. */
    public static String table(List<Shape> shapes) {
        StringBuilder b = new StringBuilder();
        b.append("| shape | fwd ms (GFLOP/s) | bwd-data ms (GFLOP/s) | bwd-weights ms (GFLOP/s) | step ms (GFLOP/s)"
                + " | ND4J conv2d ms (GFLOP/s) | ND4J conv2d_bp ms (GFLOP/s) | fwd ours/ND4J | bwd ours/ND4J"
                + " | step ours/ND4J |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Shape s : shapes) {
            double f = s.ms("forward"), bd = s.ms("backwardData");
            double bw = s.ms("backwardWeights"), st = s.ms("step");
            double rf = s.ms("nd4jConv2d"), rb = s.ms("nd4jConv2dBp");
            b.append("| ").append(s.label())
                    .append(" | ").append(cell(s, f, 1))
                    .append(" | ").append(cell(s, bd, 1))
                    .append(" | ").append(cell(s, bw, 1))
                    .append(" | ").append(cell(s, st, 3))
                    .append(" | ").append(cell(s, rf, 1))
                    .append(" | ").append(cell(s, rb, 2))
                    .append(" | ").append(ratio(rf, f))
                    .append(" | ").append(ratio(rb, bd + bw))
                    .append(" | ").append(ratio(rf + rb, st))
                    .append(" |\n");
        }
        return b.toString();
    }

    private static String cell(Shape s, double millis, double passes) {
        if (Double.isNaN(millis)) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.3g (%.1f)", millis, s.gflops(passes, millis));
    }

    /** Our GFLOP/s over ND4J's for the same work, i.e. ND4J's time over ours: above 1, ours is faster. */
    private static String ratio(double nd4j, double ours) {
        if (Double.isNaN(nd4j) || Double.isNaN(ours)) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2f", nd4j / ours);
    }
}
