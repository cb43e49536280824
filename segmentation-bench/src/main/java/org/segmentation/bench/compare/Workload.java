package org.segmentation.bench.compare;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One row group of the peer comparison: a JMH benchmark of ours with its parameters, and the peer programs
 * that time the same work on the same input. {@link ComparisonRunner} runs the two sides one after the other,
 * round after round, so that they see the same machine load.
 *
 * <p>To add a workload (a convolution, a U-Net step), give the benchmark's full name
 * ({@code package.Class.method}), its {@code @Param} values for a full and a {@code --quick} run, an
 * {@link Inputs} that writes what the peers read, and the peers: a script under the peers folder run with
 * {@code --workload NAME --peer PEER --inputs DIR --<param> <value>...} plus the common timing options, which
 * prints one JSON line with at least {@code median_ms} (see {@code segmentation-bench/README.md}).
 *
 * @param name short name, also the {@code --workload} given to the peers and the prefix of their input files
 * @param description what is measured, for the report
 * @param benchmark JMH benchmark, {@code package.Class.method}
 * @param params JMH parameters of a full run
 * @param quickParams JMH parameters of a {@code --quick} run (the smallest inputs)
 * @param peers the programs compared against
 * @param inputs writes the inputs the peers read
 * @param flops floating-point operations per call for the GFLOP/s column, or null when it does not apply
 */
public record Workload(String name, String description, String benchmark, Map<String, String> params,
        Map<String, String> quickParams, List<Peer> peers, Inputs inputs, Flops flops) {

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
     * A peer program.
     *
     * @param name the {@code --peer} value and the label in the report, e.g. {@code opencv}
     * @param script file name under the peers folder
     * @param threads threads the peer is told to use, stated in the report
     */
    public record Peer(String name, String script, int threads) {
        /** Validates. */
        public Peer {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(script, "script");
            if (threads < 1) {
                throw new IllegalArgumentException("a peer needs at least one thread, got " + threads);
            }
        }
    }

    /** Validates and copies the collections. */
    public Workload {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(benchmark, "benchmark");
        Objects.requireNonNull(inputs, "inputs");
        if (name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("a workload name must be one word, got '" + name + "'");
        }
        params = Map.copyOf(params);
        quickParams = Map.copyOf(quickParams);
        peers = List.copyOf(peers);
    }

    /** The parameters of a full or a quick run. */
    public Map<String, String> params(boolean quick) {
        return quick ? quickParams : params;
    }
}
