package org.segmentation.bench.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code seg spark}: batch segmentation, evaluation and data-parallel training on Apache Spark, on
 * {@code local[N]} or a cluster ({@code --master}, or the master {@code spark-submit} sets). Spark is not in the
 * runnable jar (the library declares it {@code provided}): run these commands with {@code spark-submit}, or with
 * Spark's jars on the class path. The Spark code lives in {@link SparkJobs}, which is loaded only when a command
 * runs, so that {@code seg --help} and the other commands work without Spark.
 */
@Command(name = "spark", mixinStandardHelpOptions = true,
        description = {"Segment, evaluate and train on Apache Spark (local[N] or a cluster).",
            "Needs Spark on the class path: run with spark-submit (see the README, 'Beyond one machine')."},
        subcommands = {SparkCommand.Segment.class, SparkCommand.Evaluate.class, SparkCommand.Train.class,
            SparkCommand.Throughput.class})
final class SparkCommand {
    @Option(names = "--master", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "Spark master, e.g. local[4], spark://host:7077, yarn, k8s://https://host:443 (default: the"
                    + " one spark-submit sets, else local[*]).")
    String master;

    /** The master to ask for, or null to keep the one spark-submit set. */
    String master() {
        if (master != null) {
            return master;
        }
        return System.getProperty("spark.master") != null ? null : "local[*]";
    }

    static void requireSpark() {
        try {
            Class.forName("org.apache.spark.sql.SparkSession", false, SparkCommand.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("Spark is not on the class path: run 'seg spark' with spark-submit"
                    + " (Spark 4.0, Scala 2.13) or add Spark's jars to the class path; see the README, 'Beyond one"
                    + " machine'");
        }
    }

    @Command(name = "segment", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Segment every image under a folder or glob; write NAME.labels.png per image into --out.",
                "An unreadable image is reported, not fatal."})
    static final class Segment implements Callable<Integer> {
        @ParentCommand
        SparkCommand parent;
        @Spec
        CommandSpec spec;

        @CommandLine.Parameters(index = "0", paramLabel = "INPUT",
                description = "Folder (read recursively) or glob, in any file system Spark reads.")
        String input;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR",
                description = "Output folder, at the same path on every executor (local disk for local[N]).")
        Path out;

        @Option(names = {"-a", "--algorithm"}, paramLabel = "NAME",
                description = "A classic algorithm (otsu, multi-otsu, kmeans, watershed, split-touching).")
        String algorithm;

        @Option(names = {"-m", "--model"}, paramLabel = "DIR", description = "A model folder from 'seg train'.")
        Path model;

        @Option(names = "--instances", description = "Cells of a 3-class model by a watershed.")
        boolean instances;

        @Option(names = "--partitions", defaultValue = "0", paramLabel = "N",
                description = "Tasks; 0 keeps the binaryFile source's split (default: ${DEFAULT-VALUE}).")
        int partitions;

