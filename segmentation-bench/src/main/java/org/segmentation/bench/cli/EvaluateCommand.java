package org.segmentation.bench.cli;

import java.io.FileNotFoundException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.segmentation.classic.segment.ClassicSegmenters;
import org.segmentation.core.coco.CocoDataset;
import org.segmentation.core.coco.CocoEvaluation;
import org.segmentation.core.coco.CocoResults;
import org.segmentation.core.metrics.CocoAveragePrecision;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.core.segment.Segmenter;
import org.segmentation.core.segment.SegmenterRegistry;
import org.segmentation.nn.data.FolderDataset;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.data.TexturedComposites;
import org.segmentation.nn.eval.AlgorithmResult;
import org.segmentation.nn.eval.EvaluationConfig;
import org.segmentation.nn.eval.EvaluationReport;
import org.segmentation.nn.eval.Evaluator;
import org.segmentation.nn.eval.Metric;
import org.segmentation.nn.eval.ReportJson;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.predict.PredictorConfig;
import org.segmentation.nn.task.TrainedUNet;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code seg evaluate}: runs segmenters over a dataset and reports their scores and times.
 *
 * <p>With {@code --json}, stdout is one JSON object on one line, in the shape of {@link ReportJson} without
 * per-image rows: the first algorithm's summary at the top level ({@code algorithm}, {@code width},
 * {@code height}, {@code millis}, {@code mean_iou}, {@code dice}, {@code pixel_accuracy}, ...) and every
 * algorithm's summary in {@code algorithms}. An unknown {@code --algorithm} name is a usage error (exit 2); a
 * missing or unreadable data file is a failure (exit 1) whose one-line message names the file.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Run segmenters over a folder of image/mask pairs or a synthetic dataset and report, per"
                + " image and in aggregate, mean IoU, Dice, pixel accuracy, boundary F1, instance scores where"
                + " they apply, and the time per image.",
            "A folder holds images/NAME.* and masks/NAME.png (pixel value or palette index = class)."})
final class EvaluateCommand implements Callable<Integer> {
    /** Where the data come from: exactly one of a folder and a generator. */
    static final class Source {
        @Option(names = "--data", paramLabel = "DIR", description = "Folder with images/ and masks/.")
        Path data;

        @Option(names = "--synthetic", paramLabel = "KIND",
                description = "Generated data: cells (touching cells, 3 classes, instance labels) or composites"
                        + " (Fashion-MNIST items on textures, 11 classes).")
        Synthetic synthetic;

        @Option(names = "--coco", paramLabel = "FILE",
                description = "A COCO instances JSON: score the detections of --coco-results against it (COCO mask"
                        + " AP@[.5:.95], AP50, AP75, per category and mean).")
        Path coco;
    }

    /** The generators {@code --synthetic} accepts. */
    enum Synthetic { cells, composites }

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Source source;

    @Option(names = "--count", defaultValue = "8", paramLabel = "N",
            description = "Synthetic images (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S",
            description = "Seed of the synthetic data (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--size", defaultValue = "128", paramLabel = "PX",
            description = "Width and height of synthetic images (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--channels", defaultValue = "3", paramLabel = "C",
            description = "Channels a folder's images are read with, 1 or 3 (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--classes", defaultValue = "0", paramLabel = "N",
            description = "Classes of a folder's masks, background included; 0 infers them (default).")
    int classes;

    @Option(names = "--ignore-label", paramLabel = "L",
            description = "Mask value of unlabelled pixels in a folder, e.g. 255 (default: none).")
    Integer ignoreLabel;

    @Option(names = {"-a", "--algorithm"}, paramLabel = "NAME",
            description = "Segmenter to evaluate; repeat for several. Default: every registered one"
                    + " (see --list).")
    List<String> algorithms = new ArrayList<>();

    @Option(names = "--model", paramLabel = "DIR",
            description = "Also evaluate the U-Net in DIR (a model folder or a 'seg train --out' folder) as"
                    + " segmenter 'unet' (classes), or 'unet-instances' with --instances.")
    Path model;

    @Option(names = "--instances",
            description = "With --model: score the watershed instances of a 3-class (background, interior,"
                    + " boundary) model instead of its classes.")
    boolean instances;

