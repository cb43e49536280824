package org.segmentation.bench.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import org.segmentation.bench.experiment.MaskRCNNExperiment;
import org.segmentation.bench.nn.ProgressBarListener;
import org.segmentation.bench.nn.TrainingCurves;
import org.segmentation.nn.data.Sample;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.TexturedComposites;
import org.segmentation.nn.model.MaskRCNN;
import org.segmentation.nn.loss.SoftmaxCrossEntropy;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.optim.Sgd;
import org.segmentation.nn.predict.PredictorConfig;
import org.segmentation.nn.task.MaskRCNNTraining;
import org.segmentation.nn.task.TrainedUNet;
import org.segmentation.nn.task.UNetTraining;
import org.segmentation.nn.train.Trainer;
import org.segmentation.nn.train.TrainingListener;
import org.segmentation.nn.train.TrainingResult;
import org.segmentation.nn.train.ValidationResult;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code seg train}: trains a U-Net on a folder of image/mask pairs or on synthetic data, or with
 * {@code --arch maskrcnn} a Mask R-CNN on a COCO instances file ({@code --coco FILE --images DIR}) or on synthetic
 * instances, and writes, into
 * {@code --out}: the checkpoints {@code last/} and {@code best/} (best validation mean IoU), the history
 * ({@code steps.csv}, {@code validation.csv}, {@code history.json}), {@code curves.png}, and the final model
 * {@code model/} (the weights after the last step, as {@link UNet#save} writes them).
 *
 * <p>Synthetic cells are trained on their 3-class target (background, interior, boundary), which is what
 * {@code seg predict --instances} decodes into cells. With {@code --json}, stdout is one JSON object:
 * {@code algorithm} ("unet"), {@code width}, {@code height} (of the training images), {@code millis} (the
 * training run), {@code seconds_per_image} ({@code millis} over steps × batch size), {@code epochs},
 * {@code steps}, {@code final_loss}, {@code best_metric} (best validation mean
 * IoU), and {@code mean_iou}, {@code dice}, {@code pixel_accuracy} of the final model on the validation set.
 * Without it, a progress bar is drawn on stderr.
 *
 * <p>A Mask R-CNN ({@link MaskRCNNTraining}'s defaults: the small configuration, SGD with warm-up, flips) is
 * trained on synthetic cells as one class, on composites as 10 item classes with each item its own instance, or
 * on a COCO file's categories; its best checkpoint is the best validation mask AP. With {@code --json}:
 * {@code algorithm} ("maskrcnn"), {@code width}, {@code height}, {@code millis}, {@code seconds_per_image},
 * {@code epochs}, {@code steps}, {@code final_loss}, {@code best_metric} (best validation mask AP), {@code ap} and
 * {@code ap50} (COCO mask AP of the final model on the validation set), {@code model}.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a U-Net on a folder of image/mask pairs or on synthetic data, or (--arch maskrcnn) a"
                + " Mask R-CNN on a COCO instances file or synthetic instances.",
            "Writes checkpoints (last/, best/), the history (CSV, JSON), curves.png and the final model (model/)"
                    + " into --out."})
final class TrainCommand implements Callable<Integer> {
    /** Exactly one of a folder and a generator. */
    static final class Source {
        @Option(names = "--data", paramLabel = "DIR", description = "Folder with images/ and masks/.")
        Path data;

        @Option(names = "--synthetic", paramLabel = "KIND",
                description = "Generated data: cells (3-class target: background, interior, boundary; for a Mask"
                        + " R-CNN one class, each cell an instance) or composites (11 classes, each item an"
                        + " instance).")
        EvaluateCommand.Synthetic synthetic;

        @Option(names = "--coco", paramLabel = "FILE",
                description = "A COCO instances JSON (with --images DIR), for --arch maskrcnn.")
        Path coco;
    }

    enum OptimizerKind { adam, adamw, sgd }

    /** The networks {@code --arch} accepts. */
    enum Arch { unet, maskrcnn }

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--arch", defaultValue = "unet", paramLabel = "NAME",
            description = "unet or maskrcnn (default: ${DEFAULT-VALUE}).")
    Arch arch;

    @Option(names = "--images", paramLabel = "DIR",
            description = "With --coco: the folder its file_name entries are relative to.")
    Path images;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR",
            description = "Output folder (default: the parent of --resume; required otherwise).")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue from a checkpoint folder (e.g. OUT/last) written with the same options.")
    Path resume;

    @Option(names = "--count", defaultValue = "64", paramLabel = "N",
            description = "Synthetic images, training and validation together (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--size", defaultValue = "64", paramLabel = "PX",
            description = "Synthetic image size; with --data, the random crop (0 = none) (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--channels", defaultValue = "1", paramLabel = "C",
            description = "Channels a folder's images are read with, 1 or 3 (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--classes", defaultValue = "0", paramLabel = "N",
            description = "Classes of a folder's masks, background included; 0 infers them (default).")
    int classes;

    @Option(names = "--val-fraction", defaultValue = "0.2", paramLabel = "F",
            description = "Fraction held out for validation, in [0, 1) (default: ${DEFAULT-VALUE}).")
    double valFraction;

    @Option(names = "--depth", defaultValue = "3", paramLabel = "D",
            description = "U-Net levels below the input (default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = "--base-filters", defaultValue = "16", paramLabel = "F",
            description = "Filters of the first level, doubled per level (default: ${DEFAULT-VALUE}).")
    int baseFilters;

    @Option(names = "--batch-size", defaultValue = "4", paramLabel = "B", description = "(default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--epochs", defaultValue = "10", paramLabel = "E", description = "(default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--steps", defaultValue = "0", paramLabel = "N",
            description = "Stop after N optimizer steps in all, 0 for no limit (default: ${DEFAULT-VALUE}).")
    long steps;

    @Option(names = "--lr", paramLabel = "LR",
            description = "Learning rate (default: 1e-3 for a U-Net, " + MaskRCNNTraining.DEFAULT_LEARNING_RATE
                    + " after a warm-up for a Mask R-CNN).")
    Double lr;

    @Option(names = "--optimizer", paramLabel = "NAME",
            description = "adam, adamw (weight decay 0.01) or sgd (momentum 0.9; a Mask R-CNN's with weight decay"
                    + " 1e-4) (default: adam for a U-Net, sgd for a Mask R-CNN).")
    OptimizerKind optimizer;

    @Option(names = "--loss", defaultValue = "ce", paramLabel = "NAME",
            description = "ce (cross-entropy) or ce+dice (default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--augment", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Random flips and quarter turns of the training images (default: on).")
    boolean augment;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S",
            description = "Seed of the data, the split, the weights and the batches (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N",
            description = "Threads preparing batches, 0 for the training thread (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--scan", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Decode every image and mask of --data once before training, so that a bad file fails at"
                    + " once (default: on; --no-scan for huge datasets).")
    boolean scan;

    @Option(names = "--patience", defaultValue = "" + UNetTraining.DEFAULT_PATIENCE, paramLabel = "N",
            description = "Stop after N validations without a better mean IoU; 0 never stops early"
                    + " (default: ${DEFAULT-VALUE}).")
    int patience;

    @Option(names = "--json", description = "Print one JSON object on stdout at the end; no progress bar.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        checkOptions();
        if (out == null) {
            out = resume.toAbsolutePath().getParent();
        }
        if (arch == Arch.maskrcnn) {
            return trainMaskRCNN();
        }
        if (lr == null) {
            lr = 1e-3;
        }
        if (optimizer == null) {
            optimizer = OptimizerKind.adam;
        }
        UNetTraining training;
        if (source.data != null) {
            training = UNetTraining.onFolder(source.data).channels(channels).classes(classes).crop(size)
                    .scanData(scan);
        } else {
            try {
                training = UNetTraining.on(EvaluateCommand.synthetic(source.synthetic, count, seed, size));
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }
        double rate = lr;
        training.validationFraction(valFraction).depth(depth).baseFilters(baseFilters).batchSize(batchSize)
                .epochs(epochs).maxSteps(steps).learningRate(lr).seed(seed).loaderThreads(threads).output(out)
                .earlyStopping(patience).resumeFrom(resume);
        switch (optimizer) {
            case adam -> { }
            case adamw -> training.optimizer(p -> Adam.adamW(p, rate, 0.9, 0.999, 1e-8, 0.01));
            case sgd -> training.optimizer(p -> new Sgd(p, rate, 0.9, false, 0));
        }
        if ("ce".equals(loss)) {
            training.loss(new SoftmaxCrossEntropy());
        }
        if (!augment) {
            training.augmentation(null);
        }
        Finished<UNetTraining.Result> done = train(training::listener, training::train, UNetTraining.Result::run);
        UNetTraining.Result result = done.result();
        TrainingResult run = done.run();
        SegmentationDataset validation = result.validation();
        ValidationResult v = validation == null ? null : Trainer.evaluate(result.model().network(), result.loss(),
                validation, 1, run.steps(), run.epochs());
        Sample first = result.train().get(0);
        PrintWriter stdout = spec.commandLine().getOut();
        if (json) {
            ObjectNode node = jsonSummary(UNet.ARCHITECTURE, first, done);
            node.put("final_loss", done.finalLoss());
            putNumber(node, "best_metric", run.best());
            putNumber(node, "mean_iou", v == null ? Double.NaN : v.meanIoU());
            putNumber(node, "dice", v == null ? Double.NaN : v.meanDice());
            putNumber(node, "pixel_accuracy", v == null ? Double.NaN : v.pixelAccuracy());
            node.put("model", modelDir().toString());
            stdout.println(node);
        } else {
            printSummary(stdout, done, v == null ? null : String.format(Locale.ROOT, "validation (%d images):"
                    + " mean IoU %.4f, Dice %.4f, pixel accuracy %.4f; best mean IoU %.4f", validation.size(),
                    v.meanIoU(), v.meanDice(), v.pixelAccuracy(), run.best()));
        }
        return 0;
    }

    /** {@code --arch maskrcnn}: {@link MaskRCNNTraining} on the COCO file or the synthetic instances. */
    private int trainMaskRCNN() throws Exception {
        MaskRCNNTraining training;
        if (source.coco != null) {
            training = MaskRCNNTraining.onCoco(source.coco, images, channels);
        } else {
            try {
                training = MaskRCNNTraining.on(syntheticInstances(source.synthetic, count, seed, size))
                        .classNames(source.synthetic == EvaluateCommand.Synthetic.cells
                                ? List.of("background", "cell") : TexturedComposites.CLASS_NAMES);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }
        training.validationFraction(valFraction).batchSize(batchSize).epochs(epochs).maxSteps(steps).seed(seed)
                .loaderThreads(threads).output(out).resumeFrom(resume);
        if (lr != null) {
            training.learningRate(lr);
        }
        if (optimizer != null) {
            double rate = lr != null ? lr : MaskRCNNTraining.DEFAULT_LEARNING_RATE;
            switch (optimizer) {
                case adam -> training.optimizer(p -> Adam.adam(p, rate, 0.9, 0.999, 1e-8, 0));
                case adamw -> training.optimizer(p -> Adam.adamW(p, rate, 0.9, 0.999, 1e-8, 0.01));
                case sgd -> { }
            }
        }
        if (!augment) {
            training.augmentation(null);
        }
        Finished<MaskRCNNTraining.Result> done = train(training::listener, training::train,
                MaskRCNNTraining.Result::run);
        MaskRCNNTraining.Result result = done.result();
        TrainingResult run = done.run();
        SegmentationDataset validation = result.validation();
        ValidationResult v = validation == null ? null : MaskRCNNTraining.evaluate(result.model(), validation,
                run.steps(), run.epochs());
        Sample first = result.train().get(0);
        PrintWriter stdout = spec.commandLine().getOut();
        if (json) {
            ObjectNode node = jsonSummary(MaskRCNN.ARCHITECTURE, first, done);
            putNumber(node, "final_loss", done.finalLoss());
            putNumber(node, "best_metric", run.best());
            putNumber(node, "ap", v == null ? Double.NaN : v.maskAp());
            putNumber(node, "ap50", v == null ? Double.NaN : v.maskAp50());
            node.put("model", modelDir().toString());
            stdout.println(node);
        } else {
            printSummary(stdout, done, v == null ? null : String.format(Locale.ROOT, "validation (%d images):"
                    + " mask AP %.4f, AP50 %.4f; best mask AP %.4f", validation.size(), v.maskAp(), v.maskAp50(),
                    run.best()));
        }
        return 0;
    }

    /**
     * A finished training run, whichever the architecture.
     *
     * @param result what the training returned
     * @param run how the run ended, with its history
     * @param millis the wall time of the training call
     */
    private record Finished<R>(R result, TrainingResult run, double millis) {
        /** The loss of the last step, NaN when the run took none. */
        double finalLoss() {
            double[] losses = run.history().losses();
            return losses.length == 0 ? Double.NaN : losses[losses.length - 1];
        }
    }

    /**
     * Runs a configured training, timed, with a progress bar on stderr unless {@code --json} (whose output is then
     * the one JSON object alone); a setting the training refuses is a usage error. Then draws the history's curves
     * into {@code --out}.
     *
     * @param listener adds a listener to the training
     * @param training runs the training
     * @param run the run's result, out of what the training returned
     */
    private <R> Finished<R> train(Consumer<TrainingListener> listener, Callable<R> training,
            Function<R, TrainingResult> run) throws Exception {
        long t0 = System.nanoTime();
        R result;
        try (ProgressBarListener bar = json ? null : ProgressBarListener.stderr("train")) {
            if (bar != null) {
                listener.accept(bar);
            }
            result = training.call();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        double millis = (System.nanoTime() - t0) / 1e6;
        TrainingResult finished = run.apply(result);
        TrainingCurves.write(finished.history(), out.resolve(TrainingCurves.FILE));
        return new Finished<>(result, finished, millis);
    }

    /** The final model's folder in {@code --out}, where both architectures' trainings save it. */
    private Path modelDir() {
        return out.resolve(TrainedUNet.MODEL_DIR);
    }

    /**
     * The {@code --json} fields both architectures report first: {@code algorithm}, the training images'
     * {@code width} and {@code height} (those of {@code first}), {@code millis}, {@code seconds_per_image},
     * {@code epochs} and {@code steps}.
     */
    private ObjectNode jsonSummary(String algorithm, Sample first, Finished<?> done) {
        TrainingResult run = done.run();
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("algorithm", algorithm);
        node.put("width", first.width());
        node.put("height", first.height());
        node.put("millis", done.millis());
        // batches are full (the trainer drops an epoch's incomplete last batch)
        putNumber(node, "seconds_per_image", done.millis() / 1000 / ((double) run.steps() * batchSize));
        node.put("epochs", run.epochs());
        node.put("steps", run.steps());
        return node;
    }

    /**
     * The summary without {@code --json}: the steps, time and final loss, then the {@code validation} line (when
     * there is one), then what was written where.
     */
    private void printSummary(PrintWriter stdout, Finished<?> done, String validation) {
        TrainingResult run = done.run();
        stdout.printf(Locale.ROOT, "trained %d steps (%d epochs) in %.1f s, final loss %.4f%n", run.steps(),
                run.epochs(), done.millis() / 1000, done.finalLoss());
        if (validation != null) {
            stdout.println(validation);
        }
        stdout.println("wrote " + modelDir() + ", checkpoints, history and " + TrainingCurves.FILE + " to " + out);
    }

    /** Synthetic instance data: cells as one class, composites as their 10 item classes. */
    static SegmentationDataset syntheticInstances(EvaluateCommand.Synthetic kind, int count, long seed, int size) {
        return MaskRCNNExperiment.instanceData(MaskRCNNExperiment.Data.valueOf(kind.name()), count, seed, size);
    }

    private static void putNumber(ObjectNode node, String key, double value) {
        if (Double.isFinite(value)) {
            node.put(key, value);
        } else {
            node.putNull(key);
        }
    }

    /** Classes of a 16-bit label PNG, the most a mask file can hold. */
    static final int MAX_CLASSES = 65536;

    /** Option values that cannot work, reported as usage errors before anything is read. */
    private void checkOptions() {
        List<String> problems = new ArrayList<>();
        if (out == null && resume == null) {
            problems.add("--out DIR is required (or --resume DIR)");
        }
        if (!"ce".equals(loss) && !"ce+dice".equals(loss)) {
            problems.add("--loss must be ce or ce+dice, got '" + loss + "'");
        }
        if (!(valFraction >= 0 && valFraction < 1)) {
            problems.add("--val-fraction must be in [0, 1), got " + valFraction);
        }
        if (lr != null && (!(lr > 0) || Double.isInfinite(lr))) {
            problems.add("--lr must be a finite number > 0, got " + lr);
        }
        if (count < 1) {
            problems.add("--count must be >= 1, got " + count);
        }
        if (threads < 0) {
            problems.add("--threads must be >= 0, got " + threads);
        }
        if (size < 0 || size > PredictorConfig.MAX_TILE) {
            problems.add("--size must be in 0.." + PredictorConfig.MAX_TILE + ", got " + size);
        }
        if (channels != 1 && channels != 3) {
            problems.add("--channels must be 1 or 3, got " + channels);
        }
        if (classes < 0 || classes > MAX_CLASSES) {
            problems.add("--classes must be in 0.." + MAX_CLASSES + " (0 infers them), got " + classes);
        }
        if (epochs < 1) {
            problems.add("--epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1 || batchSize > 4096) {
            problems.add("--batch-size must be in 1..4096, got " + batchSize);
        }
        if (steps < 0) {
            problems.add("--steps must be >= 0 (0 = no limit), got " + steps);
        }
        if (patience < 0) {
            problems.add("--patience must be >= 0 (0 = no early stopping), got " + patience);
        }
        if (threads > 256) {
            problems.add("--threads must be at most 256, got " + threads);
        }
        if (source.coco != null && arch != Arch.maskrcnn) {
            problems.add("--coco trains a Mask R-CNN: add --arch maskrcnn (a U-Net trains on --data or --synthetic)");
        }
        if (source.coco != null && images == null) {
            problems.add("--coco needs --images DIR, the folder of its images");
        }
        if (images != null && source.coco == null) {
            problems.add("--images goes with --coco FILE");
        }
        if (arch == Arch.maskrcnn && source.data != null) {
            problems.add("--arch maskrcnn needs instance labels: give --coco FILE --images DIR or --synthetic KIND"
                    + " (the masks of --data are classes only)");
        }
        if (arch == Arch.maskrcnn && source.synthetic != null && size < 32) {
            problems.add("--size must be at least 32 for --arch maskrcnn, got " + size);
        }
        if (resume == null && arch == Arch.unet) {
            try {
                UNetConfig.of(1, 2).withDepth(depth).withBaseFilters(baseFilters);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
            if (source.synthetic != null && size > 0 && size % (1 << Math.max(0, Math.min(depth, 30))) != 0) {
                problems.add("--size " + size + " must be a multiple of 2^depth = " + (1 << depth));
            }
        }
        if (!problems.isEmpty()) {
            throw usage(problems.get(0));
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
