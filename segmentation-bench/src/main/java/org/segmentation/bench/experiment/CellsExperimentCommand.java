package org.segmentation.bench.experiment;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code seg experiment cells}: runs {@link CellsExperiment} and prints its table. */
@Command(name = "cells", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"U-Net against the classic split-touching pipeline on generated touching cells: trains a"
                + " U-Net from scratch (fixed seeds, fixed step budget), then scores both on the same held-out"
                + " images (foreground IoU, instance AP@0.5). The classic settings are grid-searched on training"
                + " images first.",
            "Writes results.json, results.md, curves.png, history/, model/ and overlays of one validation image"
                + " to --out. For the resident set size to mean something, give the JVM a fixed heap, e.g."
                + " JAVA_OPTS='-Xms1g -Xmx1g -XX:+AlwaysPreTouch'."})
public final class CellsExperimentCommand implements Callable<Integer> {
    private static final CellsExperiment.Config D = CellsExperiment.Config.defaults();

    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--out"}, defaultValue = "out/experiment-cells", paramLabel = "DIR",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--train", paramLabel = "N", description = "Training images (default: 256).")
    int trainImages = D.trainImages();

    @Option(names = "--val", paramLabel = "N", description = "Validation images (default: 64).")
    int validationImages = D.validationImages();

    @Option(names = "--depth", paramLabel = "D", description = "U-Net depth (default: 3).")
    int depth = D.depth();

    @Option(names = "--base-filters", paramLabel = "F", description = "Filters of the first level (default: 16).")
    int baseFilters = D.baseFilters();

    @Option(names = "--batch", paramLabel = "B", description = "Crops per step (default: 8).")
    int batchSize = D.batchSize();

    @Option(names = "--crop", paramLabel = "PX", description = "Side of the training crops (default: 64).")
    int crop = D.crop();

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (default: 900).")
    int steps = D.steps();

    @Option(names = "--lr", paramLabel = "RATE", description = "Adam's initial rate, cosine-annealed to 1%% of it"
            + " (default: 0.002).")
    double learningRate = D.learningRate();

    @Option(names = "--validate-every", paramLabel = "N", description = "Steps between validations (default: 100).")
    int validateEvery = D.validateEvery();

    @Option(names = "--seed", paramLabel = "S", description = "Seed of data, weights and order (default: 2026).")
    long seed = D.seed();

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        CellsExperiment.Config config;
        try {
            config = new CellsExperiment.Config(trainImages, validationImages, depth, baseFilters, batchSize, crop,
                    steps, learningRate, validateEvery, seed);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        CellsExperiment.Result r = new CellsExperiment(config, !noProgress).run(out);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.print(CellsExperiment.markdown(r));
        stdout.println("wrote " + CellsExperiment.JSON_FILE + " and " + CellsExperiment.MARKDOWN_FILE + " to " + out);
        return 0;
    }
}
