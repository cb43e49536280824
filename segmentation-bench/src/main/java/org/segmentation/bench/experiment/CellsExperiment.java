package org.segmentation.bench.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.segmentation.bench.nn.ProgressBarListener;
import org.segmentation.bench.nn.TrainingCurves;
import org.segmentation.classic.watershed.SplitConfig;
import org.segmentation.classic.watershed.SplitTouching;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.image.RgbU8;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.core.metrics.ConfusionMatrix;
import org.segmentation.core.metrics.InstanceMetrics;
import org.segmentation.core.visual.Overlay;
import org.segmentation.nn.data.InMemoryDataset;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.eval.Evaluator;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.optim.LearningRateSchedule;
import org.segmentation.nn.predict.InstanceConfig;
import org.segmentation.nn.predict.InstanceDecoding;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;
import org.segmentation.nn.task.UNetTraining;
import org.segmentation.nn.train.TrainerConfig;
import org.segmentation.nn.train.TrainingListener;
import org.segmentation.nn.train.TrainingResult;
import org.segmentation.nn.train.ValidationResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The U-Net acceptance experiment on synthetic touching cells: a U-Net trained from scratch on generated images
 * against the classic split-touching pipeline (top-hat, Otsu, distance transform, watershed) on the same
 * held-out images.
 *
 * <p>Protocol, all seeds fixed:
 * <ol>
 *   <li>{@link SyntheticCells} with its default settings (128², 5–20 cells, half of them touching, blur, noise,
 *       uneven illumination) generates the training images from seed {@code seed} and the validation images
 *       from seed {@code seed + 1}; the two sets share no image.</li>
 *   <li>The U-Net (1 input channel, 3 classes: background, interior, boundary) trains on random crops with
 *       flips and quarter turns, cross-entropy + Dice, Adam with a cosine-annealed rate, for a fixed number of
 *       steps; the validation mean IoU over the 3 classes is logged every {@code validateEvery} steps.</li>
 *   <li>On the whole validation images: foreground IoU (interior or boundary against the union of the cells),
 *       pooled over all validation pixels; instances by {@link InstanceDecoding} (a watershed of P(boundary)
 *       from the components of P(interior) &gt; 0.5); AP@0.5 = TP/(TP+FP+FN) at IoU 0.5, averaged over the
 *       images.</li>
 *   <li>The classic pipeline gets its best chance: its opening radius and peak spacing are chosen by grid
 *       search for the best mean AP@0.5 on the first {@link #TUNING_IMAGES} training images, then it runs on the
 *       same validation images.</li>
 * </ol>
 * The process's resident set size is sampled at the start of training, at every validation and at the end.
 */
public final class CellsExperiment {
    /** Training images the classic pipeline's settings are tuned on. */
    public static final int TUNING_IMAGES = 64;
    /** The results file. */
    public static final String JSON_FILE = "results.json";
    /** The results table. */
    public static final String MARKDOWN_FILE = "results.md";

    private static final Logger LOG = LoggerFactory.getLogger(CellsExperiment.class);
    private static final int[] OPENING_RADII = {0, 1, 2};
    private static final int[] MIN_DISTANCES = {3, 4, 5, 7};

    /**
     * Settings.
     *
     * @param trainImages generated training images
     * @param validationImages generated validation images
     * @param depth U-Net depth
     * @param baseFilters filters of the first level
     * @param batchSize crops per step
     * @param crop side of the random training crops
     * @param steps optimizer steps
     * @param learningRate Adam's initial rate, annealed to 1% of it by a cosine
     * @param validateEvery steps between validations
     * @param seed seed of the data, the initial weights and the training order
     */
    public record Config(int trainImages, int validationImages, int depth, int baseFilters, int batchSize,
            int crop, int steps, double learningRate, int validateEvery, long seed) {
        /** Validates. */
        public Config {
            positive("trainImages", trainImages);
            positive("validationImages", validationImages);
            positive("depth", depth);
            positive("baseFilters", baseFilters);
            positive("batchSize", batchSize);
            positive("steps", steps);
            positive("validateEvery", validateEvery);
            if (crop < (1 << depth) || crop % (1 << depth) != 0) {
                throw new IllegalArgumentException("crop must be a positive multiple of 2^depth = " + (1 << depth)
                        + ", got " + crop);
            }
            if (!(learningRate > 0 && Double.isFinite(learningRate))) {
                throw new IllegalArgumentException("learningRate must be > 0, got " + learningRate);
            }
        }

        /**
         * The acceptance settings: 256 training and 64 validation images of 128², depth 3, base 16, batch 8 of
         * 64² crops, 900 steps, Adam 2e-3.
         */
        public static Config defaults() {
            return new Config(256, 64, 3, 16, 8, 64, 900, 2e-3, 100, 2026);
        }

        private static void positive(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be >= 1, got " + value);
            }
        }
    }

    /**
     * One resident set size sample.
     *
     * @param step optimizer steps done
     * @param rssMiB resident set size in MiB, from /proc/self/status; NaN where that file does not exist
     */
    public record RssSample(long step, double rssMiB) {
    }

    /**
     * The outcome.
     *
     * @param config the settings
     * @param steps steps trained
     * @param trainSeconds wall time of training, validations included
     * @param validationMeanIoU the trainer's last validation mean IoU over the 3 classes
     * @param unetForegroundIoU pooled foreground IoU of the U-Net on the validation images
     * @param unetAp50 mean AP@0.5 of the U-Net's instances
     * @param unetMillisPerImage U-Net inference and instance decoding per validation image
     * @param classicForegroundIoU pooled foreground IoU of the classic pipeline
     * @param classicAp50 mean AP@0.5 of the classic pipeline
     * @param classicMillisPerImage classic pipeline per validation image
     * @param classicConfig the classic settings the grid search chose
     * @param rss resident set size samples, the first at the start of training, the last at its end
     */
    public record Result(Config config, long steps, double trainSeconds, double validationMeanIoU,
            double unetForegroundIoU, double unetAp50, double unetMillisPerImage, double classicForegroundIoU,
            double classicAp50, double classicMillisPerImage, SplitConfig classicConfig, List<RssSample> rss) {
        /** Copies the samples. */
        public Result {
            rss = List.copyOf(rss);
        }
    }

    private final Config config;
    private final boolean progress;

    /**
     * An experiment.
     *
     * @param config its settings
     * @param progress whether training draws a progress bar on {@code System.err}
     */
    public CellsExperiment(Config config, boolean progress) {
        this.config = Objects.requireNonNull(config, "config");
        this.progress = progress;
    }

    /**
     * Runs the experiment and writes {@value #JSON_FILE}, {@value #MARKDOWN_FILE}, the training curves, the
     * history, the trained model and overlays of the first validation image to {@code out}.
     */
    public Result run(Path out) throws IOException {
        Files.createDirectories(out);
        SyntheticCells generator = new SyntheticCells(SyntheticCells.Config.defaults());
        InMemoryDataset train = generator.dataset(config.trainImages(), config.seed());
        InMemoryDataset validation = generator.dataset(config.validationImages(), config.seed() + 1);

        SplitConfig classicConfig = tuneClassic(generator);
        LOG.info("classic split-touching tuned on {} training images: opening radius {}, min distance {}",
                Math.min(TUNING_IMAGES, config.trainImages()), classicConfig.openingRadius(),
                classicConfig.minDistance());

        UNetTraining training = unetTraining(config, train, validation);

        List<RssSample> rss = new ArrayList<>();
        rss.add(new RssSample(0, residentMiB()));
        TrainingListener rssListener = new TrainingListener() {
            @Override
            public void onStepEnd(StepEnd e) {
                if (e.step() == 1 || e.step() == 10) { // after the first step, and once the workspaces settled
                    rss.add(new RssSample(e.step(), residentMiB()));
                }
            }

            @Override
            public void onValidation(ValidationResult r) {
                rss.add(new RssSample(r.step(), residentMiB()));
            }
        };
        training.listener(rssListener);
        long t0 = System.nanoTime();
        UNetTraining.Result run;
        try (ProgressBarListener bar = progress ? ProgressBarListener.stderr("U-Net cells") : null) {
            if (bar != null) {
                training.listener(bar);
            }
            run = training.train();
        }
        double trainSeconds = (System.nanoTime() - t0) / 1e9;
        TrainingResult trained = run.run();
        if (rss.get(rss.size() - 1).step() != trained.steps()) {
            rss.add(new RssSample(trained.steps(), residentMiB()));
        }
        UNet model = run.model().network();
        run.model().save(out.resolve("model"));
        trained.history().write(out.resolve("history"));
        TrainingCurves.write(trained.history(), out.resolve(TrainingCurves.FILE));

        Scores unet = new Scores();
        Scores classic = new Scores();
        Predictor predictor = new Predictor(model, PredictorConfig.wholeImage());
        SplitTouching split = new SplitTouching(classicConfig);
        for (int i = 0; i < config.validationImages(); i++) {
            SyntheticCells.Cells cells = generator.generate(config.seed() + 1, i);
            long u0 = System.nanoTime();
            PlanarF32 probs = predictor.probabilities(cells.image());
            LabelMap classes = Predictor.labelsOf(probs);
            LabelMap instances = InstanceDecoding.fromProbabilities(probs, InstanceConfig.defaults());
            unet.add(cells, classes, instances, System.nanoTime() - u0);
            long c0 = System.nanoTime();
            LabelMap classicLabels = split.process(gray(cells), null).labels();
            classic.add(cells, classicLabels, classicLabels, System.nanoTime() - c0);
            if (i == 0) {
                writeOverlays(out, cells, instances, classicLabels);
            }
        }
        double validationIoU = trained.lastValidation() == null ? Double.NaN : trained.lastValidation().meanIoU();
        Result result = new Result(config, trained.steps(), trainSeconds, validationIoU, unet.foregroundIoU(),
                unet.meanAp(), unet.millisPerImage(), classic.foregroundIoU(), classic.meanAp(),
                classic.millisPerImage(), classicConfig, rss);
        Files.writeString(out.resolve(JSON_FILE), json(result), StandardCharsets.UTF_8);
        Files.writeString(out.resolve(MARKDOWN_FILE), markdown(result), StandardCharsets.UTF_8);
        return result;
    }

    /**
     * The U-Net recipe of this experiment on 3-class cell data (background, interior, boundary): random crops of
     * {@link Config#crop()} with flips and quarter turns, cross-entropy + Dice, Adam at {@link Config#learningRate()}
     * cosine-annealed to 1% of it over {@link Config#steps()} steps, validation every {@link Config#validateEvery()}
     * steps, no early stopping. Also the U-Net + watershed side of {@link MaskRCNNExperiment}.
     */
    static UNetTraining unetTraining(Config config, SegmentationDataset train, SegmentationDataset validation) {
        return UNetTraining.on(train).validation(validation).seed(config.seed())
                .depth(config.depth()).baseFilters(config.baseFilters()).crop(config.crop())
                .learningRate(config.learningRate())
                .schedule(LearningRateSchedule.cosine(config.learningRate(), config.steps(),
                        config.learningRate() / 100), TrainerConfig.ScheduleUnit.STEP)
                .epochs(Integer.MAX_VALUE).maxSteps(config.steps()).batchSize(config.batchSize())
                .validateEvery(TrainerConfig.Interval.steps(config.validateEvery()), 8).earlyStopping(0);
    }

    /** The classic settings with the best mean AP@0.5 on the first training images. */
    SplitConfig tuneClassic(SyntheticCells generator) {
        int n = Math.min(TUNING_IMAGES, config.trainImages());
        List<SyntheticCells.Cells> images = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            images.add(generator.generate(config.seed(), i));
        }
        SplitConfig best = null;
        double bestAp = -1;
        for (int opening : OPENING_RADII) {
            for (int minDistance : MIN_DISTANCES) {
                SplitConfig c = new SplitConfig(true, 0, opening, minDistance, Connectivity.EIGHT);
                SplitTouching split = new SplitTouching(c);
                double ap = 0;
                for (SyntheticCells.Cells cells : images) {
                    ap += InstanceMetrics.of(cells.instances(), split.process(gray(cells), null).labels()).match()
                            .ap();
                }
                if (ap / n > bestAp) {
                    bestAp = ap / n;
                    best = c;
                }
            }
        }
        return best;
    }

    private static GrayU8 gray(SyntheticCells.Cells cells) {
        return ConvertImage.toU8(cells.image().channel(0), 255f, null);
    }

    private static void writeOverlays(Path out, SyntheticCells.Cells cells, LabelMap unet, LabelMap classic)
            throws IOException {
        GrayU8 gray = gray(cells);
        ImageFiles.writePng(gray, out.resolve("cells.png"));
        ImageFiles.writePng(Overlay.blend(gray, cells.instances(), 0.45, null), out.resolve("cells-truth.png"));
        writeOutlined(gray, unet, out.resolve("cells-unet.png"));
        writeOutlined(gray, classic, out.resolve("cells-classic.png"));
    }

    /** The labels blended over the image with their boundaries in yellow. */
    private static void writeOutlined(GrayU8 gray, LabelMap labels, Path file) throws IOException {
        RgbU8 shown = Overlay.blend(gray, labels, 0.45, null);
        Overlay.boundaries(shown, labels, 0xFFFF00, shown);
        ImageFiles.writePng(shown, file);
    }

    /** Resident set size of this process in MiB (VmRSS of /proc/self/status), NaN where that is not available. */
    public static double residentMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.debug("no VmRSS: {}", e.toString());
        }
        return Double.NaN;
    }

    /** Pooled foreground IoU and per-image AP@0.5 of one method. */
    private static final class Scores {
        /** Background / foreground over all validation pixels, as {@link Evaluator} pools it. */
        private final ConfusionMatrix foreground = new ConfusionMatrix(2);
        private double apSum;
        private int images;
        private long nanos;

        void add(SyntheticCells.Cells cells, LabelMap classes, LabelMap instances, long elapsed) {
            foreground.add(Evaluator.foreground(cells.instances(), IgnoreLabel.NONE),
                    Evaluator.foreground(classes, IgnoreLabel.NONE));
            apSum += InstanceMetrics.of(cells.instances(), instances).match().ap();
            images++;
            nanos += elapsed;
        }

        double foregroundIoU() {
            return foreground.iou()[1];
        }

        double meanAp() {
            return apSum / images;
        }

        double millisPerImage() {
            return nanos / 1e6 / images;
        }
    }

    public static String json(Result r) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("experiment", "cells");
        ObjectNode c = root.putObject("config");
        Config k = r.config();
        c.put("train_images", k.trainImages()).put("validation_images", k.validationImages())
                .put("image_size", 128).put("depth", k.depth()).put("base_filters", k.baseFilters())
                .put("batch_size", k.batchSize()).put("crop", k.crop()).put("steps", k.steps())
                .put("learning_rate", k.learningRate()).put("validate_every", k.validateEvery())
                .put("seed", k.seed());
        root.put("steps", r.steps()).put("train_seconds", r.trainSeconds())
                .put("validation_mean_iou", r.validationMeanIoU());
        root.putObject("unet").put("foreground_iou", r.unetForegroundIoU()).put("ap50", r.unetAp50())
                .put("millis_per_image", r.unetMillisPerImage());
        root.putObject("classic").put("foreground_iou", r.classicForegroundIoU()).put("ap50", r.classicAp50())
                .put("millis_per_image", r.classicMillisPerImage())
                .put("opening_radius", r.classicConfig().openingRadius())
                .put("min_distance", r.classicConfig().minDistance());
        ArrayNode rss = root.putArray("rss_mib");
        for (RssSample s : r.rss()) {
            rss.addObject().put("step", s.step()).put("rss", s.rssMiB());
        }
        root.put("available_processors", Runtime.getRuntime().availableProcessors());
        return mapper.writeValueAsString(root) + "\n";
    }

    public static String markdown(Result r) {
        StringBuilder sb = new StringBuilder();
        Config k = r.config();
        sb.append(String.format(Locale.ROOT, "Synthetic cells: %d training / %d validation images of 128², U-Net"
                + " depth %d, base %d, %d steps of batch %d (%d² crops), %.0f s of training.%n%n",
                k.trainImages(), k.validationImages(), k.depth(), k.baseFilters(), r.steps(), k.batchSize(),
                k.crop(), r.trainSeconds()));
        sb.append("| method | foreground IoU | AP@0.5 | ms / image |\n|---|---|---|---|\n");
        sb.append(String.format(Locale.ROOT, "| U-Net | %.4f | %.4f | %.1f |%n", r.unetForegroundIoU(),
                r.unetAp50(), r.unetMillisPerImage()));
        sb.append(String.format(Locale.ROOT, "| classic split-touching (opening %d, min distance %d) | %.4f | %.4f"
                + " | %.1f |%n", r.classicConfig().openingRadius(), r.classicConfig().minDistance(),
                r.classicForegroundIoU(), r.classicAp50(), r.classicMillisPerImage()));
        RssSample start = r.rss().stream().filter(s -> s.step() == 10).findFirst().orElse(r.rss().get(0));
        RssSample end = r.rss().get(r.rss().size() - 1);
        sb.append(String.format(Locale.ROOT, "%nValidation mean IoU (3 classes): %.4f. Resident set size: %.0f MiB"
                + " before training, %.0f MiB at step %d, %.0f MiB at the end (step %d; max %.0f).%n",
                r.validationMeanIoU(), r.rss().get(0).rssMiB(), start.rssMiB(), start.step(), end.rssMiB(),
                end.step(), r.rss().stream().mapToDouble(RssSample::rssMiB).max().orElse(Double.NaN)));
        return sb.toString();
    }
}
