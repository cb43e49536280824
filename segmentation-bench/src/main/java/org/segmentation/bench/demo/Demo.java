package org.segmentation.bench.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.segmentation.bench.nn.ProgressBarListener;
import org.segmentation.bench.nn.TrainingCurves;
import org.segmentation.classic.kmeans.FeatureSpace;
import org.segmentation.classic.kmeans.KMeans;
import org.segmentation.classic.kmeans.KMeansConfig;
import org.segmentation.classic.kmeans.KMeansSegmentation;
import org.segmentation.classic.region.FloodConfig;
import org.segmentation.classic.region.FloodFill;
import org.segmentation.classic.region.Pixel;
import org.segmentation.classic.region.SeededRegionGrowing;
import org.segmentation.classic.region.SrgConfig;
import org.segmentation.classic.threshold.MultiOtsuOps;
import org.segmentation.classic.threshold.MultiOtsuResult;
import org.segmentation.classic.threshold.OtsuOps;
import org.segmentation.classic.threshold.ThresholdResult;
import org.segmentation.classic.watershed.SplitConfig;
import org.segmentation.classic.watershed.SplitResult;
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
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.eval.Evaluator;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.predict.InstanceConfig;
import org.segmentation.nn.predict.InstanceDecoding;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;
import org.segmentation.nn.task.UNetTraining;
import org.segmentation.nn.train.TrainerConfig.Interval;
import org.segmentation.nn.train.TrainingResult;
import org.segmentation.nn.train.ValidationResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo behind the README's main-job command. Each step segments an image, writes overlays into the output
 * folder, records its numbers in {@code metrics.json} and adds a section to {@code index.html}, which shows them
 * all offline.
 */
