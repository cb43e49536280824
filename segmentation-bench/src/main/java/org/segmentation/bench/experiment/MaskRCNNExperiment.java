package org.segmentation.bench.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.segmentation.bench.nn.ProgressBarListener;
import org.segmentation.core.coco.CocoDataset;
import org.segmentation.core.coco.CocoEvaluation;
import org.segmentation.core.coco.CocoResults;
import org.segmentation.core.coco.CocoRle;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.metrics.CocoAveragePrecision;
import org.segmentation.core.segment.InstanceSegmentation;
import org.segmentation.nn.data.CocoInstances;
import org.segmentation.nn.data.InMemoryDataset;
import org.segmentation.nn.data.Sample;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.data.TexturedComposites;
import org.segmentation.nn.model.MaskRCNN;
import org.segmentation.nn.model.MaskRCNNConfig;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.predict.InstanceConfig;
import org.segmentation.nn.predict.InstanceDecoding;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;
import org.segmentation.nn.task.MaskRCNNTraining;
import org.segmentation.nn.task.TrainedMaskRCNN;
import org.segmentation.nn.task.UNetTraining;
import org.segmentation.nn.train.TrainingListener;
import org.segmentation.nn.train.TrainingResult;

/**
 * Our Mask R-CNN against torchvision 0.14's, both trained from scratch with the same configuration, data and
 * budget, and the U-Net + watershed pipeline on the same validation images: the experiment behind
 * issue 13's "training from scratch" acceptance item.
 *
 * <p>Protocol.
 * <ol>
 *   <li><b>Data</b>, generated once and written as COCO so that every side reads the same pixels: synthetic
 *       touching cells (one class, each cell an instance) or textured composites (ten Fashion-MNIST classes, each
 *       pasted item an instance) of {@link Config#size()} px, training set {@code (trainImages, seed)}, validation
 *       set {@code (valImages, seed + 1)}, as 8-bit grey PNGs and an instances JSON per split (uncompressed RLE
 *       masks) under {@code out/data}.</li>
 *   <li><b>Ours</b>: {@link MaskRCNNTraining} on the training COCO file ({@link MaskRCNNTraining#defaultConfig}
 *       with 1 channel and the data's classes, its default transform: inputs in [0, 1], no resizing, padding to
 *       32), SGD momentum 0.9, weight decay 1e-4, rate {@link Config#learningRate()} after a linear warm-up over
 *       {@value MaskRCNNTraining#DEFAULT_WARMUP_STEPS} steps from a thousandth of it, global gradient norm clipped
 *       to {@value MaskRCNNTraining#DEFAULT_CLIP_NORM}, batches of {@link Config#batchSize()} from a shuffle per
 *       epoch (last incomplete batch dropped), random horizontal and vertical flips (p 0.5 each) unless
 *       {@link Config#augment()} is off, exactly {@link Config#steps()} steps, no validation during training.</li>
 *   <li><b>torchvision</b>: {@code peers/maskrcnn_train_torch.py} builds the same model from
 *       {@link MaskRCNN#configToJson} with {@code torch_maskrcnn.build} ({@code weights=None}), initialises it as
 *       ours is initialised (torchvision's ResNet convention for the backbone: kaiming-normal fan-out convolutions;
 *       torchvision's own initialisation elsewhere), and trains it with the same optimizer, schedule, clipping,
 *       batch, steps and augmentation on the same files, from its own random streams.</li>
 *   <li><b>Evaluation</b>, the same for every side: detections on each validation image in evaluation mode, masks
 *       pasted and thresholded at 0.5 into one instance map where a higher-scoring detection keeps overlapping
 *       pixels, each detection written to a COCO results JSON; then <em>our</em> COCO evaluator
 *       ({@link CocoEvaluation#masks}, equal to pycocotools' {@code segm} evaluation) gives AP@[.5:.95], AP50 and
 *       AP75 with up to max(100, detections per image) detections per image and category.</li>
 *   <li><b>U-Net + watershed</b>: {@link CellsExperiment}'s U-Net recipe ({@link
 *       CellsExperiment#unetTraining}: depth 3, 16 filters, Adam 2e-3 cosine, cross-entropy + Dice, flips and
 *       quarter turns, batch 8 of whole images) for {@link Config#unetSteps()} steps on the same training images,
 *       with K+1 classes ({@link #unetTarget}: background, each class's interiors, boundaries; on cells the
 *       3-class target), decoded into instances by {@link InstanceDecoding} on background, summed interiors and
 *       boundary ({@link #decode}); an instance's class is its most probable interior class, its score the mean
 *       foreground probability over its pixels times that class's share.</li>
 * </ol>
 * Times are those of the training loops alone. Every side's results file and trained model stay under
 * {@code out}.
 */
