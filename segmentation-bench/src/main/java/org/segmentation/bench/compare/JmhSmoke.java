package org.segmentation.bench.compare;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The CI smoke run: every JMH benchmark on the class path whose name matches a pattern, each with the first
 * value of every {@code @Param} (by this project's convention the smallest input), one fork, no warm-up and
 * one short iteration. It proves that each benchmark starts, runs and returns; its times mean nothing.
 */
public final class JmhSmoke {
    /** Outcome of one benchmark. */
    public record Outcome(String benchmark, Map<String, String> params, double score, String unit, String error) {
    }

    private JmhSmoke() {
    }

    /** The benchmarks in {@code META-INF/BenchmarkList} whose full name matches {@code include} (regex find). */
    public static List<BenchmarkListEntry> find(String include) {
        PrintStream sink = new PrintStream(java.io.OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        SortedSet<BenchmarkListEntry> all = BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(sink, VerboseMode.SILENT), List.of(include), List.of());
        return new ArrayList<>(all);
    }

    /**
     * Runs each benchmark matching {@code include} once, as described above, printing one line per benchmark.
     *
     * @param iterationMillis length of the one measured iteration
     * @param logDir folder for JMH's output, one {@code <benchmark>.log} each (with a failure's stack trace)
     * @return the outcomes; a failed benchmark has a non-null {@code error}
     */
    public static List<Outcome> run(String include, int iterationMillis, Path logDir, PrintWriter progress)
            throws IOException {
        ComparisonRunner.ensureForkClasspath();
        Files.createDirectories(logDir);
        List<Outcome> outcomes = new ArrayList<>();
        for (BenchmarkListEntry e : find(include)) {
            Map<String, String> params = new LinkedHashMap<>();
            if (e.getParams().hasValue()) {
                for (Map.Entry<String, String[]> p : e.getParams().get().entrySet()) {
                    if (p.getValue().length > 0) {
                        params.put(p.getKey(), p.getValue()[0]);
                    }
                }
            }
            Path log = logDir.resolve(e.getUsername() + ".log");
            ChainedOptionsBuilder b = new OptionsBuilder()
                    .include("^" + Pattern.quote(e.getUsername()) + "$")
                    .forks(1)
                    .warmupIterations(0)
                    .measurementIterations(1)
                    .measurementTime(TimeValue.milliseconds(iterationMillis))
                    .timeUnit(TimeUnit.MILLISECONDS)
                    .shouldFailOnError(true)
                    .output(log.toString());
            params.forEach(b::param);
            Outcome o;
            try {
                Collection<RunResult> rr = ComparisonRunner.runWaitingForLock(b.build(), progress);
                if (rr.isEmpty()) {
                    o = new Outcome(e.getUsername(), params, Double.NaN, "", "did not run (see " + log + ")");
                } else {
                    RunResult r = rr.iterator().next();
                    o = new Outcome(e.getUsername(), params, r.getPrimaryResult().getScore(),
                            r.getPrimaryResult().getScoreUnit(), null);
                }
            } catch (RunnerException | RuntimeException ex) {
                o = new Outcome(e.getUsername(), params, Double.NaN, "", ComparisonRunner.firstLine(ex) + " (see "
                        + log + ")");
            }
            outcomes.add(o);
            progress.printf(Locale.ROOT, "%-4s %-70s %s %s%n", o.error() == null ? "ok" : "FAIL", e.getUsername()
                    + params, o.error() == null ? String.format(Locale.ROOT, "%.4g", o.score()) : o.error(),
                    o.error() == null ? o.unit() : "");
            progress.flush();
        }
        return outcomes;
    }
}
