package org.segmentation.bench.compare;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One row group of the peer comparison: a JMH benchmark of ours with its parameters, and the peers that time the
 * same work on the same input. {@link ComparisonRunner} runs the two sides one after the other, round after round,
 * so that they see the same machine load.
 *
 * <p>To add a workload (a convolution, a U-Net step), give the benchmark's full name
 * ({@code package.Class.method}), its {@code @Param} values for a full run (one map per case: every case is its
 * own row) and for a {@code --quick} run, an {@link Inputs} that writes what the peers read, and the peers: a
 * script under the peers folder run with {@code --workload NAME --peer PEER --inputs DIR --<param> <value>...}
 * plus the common timing options, which prints one JSON line with at least {@code median_ms} (see
 * {@code segmentation-bench/README.md}), or another benchmark of ours run in the same JMH run (a baseline such as
 * ND4J's own kernel, {@link Peer#jmh}).
 *
 * @param name short name, also the {@code --workload} given to the peers and the prefix of their input files
 * @param description what is measured, for the report
 * @param benchmark JMH benchmark, {@code package.Class.method}; for {@link Metric#PEAK_RSS} the Java main class
 *     that does the work in a fresh JVM (see there)
 * @param cases JMH parameters of a full run, one map per case (row), in report order
 * @param quickParams JMH parameters of a {@code --quick} run (the smallest inputs), one case
 * @param peers the programs compared against
 * @param inputs writes the inputs the peers read
 * @param flops floating-point operations per call for the GFLOP/s column, or null when it does not apply
 * @param metric what is compared
 * @param group workloads with the same group (not null) get one geometric mean of ours / peer per peer over all
 *     their cases in the report; null for none
 */
public record Workload(String name, String description, String benchmark, List<Map<String, String>> cases,
        Map<String, String> quickParams, List<Peer> peers, Inputs inputs, Flops flops, Metric metric,
        String group) {

    /** What a workload compares. */
    public enum Metric {
        /**
         * Time per call in ms: ours is JMH's average time of {@code benchmark}; a script peer prints
         * {@code median_ms}.
         */
        TIME("ms", "median_ms"),
        /**
         * Peak resident set size (VmHWM) in MB of a whole fresh process doing the work once: ours runs
         * {@code benchmark} as a main class in a new JVM ({@link ComparisonRunner#PROCESS_JVM_ARGS}, the
         * workload's parameters as {@code --<param> <value>}) and, like a script peer, prints a JSON line with
         * {@code peak_rss_mb}.
         */
        PEAK_RSS("MB", "peak_rss_mb");

        private final String unit;
        private final String key;

        Metric(String unit, String key) {
            this.unit = unit;
            this.key = key;
        }

        /** Unit of the values, {@code ms} or {@code MB}. */
        public String unit() {
            return unit;
        }

        /** Key of the value in a JSON result line. */
        public String key() {
            return key;
        }
    }

    /** Writes a workload's input files. */
    @FunctionalInterface
    public interface Inputs {
        /**
         * Writes the inputs for these parameters into {@code dir} and returns our own check value (the same
         * summary of our result that the peers print as {@code check}), or null for none.
         */
        Object write(Map<String, String> params, Path dir) throws IOException;
    }

    /** Floating-point operations of one call for given parameters. */
    @FunctionalInterface
    public interface Flops {
        double of(Map<String, String> params);
    }

    /**
     * A peer: a program, or a JMH benchmark timed in the same JMH run as ours.
     *
     * @param name the {@code --peer} value and the label in the report, e.g. {@code opencv}
     * @param script file name under the peers folder, or null for a JMH peer
     * @param benchmark JMH benchmark {@code package.Class.method} with the same {@code @Param}s as ours, or null
     *     for a script peer
     * @param threads threads the peer is told to use, stated in the report
     */
    public record Peer(String name, String script, String benchmark, int threads) {
        /** Validates. */
        public Peer {
            Objects.requireNonNull(name, "name");
            if ((script == null) == (benchmark == null)) {
                throw new IllegalArgumentException("peer " + name + " needs a script or a benchmark, not both");
            }
            if (threads < 1) {
                throw new IllegalArgumentException("a peer needs at least one thread, got " + threads);
            }
        }

        /** A program under the peers folder. */
        public Peer(String name, String script, int threads) {
            this(name, script, null, threads);
        }

        /** A JMH benchmark run in the same JMH run as ours, with the same parameters. */
        public static Peer jmh(String name, String benchmark, int threads) {
            return new Peer(name, null, benchmark, threads);
        }
    }

    /** Validates and copies the collections. */
    public Workload {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(benchmark, "benchmark");
        Objects.requireNonNull(inputs, "inputs");
        Objects.requireNonNull(metric, "metric");
        if (name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("a workload name must be one word, got '" + name + "'");
        }
        cases = cases.stream().map(Map::copyOf).toList();
        if (cases.isEmpty()) {
            throw new IllegalArgumentException(name + ": no case");
        }
        quickParams = Map.copyOf(quickParams);
        peers = List.copyOf(peers);
        if (metric != Metric.TIME && peers.stream().anyMatch(p -> p.benchmark() != null)) {
            throw new IllegalArgumentException(name + ": JMH peers measure time only");
        }
    }

    /** A timed workload with one case and no group. */
    public Workload(String name, String description, String benchmark, Map<String, String> params,
            Map<String, String> quickParams, List<Peer> peers, Inputs inputs, Flops flops) {
        this(name, description, benchmark, List.of(params), quickParams, peers, inputs, flops, Metric.TIME, null);
    }

    /**
     * This workload with only the cases whose parameters include every entry of {@code where} (a parameter the
     * workload does not have matches no case).
     *
     * @throws IllegalArgumentException if no case is left
     */
    public Workload where(Map<String, String> where) {
        List<Map<String, String>> kept = cases.stream()
                .filter(c -> where.entrySet().stream().allMatch(e -> e.getValue().equals(c.get(e.getKey()))))
                .toList();
        if (kept.isEmpty()) {
            throw new IllegalArgumentException(name + ": no case has " + where + "; its cases: " + cases);
        }
        return new Workload(name, description, benchmark, kept, quickParams, peers, inputs, flops, metric, group);
    }

    /** The parameters of the cases of a full run, or the one case of a quick run. */
    public List<Map<String, String>> cases(boolean quick) {
        return quick ? List.of(quickParams) : cases;
    }
}