public final class MaskRCNNExperiment {
    /** File name of the torchvision side under the peers folder. */
    public static final String PEER_SCRIPT = "maskrcnn_train_torch.py";
    /** The results file. */
    public static final String JSON_FILE = "results.json";
    /** The results table. */
    public static final String MARKDOWN_FILE = "results.md";

    /** The synthetic data sets. */
    public enum Data { cells, composites }

    /**
     * The experiment's settings.
     *
     * @param data cells or composites
     * @param trainImages training images, at least {@code batchSize}
     * @param valImages validation images
     * @param size width and height of the images, at least 32
     * @param steps optimizer steps of each Mask R-CNN
     * @param batchSize images per step
     * @param learningRate SGD's rate after the warm-up
     * @param augment whether both Mask R-CNNs train with random flips
     * @param unetSteps steps of the U-Net, 0 to skip it
     * @param seed seed of the data (training {@code seed}, validation {@code seed + 1}) and of every side's training
     * @param threads PyTorch's intra-op threads
     */
    public record Config(Data data, int trainImages, int valImages, int size, int steps, int batchSize,
            double learningRate, boolean augment, int unetSteps, long seed, int threads) {
        /** @throws IllegalArgumentException naming the first value out of range */
        public Config {
            if (data == null) {
                throw new IllegalArgumentException("data must be cells or composites");
            }
            if (batchSize < 1 || trainImages < batchSize) {
                throw new IllegalArgumentException("need 1 <= batch size <= training images, got batch " + batchSize
                        + " and " + trainImages + " training images");
            }
            if (valImages < 1 || steps < 1 || unetSteps < 0 || threads < 1) {
                throw new IllegalArgumentException("need at least 1 validation image, 1 step and 1 thread and"
                        + " unetSteps >= 0, got " + valImages + ", " + steps + ", " + threads + ", " + unetSteps);
            }
            if (size < 32 || size % 8 != 0) {
                throw new IllegalArgumentException("size must be a multiple of 8 and at least 32, got " + size);
            }
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learningRate must be finite and > 0, got " + learningRate);
            }
        }

        /**
         * The defaults: {@code data}, 64 training and 32 validation images of 64 px, 400 steps of 2, rate 0.01,
         * flips, a 900-step U-Net, seed 1, 2 PyTorch threads.
         */
        public static Config defaults(Data data) {
            return new Config(data, 64, 32, 64, 400, 2, MaskRCNNTraining.DEFAULT_LEARNING_RATE, true,
                    CellsExperiment.Config.defaults().steps(), 1, 2);
        }

        /** The Mask R-CNN both sides train: the small configuration with 1 channel and the data's classes. */
        public MaskRCNNConfig model() {
            return MaskRCNNTraining.defaultConfig(1, classNames().size());
        }

