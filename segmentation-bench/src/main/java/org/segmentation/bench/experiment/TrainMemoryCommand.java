package org.segmentation.bench.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.segmentation.nn.train.TrainingHistory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code seg experiment train-memory}: the training soak. One {@code seg train} (synthetic cells, with validation,
 * augmentation and two checkpoint saves every epoch, as a real run, without early stopping) runs in a fresh JVM for {@code --minutes}
 * (default 120, the "2-hour" run), and is then stopped; its VmRSS is read from outside every
 * {@code --every} seconds, with the step reached (the lines of {@code steps.csv}, which each checkpoint rewrites).
 * The result: RSS over time, and its growth from the end of the warm-up (the first tenth of the run unless
 * {@code --warmup-minutes}) to the end.
 */
@Command(name = "train-memory", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Training memory over a long run: 'seg train' in a fresh JVM for --minutes, VmRSS every"
                + " --every seconds; reports the growth after the warm-up.",
            "Writes OUT/train-memory.json."})
public final class TrainMemoryCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--out"}, defaultValue = "out/experiment-train-memory", paramLabel = "DIR",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--minutes", defaultValue = "120", paramLabel = "M",
            description = "Length of the run in minutes (default: ${DEFAULT-VALUE}).")
    double minutes;

    @Option(names = "--warmup-minutes", paramLabel = "M",
            description = "Warm-up excluded from the growth (default: a tenth of --minutes).")
    Double warmupMinutes;

    @Option(names = "--every", defaultValue = "30", paramLabel = "S",
            description = "Seconds between VmRSS samples (default: ${DEFAULT-VALUE}).")
    int every;

    @Option(names = "--size", defaultValue = "64", paramLabel = "PX",
            description = "Image side of the synthetic cells (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--batch-size", defaultValue = "4", paramLabel = "B", description = "(default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--depth", defaultValue = "3", paramLabel = "D", description = "(default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = "--base-filters", defaultValue = "16", paramLabel = "F",
            description = "(default: ${DEFAULT-VALUE}).")
    int baseFilters;

    @Option(names = "--java-options", defaultValue = "", paramLabel = "OPTS",
            description = "JVM options of the child, space-separated (default: none, the JVM's defaults).")
    String javaOptions;

    @Option(names = "--class-path", paramLabel = "CP", description = "Class path of the child (default: this JVM's).")
    String classPath;

    @Override
    public Integer call() throws Exception {
        double warmup = warmupMinutes != null ? warmupMinutes : minutes / 10;
        if (!(minutes > 0 && minutes <= 24 * 60) || !(warmup >= 0 && warmup < minutes) || every < 1
                || size < 16 || size > 1024 || batch < 1 || depth < 1 || baseFilters < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--minutes must be in (0, 1440],"
                    + " --warmup-minutes in [0, --minutes), --every >= 1, --size in 16..1024, and --batch-size,"
                    + " --depth and --base-filters >= 1");
        }
        PrintWriter log = spec.commandLine().getOut();
        Path run = out.resolve("run");
        Files.createDirectories(out);
        KillResumeExperiment.deleteTree(run);
        List<String> args = new ArrayList<>(List.of("train", "--synthetic", "cells", "--count", "64", "--size",
                Integer.toString(size), "--depth", Integer.toString(depth), "--base-filters",
                Integer.toString(baseFilters), "--batch-size", Integer.toString(batch), "--epochs", "1000000", "--patience", "0",
                "--seed", "1", "--out", run.toString(), "--json"));
        String cp = classPath != null ? classPath : System.getProperty("java.class.path");
        ProcessBuilder pb = new ProcessBuilder(ChildRss.javaCommand(cp, javaOptions,
                "org.segmentation.bench.cli.SegCli", args));
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(out.resolve("seg-train.stderr").toFile());
        long t0 = System.nanoTime();
        long end = t0 + (long) (minutes * 60e9);
        Process p = pb.start();
        ArrayNode samples = JSON.createArrayNode();
        double rssAtWarmup = -1;
        double maxAfterWarmup = 0;
        double last = -1;
        try {
            while (System.nanoTime() < end) {
                long wait = Math.min(every * 1000L, Math.max(1, (end - System.nanoTime()) / 1_000_000));
                if (p.waitFor(wait, TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("seg train exited with " + p.exitValue() + " before the end;"
                            + " see " + out.resolve("seg-train.stderr"));
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                long kb = ChildRss.rssKb(p);
                long step = steps(run);
                last = kb / 1024.0;
                samples.addObject().put("seconds", Math.round(seconds)).put("step", step).put("rss_mb", last);
                log.printf(Locale.ROOT, "%6.0f s  step %6d  VmRSS %7.1f MB%n", seconds, step, last);
                log.flush();
                if (seconds >= warmup * 60) {
                    if (rssAtWarmup < 0) {
                        rssAtWarmup = last;
                    }
                    maxAfterWarmup = Math.max(maxAfterWarmup, last);
                }
            }
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        ObjectNode result = JSON.createObjectNode();
        result.put("minutes", minutes).put("warmup_minutes", warmup).put("java_options", javaOptions)
                .put("size", size).put("batch_size", batch).put("depth", depth).put("base_filters", baseFilters);
        result.put("rss_at_warmup_mb", rssAtWarmup).put("rss_end_mb", last)
                .put("rss_max_after_warmup_mb", maxAfterWarmup)
                .put("growth_after_warmup", rssAtWarmup > 0 ? (last - rssAtWarmup) / rssAtWarmup : Double.NaN);
        result.set("samples", samples);
        Files.writeString(out.resolve("train-memory.json"), result.toPrettyString() + "\n");
        log.printf(Locale.ROOT, "VmRSS %.1f MB after the warm-up (%.1f min), %.1f MB at the end (%+.2f%%), at most"
                + " %.1f MB after the warm-up%n", rssAtWarmup, warmup, last,
                100 * (last - rssAtWarmup) / rssAtWarmup, maxAfterWarmup);
        return 0;
    }

    /** The steps recorded so far: the data lines of steps.csv (rewritten at every checkpoint), 0 before one. */
    private static long steps(Path run) throws IOException {
        Path csv = run.resolve(TrainingHistory.STEPS_CSV);
        if (!Files.isRegularFile(csv)) {
            return 0;
        }
        try (var lines = Files.lines(csv)) {
            return Math.max(0, lines.count() - 1);
        } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException e) {
            return -1;      // replaced while being read
        }
    }
}
