package org.segmentation.bench.cli;

import java.io.FileNotFoundException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.segmentation.bench.classic.ClassicWorkloads;
import org.segmentation.bench.compare.ComparisonReport;
import org.segmentation.bench.compare.ComparisonRunner;
import org.segmentation.bench.compare.JmhSmoke;
import org.segmentation.bench.compare.Workload;
import org.segmentation.bench.nn.NnWorkloads;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code seg bench}: our JMH benchmarks against the peers (OpenCV, scikit-image, PyTorch) on the same inputs, in
 * one run, interleaved round by round; or, with {@code --smoke}, every JMH benchmark once on its smallest input.
 * Needs the JMH-annotated classes and {@code META-INF/BenchmarkList} on the class path, and for the peers a
 * Python with their libraries ({@code /usr/bin/python3} by default).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time our algorithms (JMH, one forked JVM per run) and the peers (Python scripts under"
                + " segmentation-bench/peers) on the same input files, alternating round by round, and write"
                + " bench.md (table), bench.json and bench.png (chart of ours/peer) to --out.",
            "--smoke instead runs every JMH benchmark once on its smallest @Param, for CI."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--out"}, defaultValue = "out/bench", paramLabel = "DIR",
            description = "Output folder for the report, the inputs and the JMH logs (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--rounds", paramLabel = "N",
            description = "Rounds of (ours, peers) per workload; the report takes medians (default: 3, quick: 1).")
    Integer rounds;

    @Option(names = "--memory-rounds", paramLabel = "N", description = "Rounds of the memory workloads, the first"
            + " ones: a peak RSS hardly varies between fresh processes (default: 1).")
    Integer memoryRounds;

    @Option(names = "--quick", description = "Smallest inputs, one round, short iterations: checks the set-up.")
    boolean quick;

    @Option(names = {"-w", "--workloads"}, split = ",", paramLabel = "NAME",
            description = "Workloads to run, comma-separated (default: all; see --list).")
    List<String> workloads = new ArrayList<>();

    @Option(names = "--where", split = ",", paramLabel = "PARAM=VALUE", description = "Run only the cases whose"
            + " parameters have these values, e.g. arch=tiny (every chosen workload must have such a case; not"
            + " with --quick).")
    Map<String, String> where = new LinkedHashMap<>();

    @Option(names = "--list", description = "List the workloads and exit.")
    boolean list;

    @Option(names = "--smoke", description = "Run every JMH benchmark matching --include once on its smallest"
            + " @Param (1 fork, no warm-up, one short iteration) and exit 1 if any fails; JMH logs in"
            + " --out/smoke. No peers.")
    boolean smoke;

    @Option(names = "--include", defaultValue = ".*", paramLabel = "REGEX",
            description = "--smoke: benchmarks whose full name matches (default: ${DEFAULT-VALUE}).")
    String include;

    @Option(names = "--warmup-iterations", paramLabel = "N", description = "JMH warm-up iterations (default: 5,"
            + " quick: 1): the JIT needs some seconds to compile the engine's loops.")
    Integer warmupIterations;

    @Option(names = "--iterations", paramLabel = "N", description = "JMH measured iterations (default: 3, quick: 2).")
    Integer iterations;

    @Option(names = "--iteration-ms", paramLabel = "MS", description = "Length of a JMH iteration (default: 1000,"
            + " quick: 200; --smoke: 100).")
    Integer iterationMillis;

    @Option(names = "--peer-repeats", paramLabel = "N", description = "Timed peer calls per round at most"
            + " (default: 15, quick: 5).")
    Integer peerRepeats;

    @Option(names = "--peer-budget", paramLabel = "S", description = "Seconds of timed peer calls per round at"
            + " most, 3 calls at least (default: 3, quick: 1).")
    Double peerBudget;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", paramLabel = "EXE",
            description = "Python of the peers, with OpenCV and scikit-image (default: ${DEFAULT-VALUE}).")
    Path python;

    @Option(names = "--peers", paramLabel = "DIR", description = "Folder of the peer scripts (default:"
            + " segmentation-bench/peers or peers under the working folder).")
    Path peers;

    /** Every workload {@code seg bench} knows, in report order; other modules' workloads are added here. */
    static List<Workload> known() {
        List<Workload> all = new ArrayList<>(ClassicWorkloads.all());
        all.addAll(NnWorkloads.all());
        return all;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        List<Workload> all = known();
        if (list) {
            for (Workload w : all) {
                stdout.printf(Locale.ROOT, "%-22s %s%n", w.name(), w.description());
            }
            return 0;
        }
        if (smoke) {
            int ms = iterationMillis == null ? 100 : positive("--iteration-ms", iterationMillis);
            List<JmhSmoke.Outcome> outcomes = JmhSmoke.run(include, ms, out.resolve("smoke"), stdout);
            long failed = outcomes.stream().filter(o -> o.error() != null).count();
            if (outcomes.isEmpty()) {
                throw new IllegalStateException("no JMH benchmark matches '" + include
                        + "' (is META-INF/BenchmarkList on the class path?)");
            }
            if (failed > 0) {
                throw new IllegalStateException(failed + " of " + outcomes.size() + " benchmarks failed");
            }
            stdout.printf(Locale.ROOT, "%d benchmarks ran%n", outcomes.size());
            return 0;
        }
        List<Workload> chosen = new ArrayList<>();
        if (workloads.isEmpty()) {
            chosen.addAll(all);
        } else {
            for (String name : workloads) {
                Workload w = all.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow(
                        () -> new CommandLine.ParameterException(spec.commandLine(), "unknown workload '" + name
                                + "'; known: " + String.join(", ", all.stream().map(Workload::name).toList())));
                if (chosen.contains(w)) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "workload '" + name
                            + "' is given twice");
                }
                chosen.add(w);
            }
        }
        if (!where.isEmpty()) {
            if (quick) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--where selects among the cases of a"
                        + " full run; --quick runs one fixed case");
            }
            try {
                chosen.replaceAll(w -> w.where(where));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        ComparisonRunner.Config config;
        try {
            config = new ComparisonRunner.Config(
                    rounds != null ? rounds : quick ? 1 : 3, memoryRounds != null ? memoryRounds : 1, quick,
                    warmupIterations != null ? warmupIterations : quick ? 1 : 5,
                    iterations != null ? iterations : quick ? 2 : 3,
                    iterationMillis != null ? iterationMillis : quick ? 200 : 1000,
                    peerRepeats != null ? peerRepeats : quick ? 5 : 15,
                    peerBudget != null ? peerBudget : quick ? 1.0 : 3.0,
                    python, peersDir(), out);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!Files.isExecutable(python)) {
            throw new FileNotFoundException("peer Python " + python + " does not exist or is not executable;"
                    + " give --python");
        }
        Instant started = Instant.now();
        double loadBefore = ComparisonReport.loadAverage();
        List<ComparisonRunner.WorkloadRun> runs = new ComparisonRunner(config, stdout).run(chosen);
        ComparisonReport report = new ComparisonReport(runs, config, started, loadBefore,
                ComparisonReport.loadAverage());
        report.write(out);
        stdout.println();
        stdout.print(report.markdown());
        stdout.println("wrote " + ComparisonReport.MARKDOWN_FILE + ", " + ComparisonReport.JSON_FILE + " and "
                + ComparisonReport.CHART_FILE + " to " + out);
        return 0;
    }

    private Path peersDir() throws FileNotFoundException {
        if (peers != null) {
            if (!Files.isDirectory(peers)) {
                throw new FileNotFoundException("peer folder " + peers + " does not exist");
            }
            return peers;
        }
        for (Path p : List.of(Path.of("segmentation-bench", "peers"), Path.of("peers"))) {
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        throw new FileNotFoundException("no peer folder segmentation-bench/peers or peers under "
                + Path.of("").toAbsolutePath() + "; give --peers DIR");
    }

    private int positive(String option, int value) {
        if (value < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " must be >= 1, got " + value);
        }
        return value;
    }
}