        @Option(names = "--json", description = "Print the summary as one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if ((algorithm == null) == (model == null)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "give exactly one of --algorithm and --model");
            }
            requireSpark();
            return SparkJobs.segment(spec.commandLine().getOut(), parent.master(), input, out, algorithm, model,
                    instances, partitions, json);
        }
    }

    @Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Score label files against masks (pairs by name stem): pooled mean IoU, Dice, accuracy.")
    static final class Evaluate implements Callable<Integer> {
        @ParentCommand
        SparkCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = "--predictions", required = true, paramLabel = "PATH",
                description = "Folder or glob of label files (NAME.labels.png or NAME.png).")
        String predictions;

        @Option(names = "--masks", required = true, paramLabel = "PATH", description = "Folder or glob of masks.")
        String masks;

        @Option(names = "--classes", required = true, paramLabel = "N", description = "Classes, background included.")
        int classes;

        @Option(names = "--ignore-label", defaultValue = "-1", paramLabel = "L",
                description = "Mask value of unlabelled pixels; -1 for none (default).")
        int ignore;

        @Option(names = "--json", description = "Print the scores as one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            requireSpark();
            return SparkJobs.evaluate(spec.commandLine().getOut(), parent.master(), predictions, masks, classes,
                    ignore, json);
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Train a U-Net data-parallel: W workers average weights every K local steps.",
                "Writes --out/last (checkpoint after every round; a rerun resumes from it) and --out/model."})
    static final class Train implements Callable<Integer> {
        @ParentCommand
        SparkCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = "--data", paramLabel = "DIR",
                description = "Folder with images/ and masks/, at the same path on every executor.")
        Path data;

        @Option(names = "--classes", defaultValue = "0", paramLabel = "N",
                description = "Classes of --data, background included; 0 infers them from the masks, which every"
                        + " task then reads (default).")
        int classes;

        @Option(names = "--synthetic-cells", paramLabel = "N", defaultValue = "0",
                description = "Train on N synthetic cell images instead of --data.")
        int synthetic;

        @Option(names = "--size", defaultValue = "64", paramLabel = "PX",
                description = "Side of the synthetic images (default: ${DEFAULT-VALUE}).")
        int size;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Output folder.")
        Path out;

        @Option(names = "--workers", defaultValue = "2", paramLabel = "W",
                description = "Data-parallel workers (tasks per round) (default: ${DEFAULT-VALUE}).")
        int workers;

        @Option(names = "--local-steps", defaultValue = "8", paramLabel = "K",
                description = "Steps each worker takes between averagings (default: ${DEFAULT-VALUE}).")
        int localSteps;

        @Option(names = "--epochs", defaultValue = "20", paramLabel = "E",
                description = "Epochs over each worker's share (default: ${DEFAULT-VALUE}).")
        int epochs;

        @Option(names = "--steps", defaultValue = "0", paramLabel = "S",
                description = "Stop after S steps per worker; 0 for the epochs only (default).")
        long steps;

        @Option(names = "--batch-size", defaultValue = "4", paramLabel = "B") int batchSize;
        @Option(names = "--depth", defaultValue = "3", paramLabel = "D") int depth;
        @Option(names = "--base-filters", defaultValue = "16", paramLabel = "F") int baseFilters;
        @Option(names = "--lr", defaultValue = "0.001", paramLabel = "RATE") double learningRate;
        @Option(names = "--seed", defaultValue = "0", paramLabel = "SEED") long seed;

        @Option(names = "--json", description = "Print the result as one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if ((data == null) == (synthetic == 0)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "give exactly one of --data and --synthetic-cells");
            }
            requireSpark();
            return SparkJobs.train(spec.commandLine().getOut(), parent.master(), this);
        }
    }

    @Command(name = "throughput", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Measure batch segmentation with a U-Net on local[1] against local[2] (alternating, in",
                "this one run), Spark's per-task overhead, and project the throughput of 8, 64 and 512 cores.",
                "Writes N synthetic cell images (--out/cells/images, masks in --out/cells/masks) and an untrained",
                "U-Net (a prediction costs the same whatever the weights) unless --images and --model are given."})
    static final class Throughput implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--images", paramLabel = "DIR", description = "Folder of images (default: synthetic).")
        Path images;

        @Option(names = {"-m", "--model"}, paramLabel = "DIR",
                description = "A model folder (default: an untrained U-Net of --depth and --base-filters).")
        Path model;

        @Option(names = "--synthetic-cells", defaultValue = "200", paramLabel = "N",
                description = "Synthetic images when no --images (default: ${DEFAULT-VALUE}).")
        int count;

        @Option(names = "--size", defaultValue = "128", paramLabel = "PX",
                description = "Side of the synthetic images (default: ${DEFAULT-VALUE}).")
        int size;

        @Option(names = "--depth", defaultValue = "3", paramLabel = "D") int depth;
        @Option(names = "--base-filters", defaultValue = "16", paramLabel = "F") int baseFilters;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Scratch folder.")
        Path out;

        @Option(names = "--repeats", defaultValue = "3", paramLabel = "R",
                description = "Alternating local[1]/local[2] pairs (default: ${DEFAULT-VALUE}).")
        int repeats;

        @Override
        public Integer call() throws Exception {
            requireSpark();
            return SparkJobs.throughput(spec.commandLine().getOut(), this);
        }
    }
}