        /** Background first, then the data's classes. */
        public List<String> classNames() {
            return data == Data.cells ? List.of("background", "cell") : TexturedComposites.CLASS_NAMES;
        }
    }

    /**
     * One side's outcome.
     *
     * @param side "ours", "torchvision" or "unet+watershed"
     * @param version library and version
     * @param ap COCO mask AP@[.5:.95]
     * @param ap50 COCO mask AP at IoU 0.5
     * @param ap75 COCO mask AP at IoU 0.75
     * @param trainSeconds wall time of the training loop
     * @param steps optimizer steps done
     * @param finalLoss mean training loss over the last 5% of the steps (at least one)
     * @param detections detections written for the validation images
     */
    public record SideResult(String side, String version, double ap, double ap50, double ap75, double trainSeconds,
            long steps, double finalLoss, long detections) {
    }

    /**
     * The outcome.
     *
     * @param config the settings
     * @param sides ours, then torchvision's (when it ran), then the U-Net's (when it ran)
     * @param peerError why torchvision has no result, or null
     */
    public record Result(Config config, List<SideResult> sides, String peerError) {
        /** Copies the list. */
        public Result {
            sides = List.copyOf(sides);
        }

        /** The side of this name, or null. */
        public SideResult side(String name) {
            return sides.stream().filter(s -> s.side().equals(name)).findFirst().orElse(null);
        }
    }

    private final Config config;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public MaskRCNNExperiment(Config config) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.config = config;
    }

    public Config config() {
        return config;
    }

    /**
     * Synthetic instance data of {@code size} px: cells as one class (each cell an instance) with the generator's
     * other defaults, or composites as their ten item classes (each item an instance), the items' sizes scaled
     * with the image from the generator's 128-px defaults (at 64 px: 14 to 35 px).
     */
    public static InMemoryDataset instanceData(Data data, int n, long seed, int size) {
        return switch (data) {
            case cells -> {
                SyntheticCells.Config d = SyntheticCells.Config.defaults();
                yield new SyntheticCells(new SyntheticCells.Config(size, size, d.minCells(), d.maxCells(),
                        d.touchingFraction(), d.blurSigma(), d.noiseSigma(), d.illumination()))
                        .instanceDataset(n, seed);
            }
            case composites -> {
                // the generator's defaults are for 128 px (items of 28 to 70 px, a fifth to a half of the side);
                // other sizes keep the items' size relative to the image, so that 64 px is the same task at a
                // quarter of the pixels and not items of up to the whole image (the scale is at least 0.5, 14 px)
                TexturedComposites.Config d = TexturedComposites.Config.defaults();
                double f = (double) size / d.width();
                double minScale = Math.max(0.5, d.minScale() * f), maxScale = Math.max(minScale, d.maxScale() * f);
                yield new TexturedComposites(new TexturedComposites.Config(size, size, d.minItems(), d.maxItems(),
                        minScale, maxScale, d.noiseSigma())).dataset(n, seed);
            }
        };
    }

    /**
     * Writes a 1-channel instance dataset as COCO: image {@code i} as {@code imageDir/NNNNN.png} (8-bit grey,
     * {@code round(255 v)}) with id {@code i + 1}, categories 1..K−1 named {@code classNames[1..]}, and one
     * annotation per instance of the sample's instance map (its class the most frequent class over its pixels,
     * its mask as uncompressed RLE, its box the pixel extent).
     */
    public static void writeCoco(SegmentationDataset data, List<String> classNames, Path jsonFile, Path imageDir)
            throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        Files.createDirectories(imageDir);
        ObjectNode coco = mapper.createObjectNode();
        ArrayNode images = coco.putArray("images");
        ArrayNode annotations = coco.putArray("annotations");
        ArrayNode categories = coco.putArray("categories");
        for (int c = 1; c < classNames.size(); c++) {
            categories.addObject().put("id", c).put("name", classNames.get(c));
        }
        long annotationId = 1;
        for (int i = 0; i < data.size(); i++) {
            Sample s = data.get(i);
            String name = String.format(Locale.ROOT, "%05d.png", i);
            ImageFiles.writePng(ConvertImage.toU8(s.image().channel(0), 255f, null), imageDir.resolve(name));
            images.addObject().put("id", i + 1).put("file_name", name).put("width", s.width())
                    .put("height", s.height());
            InstanceSegmentation truth = MaskRCNN.Target.truth(s.instances(), s.target());
            Mask m = null;
            for (int k = 0; k < truth.size(); k++) {
                m = truth.mask(k, m);
                CocoRle rle = CocoRle.encode(m);
                double[] b = truth.boxes();
                ObjectNode a = annotations.addObject().put("id", annotationId++).put("image_id", i + 1)
                        .put("category_id", truth.classes()[k]).put("iscrowd", 0).put("area", rle.area());
                a.putArray("bbox").add(b[4 * k]).add(b[4 * k + 1]).add(b[4 * k + 2] - b[4 * k])
                        .add(b[4 * k + 3] - b[4 * k + 1]);
                ObjectNode seg = a.putObject("segmentation");
                seg.putArray("size").add(rle.height()).add(rle.width());
                ArrayNode counts = seg.putArray("counts");
                for (int v : rle.counts()) {
                    counts.add(v);
                }
            }
        }
        Files.createDirectories(jsonFile.toAbsolutePath().getParent());
        mapper.writeValue(jsonFile.toFile(), coco);
    }

    /** The data folder's files: {@code data/train.json}, {@code data/train/}, {@code data/val.json}, {@code data/val/}. */
    record DataFiles(Path trainJson, Path trainImages, Path valJson, Path valImages, Path model) {
        static DataFiles in(Path dir) {
            return new DataFiles(dir.resolve("train.json"), dir.resolve("train"), dir.resolve("val.json"),
                    dir.resolve("val"), dir.resolve("model.json"));
        }
    }

    /** Generates the data and writes it, with the model's configuration ({@code model.json}), to {@code dir}. */
    DataFiles writeData(Path dir) throws IOException {
        DataFiles f = DataFiles.in(dir);
        writeCoco(instanceData(config.data(), config.trainImages(), config.seed(), config.size()),
                config.classNames(), f.trainJson(), f.trainImages());
        writeCoco(instanceData(config.data(), config.valImages(), config.seed() + 1, config.size()),
                config.classNames(), f.valJson(), f.valImages());
        Files.writeString(f.model(), json.writeValueAsString(MaskRCNN.configToJson(config.model())),
                StandardCharsets.UTF_8);
        return f;
    }

    /**
     * Trains our Mask R-CNN on the training files, saves it to {@code dir/model}, writes its detections on the
     * validation images to {@code dir/results.json} and scores them.
     *
     * @param progress receives a progress bar, or null for none
     */
    SideResult trainOurs(DataFiles f, Path dir, PrintStream progress) throws IOException {
        MaskRCNNTraining training = MaskRCNNTraining.onCoco(f.trainJson(), f.trainImages(), 1)
                .validationFraction(0).model(config.model()).classNames(config.classNames())
                .learningRate(config.learningRate()).epochs(Integer.MAX_VALUE).maxSteps(config.steps())
                .batchSize(config.batchSize()).seed(config.seed());
        if (!config.augment()) {
            training.augmentation(null);
        }
        long t0 = System.nanoTime();
        MaskRCNNTraining.Result result = withBar(progress, "Mask R-CNN, ours", training::listener, training::train);
        double seconds = (System.nanoTime() - t0) / 1e9;
        TrainedMaskRCNN model = result.model();
        model.save(Files.createDirectories(dir).resolve("model"));
        CocoInstances val = CocoInstances.open(f.valJson(), f.valImages(), 1);
        Map<Long, InstanceSegmentation> found = new LinkedHashMap<>();
        for (int i = 0; i < val.size(); i++) {
            found.put(val.imageId(i), model.segment(val.image(i)));
        }
        return score("ours", "segmentation 0.1.0-SNAPSHOT (ND4J 1.0.0-M2.1)", found, dir, f, seconds, result.run());
    }

    /**
     * Trains the U-Net of {@link CellsExperiment#unetTraining} on the {@link #unetTarget}s of the training files,
     * decodes its instances on the validation images ({@link #decode}) and scores them.
     */
    SideResult trainUNet(DataFiles f, Path dir, PrintStream progress) throws IOException {
        InMemoryDataset train = unetSamples(CocoInstances.open(f.trainJson(), f.trainImages(), 1));
        CocoInstances val = CocoInstances.open(f.valJson(), f.valImages(), 1);
        CellsExperiment.Config d = CellsExperiment.Config.defaults();
        CellsExperiment.Config c = new CellsExperiment.Config(train.size(), val.size(), d.depth(),
                d.baseFilters(), Math.min(d.batchSize(), train.size()), config.size(), config.unetSteps(),
                d.learningRate(), config.unetSteps(), config.seed());
        // one validation, at the end (the trainer's log; the scores below are the experiment's)
        UNetTraining training = CellsExperiment.unetTraining(c, train, unetSamples(val));
        long t0 = System.nanoTime();
        UNetTraining.Result result = withBar(progress, "U-Net", training::listener, training::train);
        double seconds = (System.nanoTime() - t0) / 1e9;
        UNet model = result.model().network();
        result.model().save(Files.createDirectories(dir).resolve("model"));
        Predictor predictor = new Predictor(model, PredictorConfig.wholeImage());
        Map<Long, InstanceSegmentation> found = new LinkedHashMap<>();
        for (int i = 0; i < val.size(); i++) {   // classes 1..K−1 are the category ids, as on our Mask R-CNN's side
            found.put(val.imageId(i), decode(predictor.probabilities(val.image(i))));
        }
        return score("unet+watershed", "segmentation 0.1.0-SNAPSHOT (ND4J 1.0.0-M2.1)", found, dir, f, seconds,
                result.run());
    }

    /** COCO instances as U-Net samples: each image with the {@link #unetTarget} of its instances. */
    private static InMemoryDataset unetSamples(CocoInstances coco) {
        List<Sample> samples = new ArrayList<>(coco.size());
        for (int i = 0; i < coco.size(); i++) {
            Sample s = coco.sample(i);
            samples.add(new Sample(s.image(), unetTarget(s.instances(), s.target(), coco.classes()),
                    s.instances()));
        }
        return new InMemoryDataset(samples, coco.classes() + 1);
    }

    /**
     * The U-Net's target for K classes (background included): 0 on the background, the pixel's class 1..K−1 on
     * instance interiors and K on instance boundaries, interior and boundary as in
     * {@link SyntheticCells#threeClassTarget}. With one class (K = 2) this is that 3-class target.
     *
     * @param instances instance ids, 0 for none
     * @param classes the class 1..K−1 of every instance pixel
     * @throws IllegalArgumentException if an instance pixel's class is not in 1..K−1
     */
    static LabelMap unetTarget(LabelMap instances, LabelMap classes, int numClasses) {
        LabelMap t = SyntheticCells.threeClassTarget(instances, null);
        for (int y = 0; y < t.height; y++) {
            for (int x = 0; x < t.width; x++) {
                int v = t.unsafe_get(x, y);
                if (v == SyntheticCells.BACKGROUND) {
                    continue;
                }
                int c = classes.unsafe_get(x, y);
                if (c < 1 || c >= numClasses) {
                    throw new IllegalArgumentException("instance pixel (" + x + ", " + y + ") has class " + c
                            + ", expected 1.." + (numClasses - 1));
                }
                t.unsafe_set(x, y, v == SyntheticCells.BOUNDARY ? numClasses : c);
            }
        }
        return t;
    }

    /**
     * Instances from the U-Net's (K+1,H,W) probabilities of {@link #unetTarget}: {@link InstanceDecoding} on the
     * background, the summed interiors and the boundary; each instance's class is the interior class with the
     * most probability over its pixels, and its score the mean foreground probability 1 − P(background) over its
     * pixels times that class's share of the interior probability there (1 with one class).
     *
     * @return instances with their classes 1..K−1 ({@link #writeCoco}'s category ids), scores in [0, 1] and
     *     pixel-extent boxes
     */
    static InstanceSegmentation decode(PlanarF32 probs) {
        int interiors = probs.channels - 2;
        if (interiors < 1) {
            throw new IllegalArgumentException("expected (K+1,H,W) probabilities with K >= 2, got "
                    + probs.channels + " channels");
        }
        int w = probs.width, h = probs.height;
        PlanarF32 three = new PlanarF32(3, w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float in = 0;
                for (int c = 1; c <= interiors; c++) {
                    in += probs.get(c, x, y);
                }
                three.set(0, x, y, probs.get(0, x, y));
                three.set(1, x, y, in);
                three.set(2, x, y, probs.get(interiors + 1, x, y));
            }
        }
        LabelMap labels = InstanceDecoding.fromProbabilities(three, InstanceConfig.defaults());
        // per label: each interior class's probability, all interiors', the foreground probability and the pixels
        int max = labels.maxLabel();
        double[][] mass = new double[max + 1][interiors + 1];
        double[] interior = new double[max + 1];
        double[] foreground = new double[max + 1];
        long[] count = new long[max + 1];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int l = labels.unsafe_get(x, y);
                for (int c = 1; c <= interiors; c++) {
                    mass[l][c] += probs.get(c, x, y);
                }
                interior[l] += three.get(1, x, y);
                foreground[l] += 1 - probs.get(0, x, y);
                count[l]++;
            }
        }
        int[] classOf = new int[max + 1];
        double[] scores = new double[max];
        int n = 0;   // fromLabels keeps the labels that have pixels, in label order
        for (int l = 1; l <= max; l++) {
            classOf[l] = 1;
            for (int c = 2; c <= interiors; c++) {
                if (mass[l][c] > mass[l][classOf[l]]) {
                    classOf[l] = c;
                }
            }
            if (count[l] > 0) {
                double share = interior[l] > 0 ? mass[l][classOf[l]] / interior[l] : 1;
                scores[n++] = Math.max(0, Math.min(1, foreground[l] / count[l] * share));
            }
        }
        InstanceSegmentation plain = InstanceSegmentation.fromLabels(labels, classOf);
        return new InstanceSegmentation(plain.labels(), plain.classes(), Arrays.copyOf(scores, n), plain.boxes());
    }

    private SideResult score(String side, String version, Map<Long, InstanceSegmentation> found, Path dir,
            DataFiles f, double seconds, TrainingResult run) throws IOException {
        Path results = dir.resolve("results.json");
        CocoResults.write(results, found);
        long detections = found.values().stream().mapToLong(InstanceSegmentation::size).sum();
        CocoAveragePrecision.Result ap = evaluate(f, results);
        return new SideResult(side, version, ap.ap(), ap.ap50(), ap.ap75(), seconds, run.steps(),
                CompositesExperiment.tailLoss(run), detections);
    }

    /** Our COCO mask AP of a results file on the validation set. */
    CocoAveragePrecision.Result evaluate(DataFiles f, Path results) throws IOException {
        CocoDataset truth = CocoDataset.read(f.valJson(), f.valImages());
        return CocoEvaluation.masks(truth, CocoResults.read(results, truth),
                Math.max(100, config.model().roiHeads().detectionsPerImage()));
    }

    /** A training run, with a progress bar on {@code progress} unless that is null. */
    private static <R> R withBar(PrintStream progress, String task, Consumer<TrainingListener> listener,
            Training<R> training) throws IOException {
        if (progress == null) {
            return training.train();
        }
        try (ProgressBarListener bar = new ProgressBarListener(progress, task, System.console() != null)) {
            listener.accept(bar);
            return training.train();
        }
    }

    /** A configured training's {@code train()}. */
    @FunctionalInterface
    private interface Training<R> {
        R train() throws IOException;
    }

    /**
     * Runs the torchvision side on the data files; it writes its detections to {@code dir/results.json}, which
     * are then scored by our evaluator. Its progress goes to this process's stderr.
     *
     * @throws IOException if the script cannot be started, fails, or prints no result line
     */
    SideResult runPeer(Path python, Path script, DataFiles f, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path results = dir.resolve("results.json");
        List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString(), "--train-json",
                f.trainJson().toString(), "--train-images", f.trainImages().toString(), "--val-json",
                f.valJson().toString(), "--val-images", f.valImages().toString(), "--config", f.model().toString(),
                "--steps", Integer.toString(config.steps()), "--batch", Integer.toString(config.batchSize()), "--lr",
                Double.toString(config.learningRate()), "--warmup",
                Integer.toString(MaskRCNNTraining.DEFAULT_WARMUP_STEPS), "--clip-norm",
                Double.toString(MaskRCNNTraining.DEFAULT_CLIP_NORM), config.augment() ? "--augment" : "--no-augment",
                "--seed", Long.toString(config.seed()), "--threads", Integer.toString(config.threads()), "--results",
                results.toString(), "--save", dir.resolve("model.pt").toString()));
        String last = PeerOptions.lastLine(cmd, "torchvision", Map.of("OMP_WAIT_POLICY", "PASSIVE"));
        JsonNode o = json.readTree(last);
        for (String field : List.of("train_seconds", "steps", "final_loss", "detections")) {
            if (!o.has(field)) {
                throw new IOException("torchvision result lacks '" + field + "': " + last);
            }
        }
        CocoAveragePrecision.Result ap = evaluate(f, results);
        return new SideResult("torchvision", o.path("version").asText("torchvision"), ap.ap(), ap.ap50(), ap.ap75(),
                o.get("train_seconds").asDouble(), o.get("steps").asLong(), o.get("final_loss").asDouble(),
                o.get("detections").asLong());
    }

    /**
     * The whole experiment: writes the data to {@code out/data}, trains ours ({@code out/ours}), torchvision's
     * ({@code out/torchvision}, unless {@code python} is null) and the U-Net ({@code out/unet}, unless its steps
     * are 0), and writes {@value #JSON_FILE} and {@value #MARKDOWN_FILE} to {@code out} after each side. A failing
     * peer is recorded in the result, not thrown.
     *
     * @param python the peer's interpreter, or null to skip it
     * @param script the peer script (ignored when {@code python} is null)
     * @param progress receives progress bars and each side's line, or null
     */
    public Result run(Path out, Path python, Path script, PrintStream progress)
            throws IOException, InterruptedException {
        Files.createDirectories(out);
        DataFiles f = writeData(out.resolve("data"));
        List<SideResult> sides = new ArrayList<>();
        String peerError = null;
        sides.add(report(trainOurs(f, out.resolve("ours"), progress), progress));
        write(out, new Result(config, sides, null));
        if (python != null) {
            try {
                sides.add(report(runPeer(python, script, f, out.resolve("torchvision")), progress));
            } catch (IOException e) {
                peerError = e.getMessage();
            }
            write(out, new Result(config, sides, peerError));
        }
        if (config.unetSteps() > 0) {
            sides.add(report(trainUNet(f, out.resolve("unet"), progress), progress));
        }
        Result r = new Result(config, sides, peerError);
        write(out, r);
        return r;
    }

    private static SideResult report(SideResult s, PrintStream progress) {
        if (progress != null) {
            progress.printf(Locale.ROOT, "%s: AP %.4f, AP50 %.4f, %.1f s of training%n", s.side(), s.ap(), s.ap50(),
                    s.trainSeconds());
        }
        return s;
    }

    private void write(Path out, Result r) throws IOException {
        Files.writeString(out.resolve(JSON_FILE), json.writeValueAsString(toJson(r)) + "\n", StandardCharsets.UTF_8);
        Files.writeString(out.resolve(MARKDOWN_FILE), markdown(r), StandardCharsets.UTF_8);
    }

    /** The object of {@value #JSON_FILE}: settings, model, each side, and ours − torchvision. */
    public ObjectNode toJson(Result r) {
        ObjectNode o = json.createObjectNode();
        o.put("experiment", "maskrcnn");
        o.set("config", json.valueToTree(r.config()));
        o.put("warmup_steps", MaskRCNNTraining.DEFAULT_WARMUP_STEPS).put("clip_norm",
                MaskRCNNTraining.DEFAULT_CLIP_NORM).put("momentum", 0.9).put("weight_decay", 1e-4);
        o.set("model", MaskRCNN.configToJson(r.config().model()));
        ArrayNode names = o.putArray("class_names");
        r.config().classNames().forEach(names::add);
        ArrayNode sides = o.putArray("sides");
        for (SideResult s : r.sides()) {
            ObjectNode n = sides.addObject();
            n.put("side", s.side()).put("version", s.version());
            number(n, "ap", s.ap());
            number(n, "ap50", s.ap50());
            number(n, "ap75", s.ap75());
            n.put("train_seconds", s.trainSeconds()).put("steps", s.steps());
            number(n, "final_loss", s.finalLoss());
            n.put("detections", s.detections());
        }
        SideResult ours = r.side("ours");
        SideResult peer = r.side("torchvision");
        if (ours != null && peer != null) {
            o.put("ap_difference", ours.ap() - peer.ap()).put("ap50_difference", ours.ap50() - peer.ap50());
        }
        if (r.peerError() != null) {
            o.put("peer_error", r.peerError());
        }
        o.put("available_processors", Runtime.getRuntime().availableProcessors());
        return o;
    }

    private static void number(ObjectNode n, String key, double v) {
        if (Double.isFinite(v)) {
            n.put(key, v);
        } else {
            n.putNull(key);
        }
    }

    /** The table of {@value #MARKDOWN_FILE}: one row per side, then ours − torchvision. */
    public static String markdown(Result r) {
        Config c = r.config();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Synthetic %s, %d train / %d val images of %d px; Mask R-CNN small"
                + " (1 channel, %d classes), %d steps of %d, SGD %s with %d-step warm-up, %s, seed %d.%n%n",
                c.data(), c.trainImages(), c.valImages(), c.size(), c.classNames().size(), c.steps(), c.batchSize(),
                Double.toString(c.learningRate()), MaskRCNNTraining.DEFAULT_WARMUP_STEPS,
                c.augment() ? "flips" : "no augmentation", c.seed()));
        sb.append("| side | version | AP@[.5:.95] | AP50 | AP75 | train s | steps | final loss | detections |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (SideResult s : r.sides()) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %.4f | %.1f | %d | %.4f | %d |%n",
                    s.side(), s.version(), s.ap(), s.ap50(), s.ap75(), s.trainSeconds(), s.steps(), s.finalLoss(),
                    s.detections()));
        }
        SideResult ours = r.side("ours");
        SideResult peer = r.side("torchvision");
        if (ours != null && peer != null) {
            sb.append(String.format(Locale.ROOT, "%nours − torchvision: AP %+.4f, AP50 %+.4f (aim: AP ≥ −0.02)%n",
                    ours.ap() - peer.ap(), ours.ap50() - peer.ap50()));
        }
        if (r.peerError() != null) {
            sb.append("\ntorchvision side failed: ").append(r.peerError()).append('\n');
        }
        return sb.toString();
    }
}