    @Option(names = "--list", description = "List the registered segmenters and exit.")
    boolean list;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR",
            description = "Write evaluation.json, evaluation.md and evaluation.png into this folder.")
    Path out;

    @Option(names = "--json", description = "Print one JSON object on stdout instead of the text summary.")
    boolean json;

    @Option(names = "--warmup", defaultValue = "" + EvaluationConfig.DEFAULT_WARMUP_IMAGES, paramLabel = "K",
            description = "Untimed warm-up runs on the first K images (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--coco-results", paramLabel = "FILE",
            description = "With --coco: the detections, a COCO results JSON (as 'seg predict' or pycocotools'"
                    + " loadRes take).")
    Path cocoResults;

    @Option(names = "--max-detections", defaultValue = "100", paramLabel = "N",
            description = "With --coco: detections kept per image and category, by score (default:"
                    + " ${DEFAULT-VALUE}, COCO's).")
    int maxDetections;

    @Option(names = "--boundary-tolerance", defaultValue = "" + EvaluationConfig.DEFAULT_BOUNDARY_TOLERANCE,
            paramLabel = "PX", description = "Boundary F1 matching distance in pixels (default: ${DEFAULT-VALUE}).")
    double boundaryTolerance;

    @Override
    public Integer call() throws Exception {
        if (cocoResults != null && (source == null || source.coco == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--coco-results needs --coco FILE");
        }
        if (source != null && source.coco != null) {
            return evaluateCoco();
        }
        SegmenterRegistry registry = ClassicSegmenters.registry()
                .registerProviders(Thread.currentThread().getContextClassLoader());
        if (instances && model == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--instances needs --model DIR");
        }
        if (model != null) {
            TrainedUNet trained = TrainedUNet.load(model);
            String name = UNet.ARCHITECTURE + (instances ? "-instances" : "");
            Segmenter unet;
            try {
                unet = trained.segmenter(name, PredictorConfig.wholeImage(), instances);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), model + ": " + e.getMessage());
            }
            registry.register(name, "U-Net from " + model + (instances ? ", watershed instances" : ", classes"),
                    () -> unet);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (list) {
            for (SegmenterRegistry.Entry e : registry.entries()) {
                stdout.printf("%-28s %s%n", e.name(), e.description());
            }
            return 0;
        }
        if (source == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "missing the data: give --data DIR, --synthetic KIND or --coco FILE");
        }
        List<String> names = algorithms.isEmpty() ? registry.names() : algorithms;
        for (String name : names) {
            if (names.indexOf(name) != names.lastIndexOf(name)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "algorithm '" + name
                        + "' is given twice");
            }
            if (!registry.contains(name)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown algorithm '" + name
                        + "'; known: " + String.join(", ", registry.names()));
            }
        }
        EvaluationConfig config;
        try {
            config = new EvaluationConfig(warmup, boundaryTolerance);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        List<Segmenter> segmenters = new ArrayList<>();
        for (String name : names) {
            segmenters.add(registry.create(name));
        }

        String description;
        SegmentationDataset data;
        if (source.data != null) {
            if (!Files.isDirectory(source.data)) {
                throw new FileNotFoundException("data folder " + source.data + (Files.exists(source.data)
                        ? " is not a folder" : " does not exist"));
            }
            FolderDataset.Config folderConfig;
            try {
                folderConfig = new FolderDataset.Config(channels, classes,
                        ignoreLabel == null ? IgnoreLabel.NONE : IgnoreLabel.of(ignoreLabel));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            data = FolderDataset.open(source.data, folderConfig);
            description = source.data.toString();
        } else {
            try {
                data = synthetic(source.synthetic, count, seed, size);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            description = String.format(Locale.ROOT, "synthetic %s (%d images, seed %d)", source.synthetic, count,
                    seed);
        }

        EvaluationReport report = new Evaluator(config).evaluate(description, data, segmenters);
        if (out != null) {
            report.write(out);
            ReportChart.write(report, out.resolve(ReportChart.FILE));
        }
        if (json) {
            stdout.println(ReportJson.toJson(report, false).toString());
        } else {
            printSummary(stdout, report);
        }
        return 0;
    }

    /** {@code --coco}: COCO mask AP of a results file, printed as a table or one JSON object. */
    private int evaluateCoco() throws java.io.IOException {
        if (cocoResults == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--coco needs --coco-results FILE");
        }
        if (maxDetections < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-detections must be at least 1, got "
                    + maxDetections);
        }
        CocoDataset truth = CocoDataset.read(source.coco, null);
        List<CocoResults.Detection> results = CocoResults.read(cocoResults, truth);
        CocoAveragePrecision.Result r = CocoEvaluation.masks(truth, results, maxDetections);
        PrintWriter stdout = spec.commandLine().getOut();
        if (json) {
            com.fasterxml.jackson.databind.node.ObjectNode o = com.fasterxml.jackson.databind.node.JsonNodeFactory
                    .instance.objectNode();
            o.put("truth", source.coco.toString()).put("results", cocoResults.toString())
                    .put("images", truth.images().size()).put("detections", results.size())
                    .put("ap", r.ap()).put("ap50", r.ap50()).put("ap75", r.ap75());
            com.fasterxml.jackson.databind.node.ObjectNode per = o.putObject("per_category");
            for (CocoAveragePrecision.CategoryAp c : r.perCategory().values()) {
                per.putObject(Integer.toString(c.category())).put("name", truth.categories().get(c.category()).name())
                        .put("ap", c.ap()).put("ap50", c.ap50()).put("ap75", c.ap75());
            }
            stdout.println(o.toString());
            return 0;
        }
        stdout.printf(Locale.ROOT, "COCO mask AP of %s against %s: %d images, %d detections%n", cocoResults,
                source.coco, truth.images().size(), results.size());
        stdout.printf(Locale.ROOT, "%-24s %8s %8s %8s%n", "category", "AP", "AP50", "AP75");
        for (CocoAveragePrecision.CategoryAp c : r.perCategory().values()) {
            stdout.printf(Locale.ROOT, "%-24s %8.4f %8.4f %8.4f%n", c.category() + " "
                    + truth.categories().get(c.category()).name(), c.ap(), c.ap50(), c.ap75());
        }
        stdout.printf(Locale.ROOT, "%-24s %8.4f %8.4f %8.4f%n", "mean", r.ap(), r.ap50(), r.ap75());
        return 0;
    }

    /** A generated dataset: the generator's default settings with {@code size x size} images. */
    static SegmentationDataset synthetic(Synthetic kind, int count, long seed, int size) {
        return switch (kind) {
            case cells -> {
                SyntheticCells.Config d = SyntheticCells.Config.defaults();
                yield new SyntheticCells(new SyntheticCells.Config(size, size, d.minCells(), d.maxCells(),
                        d.touchingFraction(), d.blurSigma(), d.noiseSigma(), d.illumination())).dataset(count, seed);
            }
            case composites -> {
                TexturedComposites.Config d = TexturedComposites.Config.defaults();
                yield new TexturedComposites(new TexturedComposites.Config(size, size, d.minItems(), d.maxItems(),
                        d.minScale(), d.maxScale(), d.noiseSigma())).dataset(count, seed);
            }
        };
    }

    private void printSummary(PrintWriter w, EvaluationReport report) {
        w.printf(Locale.ROOT, "%s: %d images of %s%dx%d, %d classes%n", report.dataset(), report.imageCount(),
                report.sameSize() ? "" : "up to ", report.width(), report.height(), report.numClasses());
        w.printf(Locale.ROOT, "%-28s %-10s %8s %8s %9s %8s %9s%n", "algorithm", "output", "mean IoU", "Dice",
                "pixel acc", "fg IoU", "ms/image");
        for (AlgorithmResult r : report.algorithms()) {
            w.printf(Locale.ROOT, "%-28s %-10s %8.4f %8.4f %9.4f %8.4f %9.2f%n", r.algorithm(),
                    r.output().name().toLowerCase(Locale.ROOT), r.get(Metric.MEAN_IOU), r.get(Metric.DICE),
                    r.get(Metric.PIXEL_ACCURACY), r.get(Metric.FOREGROUND_IOU), r.meanMillis());
        }
        if (out != null) {
            w.println("wrote " + EvaluationReport.JSON_FILE + ", " + EvaluationReport.MARKDOWN_FILE + " and "
                    + ReportChart.FILE + " to " + out);
        }
    }
}
