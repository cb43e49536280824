package org.segmentation.bench.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the peer comparison: for each round, for each workload, our JMH benchmark (one forked JVM, through the
 * JMH {@link Runner} API) and then each peer program, so that both sides of a ratio are measured minutes
 * apart at most, under the same load. Every round gives one ratio per peer; the report takes the medians.
 */
public final class ComparisonRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ComparisonRunner.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Settings of a comparison.
     *
     * @param rounds rounds of (ours, peers) per workload, {@code >= 1}
     * @param memoryRounds rounds of the memory workloads ({@link Workload.Metric#PEAK_RSS}), the first ones, from 1
     *     to {@code rounds}: a peak RSS hardly varies between fresh processes, while a time needs rounds against the
     *     shared machine's noise, and the standard U-Net's 100 steps on both sides take about a quarter of a round
     * @param quick use each workload's quick parameters
     * @param warmupIterations JMH warm-up iterations per fork
     * @param iterations JMH measurement iterations per fork
     * @param iterationMillis length of every JMH iteration
     * @param peerRepeats timed calls of a peer per round at most
     * @param peerBudgetSeconds seconds of timed peer calls per round at most (3 calls at least)
     * @param python the Python interpreter of the peers
     * @param peersDir folder of the peer scripts
     * @param workDir folder for the inputs and the JMH logs
     */
    public record Config(int rounds, int memoryRounds, boolean quick, int warmupIterations, int iterations, int iterationMillis,
            int peerRepeats, double peerBudgetSeconds, Path python, Path peersDir, Path workDir) {
        /** Validates. */
        public Config {
            if (rounds < 1 || warmupIterations < 0 || iterations < 1 || iterationMillis < 1 || peerRepeats < 1
                    || !(peerBudgetSeconds > 0)) {
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                        "bad comparison settings: rounds %d, warm-up %d, iterations %d of %d ms, peer repeats %d,"
                                + " budget %s s", rounds, warmupIterations, iterations, iterationMillis, peerRepeats,
                        peerBudgetSeconds));
            }
            if (memoryRounds < 1 || memoryRounds > rounds) {
                throw new IllegalArgumentException("memory rounds must be from 1 to the rounds (" + rounds + "), got "
                        + memoryRounds);
            }
            Objects.requireNonNull(python, "python");
            Objects.requireNonNull(peersDir, "peersDir");
            Objects.requireNonNull(workDir, "workDir");
        }
    }

    /** What one peer measured over the rounds. */
    public static final class PeerRun {
        final Workload.Peer peer;
        final List<Double> millis = new ArrayList<>();
        final List<Double> ratios = new ArrayList<>();
        String version;
        int threads;
        JsonNode check;
        String error;

        PeerRun(Workload.Peer peer) {
            this.peer = peer;
        }

        /** The peer. */
        public Workload.Peer peer() {
            return peer;
        }

        /** Every round's median time. */
        public List<Double> millis() {
            return List.copyOf(millis);
        }

        /** Median of its rounds' median times, NaN if it never ran. */
        public double medianMillis() {
            return median(millis);
        }

        /** Median over the rounds of ours / peer, NaN if none. */
        public double medianRatio() {
            return median(ratios);
        }

        /** Every round's ours / peer ratio. */
        public List<Double> ratios() {
            return List.copyOf(ratios);
        }

        /** Library and version the peer reported, e.g. {@code opencv 4.6.0}. */
        public String version() {
            return version;
        }

        /** Threads the peer reported. */
        public int threads() {
            return threads;
        }

        /** The peer's check value of its result, or null. */
        public JsonNode check() {
            return check;
        }

        /** Why the peer failed (first line), or null. */
        public String error() {
            return error;
        }
    }

    /** What one workload measured over the rounds. */
    public static final class WorkloadRun {
        final Workload workload;
        final Map<String, String> params;
        final List<Double> millis = new ArrayList<>();
        final List<PeerRun> peers = new ArrayList<>();
        Object ourCheck;
        JsonNode ourResult;
        String error;

        WorkloadRun(Workload workload, Map<String, String> params) {
            this.workload = workload;
            this.params = new TreeMap<>(params);
            for (Workload.Peer p : workload.peers()) {
                peers.add(new PeerRun(p));
            }
        }

        /** The workload. */
        public Workload workload() {
            return workload;
        }

        /** The JMH parameters used, sorted by name. */
        public Map<String, String> params() {
            return params;
        }

        /** Median over the rounds of our JMH score (ms/op), NaN if it never ran. */
        public double medianMillis() {
            return median(millis);
        }

        /** Our JMH score of every round. */
        public List<Double> millis() {
            return List.copyOf(millis);
        }

        /** The peers' runs. */
        public List<PeerRun> peers() {
            return List.copyOf(peers);
        }

        /** The parameters as {@code key=value} pairs separated by spaces. */
        public String label() {
            StringBuilder b = new StringBuilder();
            params.forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append('=').append(v));
            return b.toString();
        }

        /** The last JSON line of our process ({@link Workload.Metric#PEAK_RSS}), or null. */
        public JsonNode ourResult() {
            return ourResult;
        }

        /** Our check value, or null. */
        public Object ourCheck() {
            return ourCheck;
        }

        /** Why our side failed, or null. */
        public String error() {
            return error;
        }

        /** GFLOP/s of our median time, NaN when the workload counts no flops. */
        public double gflops() {
            if (workload.flops() == null) {
                return Double.NaN;
            }
            return workload.flops().of(params) / (medianMillis() * 1e6);
        }
    }

    private final Config config;
    private final PrintWriter progress;

    /** A runner printing one progress line per step to {@code progress}. */
    public ComparisonRunner(Config config, PrintWriter progress) {
        this.config = Objects.requireNonNull(config, "config");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /**
     * JVM options of our side of a {@link Workload.Metric#PEAK_RSS} workload: a 1 GB Java heap, and JavaCPP's
     * default limits of off-heap memory, which follow it.
     */
    public static final List<String> PROCESS_JVM_ARGS = List.of("-Xmx1g");

    /**
     * Runs the workloads, one row per case; a failing side is recorded in its row (with its first error line)
     * and the others go on.
     *
     * @throws IOException if the inputs cannot be written
     */
    public List<WorkloadRun> run(List<Workload> workloads) throws IOException {
        ensureForkClasspath();
        Path inputs = config.workDir().resolve("inputs");
        Path logs = config.workDir().resolve("jmh");
        Files.createDirectories(logs);
        List<WorkloadRun> runs = new ArrayList<>();
        for (Workload w : workloads) {
            for (Map<String, String> params : w.cases(config.quick())) {
                WorkloadRun run = new WorkloadRun(w, params);
                run.ourCheck = w.inputs().write(run.params, inputs);
                runs.add(run);
            }
        }
        for (int round = 1; round <= config.rounds(); round++) {
            for (WorkloadRun run : runs) {
                if (!runsIn(round, run.workload, config)) {
                    continue;
                }
                String unit = run.workload.metric().unit();
                String label = run.workload.name() + (run.workload.cases().size() > 1 ? " " + run.label() : "");
                double ours = Double.NaN;
                Map<String, Double> jmh = Map.of();
                try {
                    if (run.workload.metric() == Workload.Metric.TIME) {
                        String log = run.workload.name() + (run.workload.cases().size() > 1 ? "-" + run.label()
                                .replace("=", "").replace(' ', '_') : "") + "-round" + round + ".log";
                        jmh = runJmh(run, logs.resolve(log));
                        ours = jmh.get(run.workload.benchmark());
                    } else {
                        ours = runOurProcess(run);
                    }
                    run.millis.add(ours);
                } catch (RunnerException | IOException | RuntimeException e) {
                    run.error = firstLine(e);
                    LOG.warn("our side failed for {}: {}", label, run.error, e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
                progress.printf(java.util.Locale.ROOT, "round %d/%d %-40s ours   %10.3f %s%n", round,
                        config.rounds(), label, ours, unit);
                for (PeerRun peer : run.peers) {
                    double theirs = peer.peer.benchmark() != null ? jmhPeer(peer, jmh)
                            : runPeer(run, peer, inputs);
                    if (Double.isFinite(theirs)) {
                        peer.millis.add(theirs);
                        if (Double.isFinite(ours)) {
                            peer.ratios.add(ours / theirs);
                        }
                    }
                    progress.printf(java.util.Locale.ROOT, "round %d/%d %-40s %-7s %9.3f %s%s%n", round,
                            config.rounds(), label, peer.peer.name(), theirs, unit,
                            peer.error == null ? "" : "  (" + peer.error + ")");
                }
                progress.flush();
            }
        }
        return runs;
    }

    /** Whether {@code w} runs in round {@code round} (1-based): times in every round, memory in the first few. */
    static boolean runsIn(int round, Workload w, Config config) {
        return w.metric() == Workload.Metric.TIME ? round <= config.rounds() : round <= config.memoryRounds();
    }

    /** A JMH peer's score from the run of ours, NaN (and the error noted) if JMH gave none. */
    private static double jmhPeer(PeerRun peer, Map<String, Double> jmh) {
        Double score = jmh.get(peer.peer.benchmark());
        if (score == null) {
            peer.error = jmh.isEmpty() ? "the JMH run failed" : "JMH ran no " + peer.peer.benchmark();
            return Double.NaN;
        }
        peer.version = peer.peer.name() + " (same JMH run)";
        peer.threads = peer.peer.threads();
        return score;
    }

    /**
     * Runs ours and the JMH peers of {@code run} in one JMH run; returns each benchmark's median call in ms.
     *
     * <p>JMH samples the time of every call ({@link Mode#SampleTime}), and the score is the median of those calls,
     * the statistic the peer scripts report: a mean would let one garbage collection or one stall of the shared
     * host weigh on our side only, and a workload of a few long calls per iteration would be measured on a
     * different footing from its peer.
     */
    private Map<String, Double> runJmh(WorkloadRun run, Path log) throws RunnerException {
        List<String> names = new ArrayList<>();
        names.add(Pattern.quote(run.workload.benchmark()));
        for (Workload.Peer p : run.workload.peers()) {
            if (p.benchmark() != null) {
                names.add(Pattern.quote(p.benchmark()));
            }
        }
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include("^(" + String.join("|", names) + ")$")
                .forks(1)
                .warmupIterations(config.warmupIterations())
                .warmupTime(TimeValue.milliseconds(config.iterationMillis()))
                .measurementIterations(config.iterations())
                .measurementTime(TimeValue.milliseconds(config.iterationMillis()))
                .mode(Mode.SampleTime)
                .timeUnit(TimeUnit.MILLISECONDS)
                .shouldFailOnError(true)
                .output(log.toString());
        for (Map.Entry<String, String> p : run.params.entrySet()) {
            b.param(p.getKey(), p.getValue());
        }
        Map<String, Double> scores = new TreeMap<>();
        for (RunResult r : runWaitingForLock(b.build(), progress)) {
            scores.put(r.getParams().getBenchmark(), r.getPrimaryResult().getStatistics().getPercentile(50));
        }
        if (!scores.containsKey(run.workload.benchmark())) {
            throw new IllegalStateException("no JMH benchmark named " + run.workload.benchmark()
                    + " (is META-INF/BenchmarkList on the class path?)");
        }
        return scores;
    }

    /**
     * Our side of a process workload: {@code java PROCESS_JVM_ARGS -cp <this class path> <benchmark>
     * --<param> <value>...} in a fresh JVM; its last stdout line is a JSON object with the metric's key and
     * optionally {@code check}.
     */
    private double runOurProcess(WorkloadRun run) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(PROCESS_JVM_ARGS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), run.workload.benchmark()));
        for (Map.Entry<String, String> p : run.params.entrySet()) {
            cmd.add("--" + p.getKey());
            cmd.add(p.getValue());
        }
        JsonNode node = runJsonProcess(cmd, run.workload.metric().key());
        if (node.has("check")) {
            run.ourCheck = node.get("check");
        }
        run.ourResult = node;
        return node.get(run.workload.metric().key()).asDouble();
    }

    private double runPeer(WorkloadRun run, PeerRun peer, Path inputs) {
        List<String> cmd = new ArrayList<>(List.of(config.python().toString(),
                config.peersDir().resolve(peer.peer.script()).toString(),
                "--workload", run.workload.name(), "--peer", peer.peer.name(), "--inputs", inputs.toString(),
                "--threads", Integer.toString(peer.peer.threads()),
                "--repeats", Integer.toString(config.peerRepeats()),
                "--budget", Double.toString(config.peerBudgetSeconds())));
        for (Map.Entry<String, String> p : run.params.entrySet()) {
            cmd.add("--" + p.getKey());
            cmd.add(p.getValue());
        }
        try {
            String key = run.workload.metric().key();
            JsonNode node = runJsonProcess(cmd, key);
            peer.version = node.path("version").asText(null);
            peer.threads = node.path("threads").asInt(peer.peer.threads());
            peer.check = node.get("check");
            return node.get(key).asDouble();
        } catch (IOException e) {
            peer.error = firstLine(e);
            LOG.warn("peer {} failed for {}: {}", peer.peer.name(), run.workload.name(), peer.error);
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            peer.error = "interrupted";
            return Double.NaN;
        }
    }

    /**
     * Runs {@code cmd} and returns its last stdout line as JSON, which must have {@code key}.
     *
     * @throws IOException with the last stderr line if the process exits non-zero, times out (15 minutes) or
     *     prints no such line
     */
    static JsonNode runJsonProcess(List<String> cmd, String key) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        process.getOutputStream().close();
        // Read stderr on another thread so that a chatty process cannot block on a full pipe.
        StringBuilder err = new StringBuilder();
        Thread errReader = new Thread(() -> {
            try {
                err.append(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process died; its exit code says so
            }
        });
        errReader.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(15, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IOException("timed out: " + cmd.get(cmd.size() > 2 ? 2 : 0));
        }
        errReader.join();
        if (process.exitValue() != 0) {
            String last = lastMessage(err.toString());
            throw new IOException(last.isEmpty() ? "exit code " + process.exitValue() : last);
        }
        String line = out.strip();
        line = line.substring(line.lastIndexOf('\n') + 1);
        JsonNode node = line.isEmpty() ? null : JSON.readTree(line);
        if (node == null || !node.has(key)) {
            throw new IOException("printed no " + key + ": " + line);
        }
        return node;
    }

    /** How long {@link #runWaitingForLock} waits for another JMH run to finish. */
    static final long LOCK_WAIT_MILLIS = 10 * 60 * 1000;

    /**
     * Runs JMH; while another JMH run on this machine holds JMH's lock ({@code /tmp/jmh.lock}), waits for it
     * (up to {@link #LOCK_WAIT_MILLIS}) rather than measuring at the same time or failing.
     */
    static Collection<RunResult> runWaitingForLock(org.openjdk.jmh.runner.options.Options options,
            PrintWriter progress) throws RunnerException {
        long deadline = System.currentTimeMillis() + LOCK_WAIT_MILLIS;
        boolean told = false;
        while (true) {
            try {
                return new Runner(options).run();
            } catch (RunnerException e) {
                if (e.getMessage() == null || !e.getMessage().contains("JMH lock")
                        || System.currentTimeMillis() > deadline) {
                    throw e;
                }
                if (!told) {
                    progress.println("another JMH run holds the JMH lock; waiting for it to finish");
                    progress.flush();
                    told = true;
                }
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * JMH forks a JVM with {@code java.class.path}. Under {@code mvn exec:java} that property names Maven's own
     * launcher, and the project's classes are only in a class loader; then the property is set to that loader's
     * class path, so that the forked JVM finds the benchmarks.
     */
    static void ensureForkClasspath() {
        // The system class loader is built from java.class.path (manifest Class-Path entries included): what it
        // can load, a forked JVM can.
        ClassLoader system = ClassLoader.getSystemClassLoader();
        String own = ComparisonRunner.class.getName().replace('.', '/') + ".class";
        if (system.getResource(own) != null && system.getResource("org/openjdk/jmh/runner/ForkedMain.class") != null) {
            return;
        }
        ClassLoader cl = ComparisonRunner.class.getClassLoader();
        List<String> entries = new ArrayList<>();
        while (cl != null) {
            if (cl instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) {
                    try {
                        entries.add(Path.of(url.toURI()).toString());
                    } catch (URISyntaxException | IllegalArgumentException e) {
                        LOG.debug("class path entry {} is not a file", url);
                    }
                }
            }
            cl = cl.getParent();
        }
        if (entries.isEmpty()) {
            LOG.warn("the benchmarks are not on java.class.path and their class loader lists no files;"
                    + " JMH's forked JVMs will not find them");
        } else {
            LOG.info("JMH forks use the class loader's class path ({} entries)", entries.size());
            System.setProperty("java.class.path", String.join(File.pathSeparator, entries));
        }
    }

    /**
     * The last line of a process's stderr that is not a stack frame ({@code at ...}, {@code ... 13 more}): for a
     * Java process that died of an exception, its last cause; for Python, the exception line after the traceback.
     */
    static String lastMessage(String stderr) {
        String[] lines = stderr.strip().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            String l = lines[i].strip();
            if (!l.isEmpty() && !l.startsWith("at ") && !l.matches("\\.\\.\\. \\d+ more")) {
                return l;
            }
        }
        return "";
    }

    static String firstLine(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t.getMessage() == null || t.getMessage().isBlank())) {
            t = t.getCause();
        }
        String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().strip();
        int nl = msg.indexOf('\n');
        return nl < 0 ? msg : msg.substring(0, nl);
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