public final class Demo {
    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);
    private static final double ALPHA = 0.45;

    private final Path out;
    private final List<String> sections = new ArrayList<>();
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final ObjectNode metrics = json.createObjectNode();

    /**
     * U-Net training steps of the demo's default budget: 123 s measured on two cores shared with a JMH run
     * (about 2 steps per second), when the U-Net reached foreground IoU 0.986 and AP@0.5 0.845 against the
     * classic pipeline's 0.919 and 0.742 on the 16 held-out images.
     */
    public static final int DEFAULT_TRAIN_STEPS = 250;
    /** Held-out synthetic cell images scored by both pipelines; seeds {@code 1000 + i}. */
    static final int CELL_IMAGES = 16;

    private final int trainSteps;
    private final boolean progress;

    /** The demo with the default U-Net budget and a progress bar on stderr. */
    public Demo(Path out) {
        this(out, DEFAULT_TRAIN_STEPS, true);
    }

    /**
     * @param trainSteps optimizer steps of the U-Net step, 0 to skip it
     * @param progress whether training draws a progress bar on {@code System.err}
     */
    public Demo(Path out, int trainSteps, boolean progress) {
        if (trainSteps < 0) {
            throw new IllegalArgumentException("trainSteps must be >= 0, got " + trainSteps);
        }
        this.out = out;
        this.trainSteps = trainSteps;
        this.progress = progress;
    }

    /** Runs every step, then writes {@code metrics.json} and {@code index.html}. */
    public void run() throws IOException {
        Files.createDirectories(out);
        GrayU8 coins = bundledGray("coins.png");
        GrayU8 camera = bundledGray("camera.png");
        RgbU8 astronaut = bundledRgb("astronaut.png");
        thresholds(coins);
        splitTouching(coins);
        flood(camera);
        kmeans(astronaut);
        regionGrowing(astronaut);
        syntheticCells();
        if (trainSteps > 0) {
            unetCells();
        }
        Files.writeString(out.resolve("metrics.json"), json.writeValueAsString(metrics), StandardCharsets.UTF_8);
        writeIndex();
        LOG.info("demo finished: open {}", out.resolve("index.html").toAbsolutePath());
    }

    private void thresholds(GrayU8 coins) throws IOException {
        long t0 = System.nanoTime();
        ThresholdResult otsu = OtsuOps.binarize(coins, null, null);
        double otsuMs = millis(t0);
        t0 = System.nanoTime();
        MultiOtsuResult multi = MultiOtsuOps.segment(coins, 3, null);
        double multiMs = millis(t0);
        ImageFiles.writePng(coins, out.resolve("coins.png"));
        ImageFiles.writePng(Overlay.blend(coins, otsu.mask(), 0xFF3030, ALPHA, null), out.resolve("coins-otsu.png"));
        ImageFiles.writePng(Overlay.blend(coins, multi.labels(), ALPHA, null), out.resolve("coins-multi-otsu.png"));
        ObjectNode m = metrics.putObject("otsu");
        m.put("image", "coins.png").put("threshold", otsu.threshold()).put("millis", otsuMs);
        ArrayNode ts = metrics.putObject("multi_otsu").put("image", "coins.png").put("classes", 3)
                .put("millis", multiMs).putArray("thresholds");
        for (int t : multi.thresholds()) {
            ts.add(t);
        }
        LOG.info("Otsu threshold of coins.png: {}; multi-Otsu (3 classes): {}", otsu.threshold(),
                java.util.Arrays.toString(multi.thresholds()));
        sections.add(section("Otsu and multi-level Otsu",
                "Otsu threshold " + otsu.threshold() + " (foreground = pixel &gt; t, red); multi-Otsu thresholds "
                        + java.util.Arrays.toString(multi.thresholds()) + " give three classes.",
                "coins.png", "coins-otsu.png", "coins-multi-otsu.png"));
    }

    private void splitTouching(GrayU8 coins) throws IOException {
        long t0 = System.nanoTime();
        // Coins are brighter than the background, which is uneven: a top-hat wider than a coin flattens it.
        SplitResult split = new SplitTouching(new SplitConfig(true, 30, 2, 10, Connectivity.EIGHT))
                .process(coins, null);
        double ms = millis(t0);
        RgbU8 overlay = Overlay.blend(coins, split.labels(), ALPHA, null);
        Overlay.boundaries(overlay, split.labels(), 0xFFFF00, overlay);
        ImageFiles.writePng(overlay, out.resolve("coins-split.png"));
        metrics.putObject("split_touching").put("image", "coins.png").put("regions", split.count())
                .put("millis", ms);
        LOG.info("split touching objects in coins.png: {} objects in {} ms", split.count(), fmt(ms));
        sections.add(section("Splitting touching objects",
                "Top-hat, Otsu, fill holes, opening, distance transform, peaks, watershed: " + split.count()
                        + " coins found.",
                "coins-split.png"));
    }

    private void flood(GrayU8 camera) throws IOException {
        Pixel seed = new Pixel(40, 20);
        long t0 = System.nanoTime();
        var mask = new FloodFill(FloodConfig.of(Connectivity.FOUR, 12)).process(camera, List.of(seed), null, null);
        double ms = millis(t0);
        ImageFiles.writePng(Overlay.blend(camera, mask, 0x30A0FF, ALPHA, null), out.resolve("camera-flood.png"));
        metrics.putObject("flood").put("image", "camera.png").put("seed_x", seed.x()).put("seed_y", seed.y())
                .put("tolerance", 12).put("pixels", mask.countOn()).put("millis", ms);
        sections.add(section("Seeded flood fill",
                "From the sky at (" + seed.x() + ", " + seed.y() + "), tolerance 12 gray levels of the seed value, "
                        + "4-connected: " + mask.countOn() + " pixels.",
                "camera-flood.png"));
    }

    private void kmeans(RgbU8 astronaut) throws IOException {
        long t0 = System.nanoTime();
        KMeansSegmentation seg = new KMeans(KMeansConfig.of(5).withSeed(1)).segment(astronaut, FeatureSpace.LAB, 0,
                null);
        double ms = millis(t0);
        ImageFiles.writePng(astronaut, out.resolve("astronaut.png"));
        ImageFiles.writePng(Overlay.blend(astronaut, seg.labels(), 0.6, null), out.resolve("astronaut-kmeans.png"));
        metrics.putObject("kmeans").put("image", "astronaut.png").put("k", 5).put("features", "Lab")
                .put("inertia", seg.clustering().inertia()).put("millis", ms);
        sections.add(section("k-means colour clustering",
                "k = 5 in CIE L*a*b*, k-means++ seeding, seed 1.", "astronaut.png", "astronaut-kmeans.png"));
    }

    private void regionGrowing(RgbU8 astronaut) throws IOException {
        LabelMap seeds = new LabelMap(astronaut.width, astronaut.height);
        int[][] points = {{20, 20}, {128, 60}, {60, 200}, {200, 200}};
        for (int i = 0; i < points.length; i++) {
            seeds.set(points[i][0], points[i][1], i + 1);
        }
        long t0 = System.nanoTime();
        LabelMap regions = new SeededRegionGrowing(SrgConfig.of(Connectivity.FOUR, SrgConfig.Criterion.MEAN))
                .process(astronaut, seeds, null, null);
        double ms = millis(t0);
        RgbU8 overlay = Overlay.blend(astronaut, regions, ALPHA, null);
        Overlay.boundaries(overlay, regions, 0xFFFFFF, overlay);
        ImageFiles.writePng(overlay, out.resolve("astronaut-srg.png"));
        metrics.putObject("seeded_region_growing").put("image", "astronaut.png").put("seeds", points.length)
                .put("millis", ms);
        sections.add(section("Seeded region growing",
                "Adams and Bischof (1994): four competing seeds, each pixel joins the region whose running mean"
                        + " colour is nearest.",
                "astronaut-srg.png"));
    }

    private void syntheticCells() throws IOException {
        SyntheticCells generator = new SyntheticCells(SyntheticCells.Config.defaults());
        SplitTouching split = new SplitTouching(new SplitConfig(true, 0, 1, 5, Connectivity.EIGHT));
        int n = 16;
        double ap = 0;
        double f1 = 0;
        long t0 = System.nanoTime();
        SyntheticCells.Cells first = null;
        SplitResult firstResult = null;
        for (int i = 0; i < n; i++) {
            SyntheticCells.Cells cells = generator.generate(1000 + i);
            GrayU8 gray = ConvertImage.toU8(cells.image().channel(0), 255f, null);
            SplitResult result = split.process(gray, null);
            InstanceMetrics.Result r = InstanceMetrics.of(cells.instances(), result.labels()).match();
            ap += r.ap();
            f1 += r.f1();
            if (i == 0) {
                first = cells;
                firstResult = result;
            }
        }
        double ms = millis(t0) / n;
        GrayU8 gray = ConvertImage.toU8(first.image().channel(0), 255f, null);
        ImageFiles.writePng(gray, out.resolve("cells.png"));
        ImageFiles.writePng(Overlay.blend(gray, first.instances(), ALPHA, null), out.resolve("cells-truth.png"));
        ImageFiles.writePng(Overlay.blend(gray, firstResult.labels(), ALPHA, null), out.resolve("cells-classic.png"));
        metrics.putObject("synthetic_cells_classic").put("images", n).put("ap50", ap / n).put("f1_50", f1 / n)
                .put("millis_per_image", ms);
        LOG.info("classic split-touching on {} synthetic cell images: AP@0.5 {}, F1@0.5 {}", n, fmt(ap / n),
                fmt(f1 / n));
        sections.add(section("Synthetic touching cells: classic pipeline",
                "Split-touching on " + n + " generated images: mean AP@0.5 = " + fmt(ap / n) + ", F1@0.5 = "
                        + fmt(f1 / n) + " (AP = TP/(TP+FP+FN)). Left: image, middle: truth, right: prediction.",
                "cells.png", "cells-truth.png", "cells-classic.png"));
    }

    /**
     * Trains a small U-Net ({@link UNetTraining}'s defaults: depth 3, 16 filters, cross-entropy + Dice, Adam 1e-3;
     * here at a constant rate, without early stopping) on the 3-class target of synthetic cells (128 px images,
     * random 64 px crops, flips and quarter turns) for {@code trainSteps} steps,
     * then scores it on the same held-out images as the classic pipeline: foreground IoU of the predicted
     * classes and AP@0.5 of the watershed instances, beside the classic split-touching pipeline's.
     */
    private void unetCells() throws IOException {
        SyntheticCells generator = new SyntheticCells(SyntheticCells.Config.defaults());
        InMemoryDataset all = generator.dataset(80, 7);
        Path runDir = out.resolve("unet");
        UNetTraining training = UNetTraining.on(all).validationFraction(0.1).seed(7).crop(64).batchSize(8)
                .epochs(Integer.MAX_VALUE).maxSteps(trainSteps).constantLearningRate().earlyStopping(0)
                .validateEvery(trainSteps >= 10 ? Interval.steps(trainSteps / 10) : Interval.never(), 1)
                .output(runDir);
        long t0 = System.nanoTime();
        UNetTraining.Result trained;
        try (ProgressBarListener bar = progress ? ProgressBarListener.stderr("U-Net") : null) {
            if (bar != null) {
                training.listener(bar);
            }
            trained = training.train();
        }
        double trainSeconds = millis(t0) / 1000;
        UNet model = trained.model().network();
        TrainingResult result = trained.run();
        TrainingCurves.write(result.history(), out.resolve("unet-curves.png"));

        Predictor predictor = new Predictor(model, PredictorConfig.wholeImage());
        SplitTouching classic = new SplitTouching(new SplitConfig(true, 0, 1, 5, Connectivity.EIGHT));
        double unetIou = 0, unetAp = 0, classicIou = 0, classicAp = 0;
        long unetNanos = 0;
        LabelMap firstCells = null;
        LabelMap firstClasses = null;
        SyntheticCells.Cells first = null;
        for (int i = 0; i < CELL_IMAGES; i++) {
            SyntheticCells.Cells cells = generator.generate(1000 + i);
            long u0 = System.nanoTime();
            // One forward pass gives both: the classes by argmax, the cells by the watershed decoding.
            PlanarF32 probs = predictor.probabilities(cells.image());
            LabelMap classes = Predictor.labelsOf(probs);
            LabelMap instances = InstanceDecoding.fromProbabilities(probs, InstanceConfig.defaults());
            unetNanos += System.nanoTime() - u0;
            unetIou += foregroundIou(classes, cells.instances());
            unetAp += InstanceMetrics.of(cells.instances(), instances).match().ap();
            LabelMap split2 = classic.process(ConvertImage.toU8(cells.image().channel(0), 255f, null), null).labels();
            classicIou += foregroundIou(split2, cells.instances());
            classicAp += InstanceMetrics.of(cells.instances(), split2).match().ap();
            if (i == 0) {
                first = cells;
                firstCells = instances;
                firstClasses = classes;
            }
        }
        int n = CELL_IMAGES;
        GrayU8 gray = ConvertImage.toU8(first.image().channel(0), 255f, null);
        ImageFiles.writePng(Overlay.blend(gray, firstClasses, ALPHA, null), out.resolve("cells-unet-classes.png"));
        RgbU8 shown = Overlay.blend(gray, firstCells, ALPHA, null);
        Overlay.boundaries(shown, firstCells, 0xFFFF00, shown);
        ImageFiles.writePng(shown, out.resolve("cells-unet.png"));
        ValidationResult v = result.lastValidation();
        ObjectNode node = metrics.putObject("synthetic_cells_unet");
        node.put("train_steps", result.steps()).put("train_seconds", trainSeconds).put("images", n)
                .put("foreground_iou", unetIou / n).put("ap50", unetAp / n)
                .put("classic_foreground_iou", classicIou / n).put("classic_ap50", classicAp / n)
                .put("millis_per_image", unetNanos / 1e6 / n);
        if (v != null) {
            node.put("validation_mean_iou", v.meanIoU());
        }
        LOG.info("U-Net after {} steps ({} s) on {} synthetic cell images: foreground IoU {} (classic {}),"
                + " AP@0.5 {} (classic {})", result.steps(), fmt(trainSeconds), n, fmt(unetIou / n),
                fmt(classicIou / n), fmt(unetAp / n), fmt(classicAp / n));
        sections.add(section("Synthetic touching cells: U-Net",
                "A U-Net (depth 3, 16 filters) trained from scratch for " + result.steps() + " steps ("
                        + fmt(trainSeconds) + " s) on the 3-class target (background, interior, boundary); cells"
                        + " are the watershed of P(boundary) from markers P(interior) &gt; 0.5. On the same "
                        + n + " held-out images: foreground IoU " + fmt(unetIou / n) + " (classic "
                        + fmt(classicIou / n) + "), AP@0.5 " + fmt(unetAp / n) + " (classic " + fmt(classicAp / n)
                        + "). Left: classes, middle: cells, right: training curves.",
                "cells-unet-classes.png", "cells-unet.png", "unet-curves.png"));
    }

    /**
     * |A ∩ B| / |A ∪ B| of the non-zero pixels of the prediction and the truth, from a background / foreground
     * {@link ConfusionMatrix} as {@link Evaluator} builds it; 1 when both are empty.
     */
    static double foregroundIou(LabelMap pred, LabelMap truth) {
        double iou = new ConfusionMatrix(2).add(Evaluator.foreground(truth, IgnoreLabel.NONE),
                Evaluator.foreground(pred, IgnoreLabel.NONE)).iou()[1];
        return Double.isNaN(iou) ? 1 : iou;
    }

    private static double millis(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.3f", v);
    }

    private static Path resource(String name, Path tmpDir) throws IOException {
        try (InputStream in = Demo.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("bundled image " + name + " is missing from the jar");
            }
            Path file = tmpDir.resolve(name);
            Files.copy(in, file);
            return file;
        }
    }

    private GrayU8 bundledGray(String name) throws IOException {
        Path tmp = Files.createTempDirectory("seg-demo");
        try {
            return ImageFiles.readGrayU8(resource(name, tmp));
        } finally {
            deleteTree(tmp);
        }
    }

    private RgbU8 bundledRgb(String name) throws IOException {
        Path tmp = Files.createTempDirectory("seg-demo");
        try {
            return ImageFiles.readRgb(resource(name, tmp));
        } finally {
            deleteTree(tmp);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    private static String section(String title, String text, String... images) {
        StringBuilder sb = new StringBuilder("<section><h2>").append(title).append("</h2><p>").append(text)
                .append("</p>");
        for (String img : images) {
            sb.append("<figure><img src=\"").append(img).append("\"><figcaption>").append(img)
                    .append("</figcaption></figure>");
        }
        return sb.append("</section>\n").toString();
    }

    private void writeIndex() throws IOException {
        String html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>segmentation demo</title>"
                + "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}figure{display:inline-block;"
                + "margin:0 1em 1em 0}img{width:360px;image-rendering:pixelated}</style></head><body>"
                + "<h1>segmentation demo</h1><p>All numbers are also in <a href=\"metrics.json\">metrics.json</a>."
                + "</p>\n" + String.join("", sections) + "</body></html>\n";
        Files.writeString(out.resolve("index.html"), html, StandardCharsets.UTF_8);
    }
}
