package org.segmentation.bench.experiment;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.segmentation.bench.experiment.CompositesExperiment.Config;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code seg experiment composites}: {@link CompositesExperiment} from the command line. Prints the table of
 * {@code results.md}; exits 1 when the PyTorch side fails (after writing our result).
 */
@Command(name = "composites", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Our U-Net beside the same U-Net in PyTorch on textured composites (11 classes): same"
                + " images (written as .npy to --out/data), same architecture, steps, batch, Adam, learning rate,"
                + " cross-entropy and augmentation; validation mIoU and pixel accuracy of each.",
            "Writes results.json and results.md into --out. One seed of the default budget took about 2 minutes"
                    + " (PyTorch) and 6 minutes (ours) on 2 shared cores (segmentation-bench/README.md)."})
public final class CompositesExperimentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--out"}, defaultValue = "out/experiment-composites", paramLabel = "DIR",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--train", paramLabel = "N", description = "Training composites (default: 2048).")
    Integer train;

    @Option(names = "--val", paramLabel = "N", description = "Validation composites (default: 256).")
    Integer val;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps of each side (default: "
            + CompositesExperiment.DEFAULT_STEPS + ").")
    Integer steps;

    @Option(names = "--batch", paramLabel = "B", description = "Images per step (default: 16).")
    Integer batch;

    @Option(names = "--size", paramLabel = "PX", description = "Composite width and height (default: 32).")
    Integer size;

    @Option(names = "--depth", paramLabel = "D", description = "U-Net poolings (default: 4).")
    Integer depth;

    @Option(names = "--base-filters", paramLabel = "F", description = "Filters of the first level (default: 16).")
    Integer baseFilters;

    @Option(names = "--lr", paramLabel = "LR", description = "Adam's initial learning rate (default: 0.003).")
    Double lr;

    /** Learning-rate schedules both sides implement. */
    enum Schedule { cosine, constant }

    @Option(names = "--schedule", paramLabel = "NAME", description = "cosine or constant (default: cosine).")
    Schedule schedule;

    @Option(names = "--augment", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Random flips and quarter turns, the same on both sides (default: off).")
    boolean augment;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the weights, batch order and augmentation"
            + " (default: 7); the data seed is --data-seed.")
    Long seed;

    @Option(names = "--seeds", defaultValue = "1", paramLabel = "N", description = "Runs of each side, with"
            + " training seeds --seed .. --seed + N - 1 on the same data; reports each side's mean and sample"
            + " standard deviation of the mIoU (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--data-seed", paramLabel = "S", description = "Seed of the composites (default: 2026).")
    Long dataSeed;

    @Option(names = "--init", paramLabel = "FILE", description = "Both sides start from these weights (safetensors"
            + " by parameter name, e.g. the peer's --dump-init) instead of their seeded initialisation.")
    Path init;

    @Option(names = "--order", paramLabel = "FILE", description = "Both sides train on these batches in this order"
            + " (.npy of int32 training-image indices, shape steps x batch, e.g. the peer's --dump-order) instead of"
            + " their seeded epoch permutations; not with --augment.")
    Path order;

    @Mixin
    PeerOptions peer;

    @Override
    public Integer call() throws Exception {
        Config d = Config.defaults();
        Config c;
        try {
            c = d.withBudget(or(train, d.trainImages()), or(val, d.valImages()), or(steps, d.steps()),
                            or(batch, d.batchSize()))
                    .withModel(or(size, d.size()), or(depth, d.depth()), or(baseFilters, d.baseFilters()))
                    .withOptimizer(lr == null ? d.learningRate() : lr,
                            schedule == null ? d.cosine() : schedule == Schedule.cosine, augment)
                    .withSeeds(dataSeed == null ? d.dataSeed() : dataSeed, seed == null ? d.trainSeed() : seed)
                    .withDraws(init, order);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (seeds < 1) {
            throw new ParameterException(spec.commandLine(), "--seeds must be at least 1, got " + seeds);
        }
        Path script = peer.script(CompositesExperiment.PEER_SCRIPT);
        CompositesExperiment.Results r = new CompositesExperiment(c).run(out, seeds, peer.python(),
                script, peer.noProgress ? null : System.err);
        PrintWriter pw = spec.commandLine().getOut();
        pw.print(CompositesExperiment.markdown(r));
        pw.println("written: " + out.resolve("results.json") + ", " + out.resolve("results.md"));
        pw.flush();
        if (r.peerError() != null) {
            throw new IOException(r.peerError());
        }
        return 0;
    }

    private static int or(Integer v, int fallback) {
        return v == null ? fallback : v;
    }
}
