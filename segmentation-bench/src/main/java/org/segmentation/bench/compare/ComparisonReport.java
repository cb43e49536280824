package org.segmentation.bench.compare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.CategoryStyler;
import org.segmentation.bench.compare.ComparisonRunner.PeerRun;
import org.segmentation.bench.compare.ComparisonRunner.WorkloadRun;

/**
 * The result of a comparison as {@code bench.md} (a Markdown table), {@code bench.json} and {@code bench.png}
 * (a bar chart of ours / peer, drawn off screen). A ratio below 1 means we are faster.
 *
 * @param runs the measured workloads
 * @param config the settings they were measured with
 * @param started when the run started
 * @param loadBefore the one-minute load average before the run (negative if unknown)
 * @param loadAfter the one-minute load average after it
 */
public record ComparisonReport(List<WorkloadRun> runs, ComparisonRunner.Config config, Instant started,
        double loadBefore, double loadAfter) {
    /** Markdown file name. */
    public static final String MARKDOWN_FILE = "bench.md";
    /** JSON file name. */
    public static final String JSON_FILE = "bench.json";
    /** Chart file name. */
    public static final String CHART_FILE = "bench.png";

    /** Copies the list. */
    public ComparisonReport {
        runs = List.copyOf(runs);
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(started, "started");
    }

    /** The one-minute system load average now, or a negative number where the platform has none. */
    public static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** Writes the three files into {@code dir}, creating it. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(MARKDOWN_FILE), markdown(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(JSON_FILE), json().toPrettyString(), StandardCharsets.UTF_8);
        ImageIO.write(chart(), "png", dir.resolve(CHART_FILE).toFile());
    }

    /** The machine in one line: cores, CPU model where Linux tells it, OS and Java version. */
    public static String machine() {
        String cpu = "";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip() + ", ").orElse("");
        } catch (IOException | RuntimeException e) {
            // not Linux: the rest still describes the machine
        }
        return String.format(Locale.ROOT, "%s%d cores, %s %s, Java %s", cpu,
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("os.arch"), System.getProperty("java.version"));
    }

    /** The table with a header stating the date, machine, load and settings. */
    public String markdown() {
        StringBuilder s = new StringBuilder();
        s.append("## Peer comparison\n\n");
        s.append("Run ").append(started.truncatedTo(ChronoUnit.SECONDS)).append(" on ").append(machine())
                .append(".\n");
        s.append(String.format(Locale.ROOT, "Load average (1 min): %.2f before, %.2f after. ", loadBefore,
                loadAfter));
        String wait = System.getenv("OMP_WAIT_POLICY");
        s.append("OMP_WAIT_POLICY=").append(wait == null ? "unset" : wait).append(". ");
        // OpenBLAS's kernels follow it (README, "Backends"): on AMD Zen 4, SkylakeX's run 1.8x faster than Haswell's
        String core = System.getenv("OPENBLAS_CORETYPE");
        s.append("OPENBLAS_CORETYPE=").append(core == null ? "unset" : core).append(". ");
        s.append(String.format(Locale.ROOT, "%d round(s)%s; ours: JMH, 1 fork, %d warm-up + %d measured"
                + " iterations of %d ms, median call, one thread unless the workload says otherwise; peers:"
                + " median of up to %d timed calls (%.1f s at most, 2 untimed first) per round; memory workloads (MB):"
                + " peak RSS of one fresh process per side and round, in the first %d round(s). Ratio = median"
                + " over the rounds of ours / peer (below 1: we are faster or smaller); spread = its range.%n%n",
                config.rounds(),
                config.quick() ? ", quick (smallest inputs)" : "", config.warmupIterations(), config.iterations(),
                config.iterationMillis(), config.peerRepeats(), config.peerBudgetSeconds(), config.memoryRounds()));
        s.append("| workload | params | ours ms | peer | peer threads | peer ms | ours/peer | spread | GFLOP/s"
                + " | check ours / peer |\n");
        s.append("|---|---|---:|---|---:|---:|---:|---|---:|---|\n");
        for (WorkloadRun r : runs) {
            String params = r.label();
            String unit = r.workload().metric() == Workload.Metric.TIME ? "" : " " + r.workload().metric().unit();
            String ours = r.error() != null ? "failed: " + r.error() : ms(r.medianMillis()) + unit;
            String gflops = Double.isFinite(r.gflops()) ? String.format(Locale.ROOT, "%.2f", r.gflops()) : "";
            if (r.peers().isEmpty()) {
                s.append(String.format(Locale.ROOT, "| %s | %s | %s | | | | | | %s | |%n", r.workload().name(),
                        params, ours, gflops));
            }
            for (PeerRun p : r.peers()) {
                String peerMs = p.error() != null && p.millis().isEmpty() ? "failed: " + p.error()
                        : ms(p.medianMillis()) + unit;
                String spread = p.ratios().isEmpty() ? "" : String.format(Locale.ROOT, "%.2f-%.2f",
                        p.ratios().stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
                        p.ratios().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN));
                String ratio = Double.isFinite(p.medianRatio()) ? String.format(Locale.ROOT, "%.2f",
                        p.medianRatio()) : "";
                String check = (r.ourCheck() == null ? "-" : new ObjectMapper().valueToTree(r.ourCheck()).toString())
                        + " / "
                        + (p.check() == null ? "-" : p.check().toString());
                s.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                        r.workload().name(), params, ours, p.version() == null ? p.peer().name() : p.version(),
                        p.threads() == 0 ? "" : Integer.toString(p.threads()), peerMs, ratio, spread, gflops,
                        check));
            }
        }
        List<GroupMean> means = groupMeans(runs);
        if (!means.isEmpty()) {
            s.append("\nGeometric mean of ours/peer (each case's median ratio) over every case of the workloads of"
                    + " a group:\n\n| group | workloads | peer | cases | geometric mean ours/peer |\n"
                    + "|---|---|---|---:|---:|\n");
            for (GroupMean g : means) {
                s.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %.2f |%n", g.group(),
                        String.join(", ", g.workloads()), g.peer(), g.cases(), g.mean()));
            }
        }
        s.append("\nWorkloads:\n\n");
        Set<String> described = new HashSet<>();   // one line per workload, not one per case
        for (WorkloadRun r : runs) {
            if (described.add(r.workload().name())) {
                s.append("- `").append(r.workload().name()).append("` (`").append(r.workload().benchmark())
                        .append("`): ").append(r.workload().description()).append('\n');
            }
        }
        return s.toString();
    }

    /** Everything measured, per round. */
    public ObjectNode json() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("started", started.toString());
        root.put("machine", machine());
        root.put("load_before", loadBefore);
        root.put("load_after", loadAfter);
        root.put("rounds", config.rounds());
        root.put("memory_rounds", config.memoryRounds());
        root.put("quick", config.quick());
        ArrayNode ws = root.putArray("workloads");
        for (WorkloadRun r : runs) {
            ObjectNode w = ws.addObject();
            w.put("workload", r.workload().name());
            w.put("benchmark", r.workload().benchmark());
            ObjectNode params = w.putObject("params");
            for (Map.Entry<String, String> e : r.params().entrySet()) {
                params.put(e.getKey(), e.getValue());
            }
            w.put("ours_median_ms", r.medianMillis());
            ArrayNode rounds = w.putArray("ours_ms");
            r.millis().forEach(rounds::add);
            if (r.ourCheck() != null) {
                w.set("ours_check", m.valueToTree(r.ourCheck()));
            }
            w.put("unit", r.workload().metric().unit());
            if (r.ourResult() != null) {
                w.set("ours_result", r.ourResult());
            }
            if (r.error() != null) {
                w.put("error", r.error());
            }
            ArrayNode peers = w.putArray("peers");
            for (PeerRun p : r.peers()) {
                ObjectNode pn = peers.addObject();
                pn.put("peer", p.peer().name());
                pn.put("version", p.version());
                pn.put("threads", p.threads());
                pn.put("median_ms", p.medianMillis()); // the workload's unit: ms, or MB for peak RSS
                pn.put("median_ratio", p.medianRatio());
                ArrayNode ratios = pn.putArray("ratios");
                p.ratios().forEach(ratios::add);
                if (p.check() != null) {
                    pn.set("check", p.check());
                }
                if (p.error() != null) {
                    pn.put("error", p.error());
                }
            }
        }
        ArrayNode gm = root.putArray("geometric_means");
        for (GroupMean g : groupMeans(runs)) {
            ObjectNode n = gm.addObject();
            n.put("group", g.group());
            n.put("peer", g.peer());
            n.put("cases", g.cases());
            n.put("geometric_mean", g.mean());
        }
        return root;
    }

    /**
     * Geometric mean of ours / peer of one peer over the cases of a group of workloads.
     *
     * @param group the workloads' {@link Workload#group()}
     * @param workloads their names, in report order
     * @param peer the peer's name
     * @param cases how many median ratios went into the mean
     * @param mean their geometric mean
     */
    public record GroupMean(String group, List<String> workloads, String peer, int cases, double mean) {
    }

    /**
     * Per group and peer (in report order), the geometric mean of the cases' median ratios; a case the peer or we
     * failed is left out (and so lowers {@code cases}).
     */
    public static List<GroupMean> groupMeans(List<WorkloadRun> runs) {
        Map<String, Map<String, List<Double>>> ratios = new LinkedHashMap<>();
        Map<String, List<String>> names = new LinkedHashMap<>();
        for (WorkloadRun r : runs) {
            String group = r.workload().group();
            if (group == null) {
                continue;
            }
            List<String> n = names.computeIfAbsent(group, g -> new ArrayList<>());
            if (!n.contains(r.workload().name())) {
                n.add(r.workload().name());
            }
            for (PeerRun p : r.peers()) {
                List<Double> list = ratios.computeIfAbsent(group, g -> new LinkedHashMap<>())
                        .computeIfAbsent(p.peer().name(), k -> new ArrayList<>());
                if (Double.isFinite(p.medianRatio()) && p.medianRatio() > 0) {
                    list.add(p.medianRatio());
                }
            }
        }
        List<GroupMean> out = new ArrayList<>();
        ratios.forEach((group, byPeer) -> byPeer.forEach((peer, list) -> out.add(new GroupMean(group,
                names.get(group), peer, list.size(), geometricMean(list)))));
        return out;
    }

    /** (x_1 · ... · x_n)^(1/n), computed as exp of the mean log; NaN for no value or a value that is not > 0. */
    public static double geometricMean(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double logs = 0;
        for (double v : values) {
            if (!(v > 0) || Double.isInfinite(v)) {
                return Double.NaN;
            }
            logs += Math.log(v);
        }
        return Math.exp(logs / values.size());
    }

    /** Bars of ours / peer, one per workload and peer (XChart draws no bars on a logarithmic category axis). */
    public BufferedImage chart() {
        List<String> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (WorkloadRun r : runs) {
            for (PeerRun p : r.peers()) {
                if (Double.isFinite(p.medianRatio()) && p.medianRatio() > 0) {
                    x.add(r.workload().name() + (r.workload().cases().size() > 1 ? " " + r.label() : "") + " / "
                            + p.peer().name());
                    y.add(p.medianRatio());
                }
            }
        }
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(1000, 18 * x.size()))
                .height(x.size() > 24 ? 800 : 560)
                .title("ours / peer: time, or peak RSS (below 1: ours faster or smaller)"
                        + (config.quick() ? ", quick run" : ""))
                .yAxisTitle("ours / peer").build();
        CategoryStyler st = chart.getStyler();
        st.setLegendVisible(false);
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotBorderVisible(false);
        st.setSeriesColors(new Color[] {new Color(0x0072B2)});
        st.setAntiAlias(true);
        st.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        st.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        st.setPlotGridLinesColor(new Color(0xDDDDDD));
        st.setXAxisTitleVisible(false);
        st.setXAxisLabelRotation(90);
        st.setLabelsVisible(true);
        st.setDecimalPattern("0.00");
        st.setLabelsPosition(1.0);
        st.setLabelsFontColorAutomaticEnabled(false);
        st.setLabelsFontColor(Color.BLACK);
        if (x.isEmpty()) {
            x.add("no ratio measured");
            y.add(0.0);
        }
        chart.addSeries("ours / peer", x, y);
        return BitmapEncoder.getBufferedImage(chart);
    }

    private static String ms(double v) {
        if (!Double.isFinite(v)) {
            return "";
        }
        return String.format(Locale.ROOT, v < 1 ? "%.4f" : v < 100 ? "%.3f" : "%.1f", v);
    }
}
