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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.segmentation.bench.nn.ProgressBarListener;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.io.DType;
import org.segmentation.core.io.NpyFiles;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.data.Augmentation;
import org.segmentation.nn.data.AugmentationPipeline;
import org.segmentation.nn.data.Augmentations;
import org.segmentation.nn.data.InMemoryDataset;
import org.segmentation.nn.data.Sample;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.SubsetDataset;
import org.segmentation.nn.data.TexturedComposites;
import org.segmentation.nn.io.SafeTensors;
import org.segmentation.nn.loss.SoftmaxCrossEntropy;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.optim.LearningRateSchedule;
import org.segmentation.nn.task.UNetTraining;
import org.segmentation.nn.train.Trainer;
import org.segmentation.nn.train.TrainerConfig;
import org.segmentation.nn.train.TrainingResult;
import org.segmentation.nn.train.ValidationResult;

/**
 * Our U-Net against the same U-Net in PyTorch on {@link TexturedComposites} (11 classes), with the same data,
 * budget and evaluation: the experiment behind issue 5's "validation mIoU beside a same-architecture,
 * same-budget PyTorch run".
 *
 * <p>Protocol. The training and validation composites are generated from {@link Config#dataSeed()} (training
 * set {@code dataset(train, dataSeed)}, validation set {@code dataset(val, dataSeed + 1)}) and written as
 * {@code .npy} to {@code out/data}, which the PyTorch script ({@code peers/unet_composites_torch.py}) reads, so
 * both sides see the same pixels. Both train a U-Net (1 input channel, 11 classes, {@link Config#depth()},
 * {@link Config#baseFilters()}, batch norm, transposed 2x2 up-sampling, softmax head, no dropout) from
 * PyTorch's default initialisation for exactly {@link Config#steps()} Adam steps (0.9, 0.999, 1e-8, no weight
 * decay) of {@link Config#batchSize()} images, with a constant or per-step cosine learning rate, on plain
 * softmax cross-entropy averaged over the batch's pixels. Batches: a random permutation per epoch, the last
 * incomplete batch dropped. Augmentation ({@link Config#augment()}): each image flipped left-right (p 0.5),
 * top-bottom (p 0.5), then turned by 0..3 quarter turns, uniformly; nothing else. Each side has its own random
 * streams (from {@link Config#trainSeed()}); the distributions are the same.
 *
 * <p>Paired runs. {@link Config#init()} (a safetensors file of every parameter and buffer by name, e.g. the
 * PyTorch side's {@code --dump-init}) and {@link Config#order()} (a {@code .npy} of steps x batch training-image
 * indices, e.g. its {@code --dump-order}) replace the seeded initial weights and batch order on both sides, so
 * that both start from the same weights and see the same batches in the same order; the training seed then
 * draws only what these files do not fix.
 *
 * <p>Evaluation, in evaluation mode (batch-norm running statistics): the argmax of every validation image is
 * counted in one confusion matrix over the whole validation set. IoU of class c = TP / (TP + FP + FN); the mean
 * IoU averages the classes with TP + FP + FN &gt; 0 (a class absent from both truth and prediction is
 * excluded); pixel accuracy = correct / all pixels. The wall time is that of the training loop alone.
 */
public final class CompositesExperiment {
    /** File name of the PyTorch side under the peers folder. */
    public static final String PEER_SCRIPT = "unet_composites_torch.py";

    /**
     * The experiment's settings.
     *
     * @param trainImages training composites, at least {@code batchSize}
     * @param valImages validation composites, at least 1
     * @param size width and height of a composite, a multiple of 2^depth and at least 28
     * @param depth U-Net poolings
     * @param baseFilters filters of the first level
     * @param steps optimizer steps of each side, at least 1
     * @param batchSize images per step
     * @param learningRate Adam's (initial) rate
     * @param cosine whether the rate follows lr (1 + cos(pi i / steps)) / 2 before step i, else stays constant
     * @param augment whether the flips and quarter turns are applied
     * @param dataSeed seed of the composites
     * @param trainSeed seed of the initial weights, the batch order and the augmentation, on each side
     * @param threads PyTorch's intra-op threads ({@code torch.set_num_threads}); ND4J uses its default
     * @param init initial weights of both sides (safetensors, our parameter and buffer names, which are the
     *     PyTorch module's {@code state_dict} keys), or null for each side's seeded initialisation
     * @param order the training-image indices of every step's batch, a {@code .npy} of int32 of shape
     *     (steps, batchSize), followed by both sides; or null for each side's seeded epoch permutations. Not with
     *     {@code augment}, whose draws the sides cannot share
     */
    public record Config(int trainImages, int valImages, int size, int depth, int baseFilters, int steps,
            int batchSize, double learningRate, boolean cosine, boolean augment, long dataSeed, long trainSeed,
            int threads, Path init, Path order) {
        /** @throws IllegalArgumentException naming the first value out of range */
        public Config {
            if (batchSize < 1 || trainImages < batchSize) {
                throw new IllegalArgumentException("need 1 <= batchSize <= trainImages, got batch " + batchSize
                        + " and " + trainImages + " training images");
            }
            if (valImages < 1) {
                throw new IllegalArgumentException("valImages must be at least 1, got " + valImages);
            }
            if (steps < 1) {
                throw new IllegalArgumentException("steps must be at least 1, got " + steps);
            }
            if (depth < 1 || depth > UNetConfig.MAX_DEPTH || size < 28 || size % (1 << depth) != 0) {
                throw new IllegalArgumentException("size must be >= 28 and a multiple of 2^depth (depth 1.."
                        + UNetConfig.MAX_DEPTH + "), got size " + size + ", depth " + depth);
            }
            if (baseFilters < 1) {
                throw new IllegalArgumentException("baseFilters must be at least 1, got " + baseFilters);
            }
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learningRate must be finite and > 0, got " + learningRate);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + threads);
            }
            if (order != null && augment) {
                throw new IllegalArgumentException("a given batch order (" + order + ") cannot be paired with"
                        + " augmentation: each side would draw its own flips and turns");
            }
        }

        /**
         * The default run: 2048 training and 256 validation composites of 32 px, depth 4, 16 filters,
         * {@value #DEFAULT_STEPS} steps of 16 images, Adam 3e-3 with a cosine decay, no augmentation, data seed
         * 2026, training seed 7, 2 PyTorch threads. Over training seeds 7-11 PyTorch's validation mIoU is
         * 0.677 ± 0.024 and ours 0.665 ± 0.007 (bench README).
         */
        public static Config defaults() {
            return new Config(2048, 256, 32, 4, 16, DEFAULT_STEPS, 16, 3e-3, true, false, 2026, 7, 2, null, null);
        }

        public Config withBudget(int trainImages, int valImages, int steps, int batchSize) {
            return new Config(trainImages, valImages, size, depth, baseFilters, steps, batchSize, learningRate,
                    cosine, augment, dataSeed, trainSeed, threads, init, order);
        }

        public Config withModel(int size, int depth, int baseFilters) {
            return new Config(trainImages, valImages, size, depth, baseFilters, steps, batchSize, learningRate,
                    cosine, augment, dataSeed, trainSeed, threads, init, order);
        }

        public Config withOptimizer(double learningRate, boolean cosine, boolean augment) {
            return new Config(trainImages, valImages, size, depth, baseFilters, steps, batchSize, learningRate,
                    cosine, augment, dataSeed, trainSeed, threads, init, order);
        }

        public Config withSeeds(long dataSeed, long trainSeed) {
            return new Config(trainImages, valImages, size, depth, baseFilters, steps, batchSize, learningRate,
                    cosine, augment, dataSeed, trainSeed, threads, init, order);
        }

        /** Both sides start from {@code init} and follow {@code order} (each may be null: seeded, as by default). */
        public Config withDraws(Path init, Path order) {
            return new Config(trainImages, valImages, size, depth, baseFilters, steps, batchSize, learningRate,
                    cosine, augment, dataSeed, trainSeed, threads, init, order);
        }

        /** The U-Net both sides train. */
        public UNetConfig model() {
            return UNetConfig.of(1, TexturedComposites.NUM_CLASSES).withDepth(depth).withBaseFilters(baseFilters);
        }
    }

    /** Optimizer steps of the default budget. */
    public static final int DEFAULT_STEPS = 2000;

    /** Items pasted into each composite: one, so that each image poses one shape to classify. */
    public static final int ITEMS = 1;
    /** Smallest item scale (28 px). */
    public static final double MIN_SCALE = 1.0;
    /** Largest item scale (32 px): an item fills most of a default 32 px composite. */
    public static final double MAX_SCALE = 1.14;

    /**
     * One side's outcome.
     *
     * @param side "ours" or "pytorch"
     * @param version library and version
     * @param meanIoU mean IoU over the classes present in truth or prediction
     * @param pixelAccuracy correct pixels over all validation pixels
     * @param iou per-class IoU, NaN for an excluded class
     * @param trainSeconds wall time of the training loop
     * @param steps optimizer steps done
     * @param firstLoss the training loss of step 1 (equal on both sides, within float32 rounding, when they
     *     start from the same {@link Config#init()} and {@link Config#order()})
     * @param finalLoss the mean training loss of the last 5% of the steps (at least one), on both sides
     */
    public record SideResult(String side, String version, double meanIoU, double pixelAccuracy, double[] iou,
            double trainSeconds, long steps, double firstLoss, double finalLoss) {
        /** Copies the array. */
        public SideResult {
            iou = iou.clone();
        }

        @Override
        public double[] iou() {
            return iou.clone();
        }
    }

    /**
     * Both sides' outcome for one training seed.
     *
     * @param config the settings, {@link Config#trainSeed()} the seed of this run
     * @param ours our side
     * @param peer PyTorch's side, or null when it was skipped or failed
     * @param peerError why the peer has no result (null when it has one or was skipped)
     */
    public record Result(Config config, SideResult ours, SideResult peer, String peerError) {
    }

    /**
     * Mean and spread of one side's mIoU over training seeds.
     *
     * @param n runs
     * @param mean mean of the runs' mIoU
     * @param sd sample standard deviation, sqrt(sum (x - mean)^2 / (n - 1)); NaN for a single run
     */
    public record Spread(int n, double mean, double sd) {
        /** @throws IllegalArgumentException if {@code values} is empty */
        public static Spread of(double... values) {
            if (values.length == 0) {
                throw new IllegalArgumentException("no values");
            }
            double sum = 0;
            for (double v : values) {
                sum += v;
            }
            double mean = sum / values.length;
            double ss = 0;
            for (double v : values) {
                ss += (v - mean) * (v - mean);
            }
            return new Spread(values.length, mean, values.length < 2 ? Double.NaN
                    : Math.sqrt(ss / (values.length - 1)));
        }
    }

    /**
     * What {@link #run} produced: one {@link Result} per training seed, {@code trainSeed, trainSeed + 1, ...},
     * all on the same data.
     *
     * @param config the settings of the first run
     * @param runs the runs in seed order
     */
    public record Results(Config config, List<Result> runs) {
        /** Copies the list. */
        public Results {
            runs = List.copyOf(runs);
        }

        /** Our mIoU over the runs. */
        public Spread ours() {
            return Spread.of(runs.stream().mapToDouble(r -> r.ours().meanIoU()).toArray());
        }

        /** PyTorch's mIoU over the runs where it has a result, or null when it has none. */
        public Spread peer() {
            double[] v = runs.stream().filter(r -> r.peer() != null).mapToDouble(r -> r.peer().meanIoU()).toArray();
            return v.length == 0 ? null : Spread.of(v);
        }

        /** The first run's reason for a missing PyTorch result, or null. */
        public String peerError() {
            return runs.stream().map(Result::peerError).filter(e -> e != null).findFirst().orElse(null);
        }
    }

    private final Config config;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public CompositesExperiment(Config config) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.config = config;
    }

    public Config config() {
        return config;
    }

    /** The training composites, {@code dataset(trainImages, dataSeed)}. */
    public InMemoryDataset trainingSet() {
        return generator().dataset(config.trainImages(), config.dataSeed());
    }

    /** The validation composites, {@code dataset(valImages, dataSeed + 1)}: other images than the training set's. */
    public InMemoryDataset validationSet() {
        return generator().dataset(config.valImages(), config.dataSeed() + 1);
    }

    /** {@link #ITEMS} item of scale {@link #MIN_SCALE}..{@link #MAX_SCALE} on {@code size} px, default noise. */
    private TexturedComposites generator() {
        TexturedComposites.Config d = TexturedComposites.Config.defaults();
        return new TexturedComposites(new TexturedComposites.Config(config.size(), config.size(), ITEMS, ITEMS,
                MIN_SCALE, MAX_SCALE, d.noiseSigma()));
    }

    /**
     * Writes the data of the PyTorch side into {@code dir}: {@code train_images.npy}, {@code val_images.npy}
     * (float32 (N,1,H,W)), {@code train_labels.npy}, {@code val_labels.npy} (uint8 (N,H,W)) and
     * {@code model.json} (the U-Net's {@code config.json} fields).
     */
    public void writeData(InMemoryDataset train, InMemoryDataset val, Path dir) throws IOException {
        Files.createDirectories(dir);
        writeSet(train, dir, "train");
        writeSet(val, dir, "val");
        Files.writeString(dir.resolve("model.json"), json.writeValueAsString(UNet.configToJson(config.model())),
                StandardCharsets.UTF_8);
    }

    private static void writeSet(InMemoryDataset set, Path dir, String name) throws IOException {
        int n = set.size();
        int h = set.get(0).height();
        int w = set.get(0).width();
        float[] images = new float[n * h * w];
        byte[] labels = new byte[n * h * w];
        for (int i = 0; i < n; i++) {
            Sample s = set.get(i);
            PlanarF32 img = s.image();
            LabelMap t = s.target();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int o = (i * h + y) * w + x;
                    images[o] = img.data[img.startIndex + y * img.stride + x];
                    labels[o] = (byte) t.data[t.startIndex + y * t.stride + x];
                }
            }
        }
        NpyFiles.write(Tensor.f32(images, n, 1, h, w), dir.resolve(name + "_images.npy"));
        NpyFiles.write(Tensor.u8(labels, n, h, w), dir.resolve(name + "_labels.npy"));
    }

    /** The augmentation of {@link Config#augment()}: flips with p 0.5 each, then 0..3 quarter turns uniformly. */
    static Augmentation augmentation() {
        // rotate90() turns by 1..3 quarters; run with p 3/4 it gives 0..3 quarters with p 1/4 each.
        return AugmentationPipeline.builder().add(Augmentations.flipHorizontal(), 0.5)
                .add(Augmentations.flipVertical(), 0.5).add(Augmentations.rotate90(), 0.75).build();
    }

    /**
     * Trains and evaluates our U-Net.
     *
     * @param progress receives a progress bar, or null for none
     */
    public SideResult trainOurs(InMemoryDataset train, InMemoryDataset val, PrintStream progress)
            throws IOException {
        SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
        // A given order is a view of the training set listing every step's batch, trained on in that order.
        SegmentationDataset data = config.order() == null ? train
                : new SubsetDataset(train, readOrder(config.order(), config.steps(), config.batchSize(),
                        train.size()));
        UNetTraining training = UNetTraining.on(data).validationFraction(0).model(config.model())
                .shuffle(config.order() == null)
                .initialWeights(config.init() == null ? null : SafeTensors.read(config.init()))
                .seed(config.trainSeed()).loss(loss).learningRate(config.learningRate())
                .epochs(Integer.MAX_VALUE).maxSteps(config.steps()).batchSize(config.batchSize())
                .augmentation(config.augment() ? augmentation() : null);
        if (config.cosine()) {
            training.schedule(LearningRateSchedule.cosine(config.learningRate(), config.steps(), 0),
                    TrainerConfig.ScheduleUnit.STEP);
        } else {
            training.constantLearningRate();
        }
        long t0 = System.nanoTime();
        UNetTraining.Result result;
        try (ProgressBarListener bar = progress == null ? null : new ProgressBarListener(progress, "ours", System.console() != null)) {
            if (bar != null) {
                training.listener(bar);
            }
            result = training.train();
        }
        TrainingResult r = result.run();
        UNet model = result.model().network();
        double seconds = (System.nanoTime() - t0) / 1e9;
        ValidationResult v = Trainer.evaluate(model, loss, val, 8, r.steps(), r.epochs());
        return new SideResult("ours", "segmentation 0.1.0-SNAPSHOT (ND4J 1.0.0-M2.1)", v.meanIoU(),
                v.pixelAccuracy(), v.iou(), seconds, r.steps(), r.history().losses()[0], tailLoss(r));
    }

    /**
     * The batch order of {@code file}, row after row: a {@code .npy} of int32 indices into the training set, of
     * shape (steps, batch).
     *
     * @throws IllegalArgumentException naming the file if its dtype, shape or an index is out of place
     */
    static int[] readOrder(Path file, int steps, int batch, int trainImages) throws IOException {
        Tensor t = NpyFiles.read(file);
        if (!t.hasShape(steps, batch) || t.dtype() != DType.I32) {
            throw new IllegalArgumentException("batch order " + file + " is " + t.dtype() + " "
                    + Arrays.toString(t.shape()) + "; it must be int32 indices of shape [" + steps + ", " + batch
                    + "] (steps, batch)");
        }
        int[] order = t.ints();
        for (int i = 0; i < order.length; i++) {
            if (order[i] < 0 || order[i] >= trainImages) {
                throw new IllegalArgumentException("batch order " + file + ": step " + (i / batch + 1) + " has index "
                        + order[i] + ", not one of the " + trainImages + " training images");
            }
        }
        return order;
    }

    /** Mean training loss over the last 5% of the steps (at least one). */
    static double tailLoss(TrainingResult r) {
        double[] losses = r.history().losses();
        int from = losses.length - Math.max(1, losses.length / 20);
        double sum = 0;
        for (int i = from; i < losses.length; i++) {
            sum += losses[i];
        }
        return sum / (losses.length - from);
    }

    /**
     * Runs the PyTorch side on the data in {@code dataDir}; its progress goes to this process's stderr.
     *
     * @param extra further arguments of the script, e.g. {@code --dump-init FILE --dump-order FILE}
     * @throws IOException if the script cannot be started, fails, or prints no result line
     */
    public SideResult runPeer(Path python, Path script, Path dataDir, String... extra)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString(), "--data",
                dataDir.toString(), "--steps", Integer.toString(config.steps()), "--batch",
                Integer.toString(config.batchSize()), "--lr", Double.toString(config.learningRate()), "--schedule",
                config.cosine() ? "cosine" : "constant", config.augment() ? "--augment" : "--no-augment", "--seed",
                Long.toString(config.trainSeed()), "--threads", Integer.toString(config.threads())));
        if (config.init() != null) {
            cmd.addAll(List.of("--init", config.init().toString()));
        }
        if (config.order() != null) {
            cmd.addAll(List.of("--order", config.order().toString()));
        }
        cmd.addAll(List.of(extra));
        String last = PeerOptions.lastLine(cmd, "PyTorch", Map.of());
        return parsePeer(last);
    }

    SideResult parsePeer(String line) throws IOException {
        JsonNode o = json.readTree(line);
        for (String f : List.of("mean_iou", "pixel_accuracy", "iou", "train_seconds", "steps")) {
            if (!o.has(f)) {
                throw new IOException("PyTorch result lacks '" + f + "': " + line);
            }
        }
        double[] iou = new double[o.get("iou").size()];
        for (int c = 0; c < iou.length; c++) {
            JsonNode v = o.get("iou").get(c);
            iou[c] = v.isNull() ? Double.NaN : v.asDouble();
        }
        return new SideResult("pytorch", o.path("version").asText("pytorch"), o.get("mean_iou").asDouble(),
                o.get("pixel_accuracy").asDouble(), iou, o.get("train_seconds").asDouble(),
                o.get("steps").asLong(), o.path("first_loss").asDouble(Double.NaN),
                o.path("final_loss").asDouble(Double.NaN));
    }

    /**
     * The whole experiment: generates and writes the data to {@code out/data}, then for each training seed
     * {@code trainSeed .. trainSeed + seeds - 1} trains ours and (unless {@code python} is null) the PyTorch
     * side on that data, and writes {@code results.json} and {@code results.md} to {@code out} after every run.
     * A failing PyTorch side is recorded in the result, not thrown, and not run again for later seeds.
     *
     * @param seeds training seeds, at least 1
     * @param python the peer's interpreter, or null to skip the peer
     * @param script the peer script (ignored when {@code python} is null)
     * @param progress receives our progress bar and the steps, or null
     */
    public Results run(Path out, int seeds, Path python, Path script, PrintStream progress)
            throws IOException, InterruptedException {
        if (seeds < 1) {
            throw new IllegalArgumentException("seeds must be at least 1, got " + seeds);
        }
        Files.createDirectories(out);
        InMemoryDataset train = trainingSet();
        InMemoryDataset val = validationSet();
        Path data = out.resolve("data");
        writeData(train, val, data);
        List<Result> runs = new ArrayList<>();
        String peerError = null;
        for (int k = 0; k < seeds; k++) {
            CompositesExperiment e = new CompositesExperiment(config.withSeeds(config.dataSeed(),
                    config.trainSeed() + k));
            SideResult ours = e.trainOurs(train, val, progress);
            if (progress != null) {
                progress.printf(Locale.ROOT, "ours, seed %d: mean IoU %.4f, pixel accuracy %.4f, %.1f s%n",
                        e.config.trainSeed(), ours.meanIoU(), ours.pixelAccuracy(), ours.trainSeconds());
            }
            SideResult peer = null;
            if (python != null && peerError == null) {
                try {
                    peer = e.runPeer(python, script, data);
                } catch (IOException ex) {
                    peerError = ex.getMessage();
                }
            }
            runs.add(new Result(e.config, ours, peer, peer == null ? peerError : null));
            Results results = new Results(config, runs);
            Files.writeString(out.resolve("results.json"), json.writeValueAsString(toJson(results)),
                    StandardCharsets.UTF_8);
            Files.writeString(out.resolve("results.md"), markdown(results), StandardCharsets.UTF_8);
        }
        return new Results(config, runs);
    }

    /** The results as the object of {@code results.json}: settings, each run's sides, and each side's spread. */
    public ObjectNode toJson(Results rs) {
        ObjectNode o = json.createObjectNode();
        o.put("experiment", "composites");
        ObjectNode config = json.valueToTree(rs.config());
        config.put("init", Objects.toString(rs.config().init(), null));
        config.put("order", Objects.toString(rs.config().order(), null));
        o.set("config", config);
        o.set("model", UNet.configToJson(rs.config().model()));
        ObjectNode task = o.putObject("composites");
        task.put("items", ITEMS).put("min_scale", MIN_SCALE).put("max_scale", MAX_SCALE)
                .put("noise_sigma", TexturedComposites.Config.defaults().noiseSigma());
        ArrayNode classes = o.putArray("class_names");
        TexturedComposites.CLASS_NAMES.forEach(classes::add);
        ArrayNode runs = o.putArray("runs");
        for (Result r : rs.runs()) {
            runJson(runs.addObject(), r);
        }
        ObjectNode summary = o.putObject("summary");
        spreadJson(summary.putObject("ours"), rs.ours());
        if (rs.peer() != null) {
            spreadJson(summary.putObject("pytorch"), rs.peer());
            summary.put("mean_iou_difference", rs.ours().mean() - rs.peer().mean());
        }
        if (rs.peerError() != null) {
            o.put("peer_error", rs.peerError());
        }
        return o;
    }

    private static void spreadJson(ObjectNode n, Spread s) {
        n.put("runs", s.n()).put("mean_iou", s.mean());
        if (Double.isNaN(s.sd())) {
            n.putNull("sd_iou");
        } else {
            n.put("sd_iou", s.sd());
        }
    }

    private static void runJson(ObjectNode o, Result r) {
        o.put("train_seed", r.config().trainSeed());
        ArrayNode sides = o.putArray("sides");
        for (SideResult s : r.peer() == null ? List.of(r.ours()) : List.of(r.ours(), r.peer())) {
            ObjectNode n = sides.addObject();
            n.put("side", s.side()).put("version", s.version()).put("mean_iou", s.meanIoU())
                    .put("pixel_accuracy", s.pixelAccuracy()).put("train_seconds", s.trainSeconds())
                    .put("steps", s.steps()).put("first_loss", s.firstLoss()).put("final_loss", s.finalLoss());
            ArrayNode iou = n.putArray("iou");
            for (double v : s.iou()) {
                if (Double.isNaN(v)) {
                    iou.addNull();
                } else {
                    iou.add(v);
                }
            }
        }
        if (r.peerError() != null) {
            o.put("peer_error", r.peerError());
        }
        if (r.peer() != null) {
            o.put("mean_iou_difference", r.ours().meanIoU() - r.peer().meanIoU());
        }
    }

    /**
     * The tables of {@code results.md}: per run (seed, side, version, mean IoU, pixel accuracy, training seconds,
     * steps, final loss), then per side the mean and sample standard deviation of the mIoU over the seeds.
     */
    public static String markdown(Results rs) {
        Config c = rs.config();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Textured composites (%d item of %d-%d px), %d train / %d val images of"
                + " %d px; U-Net depth %d, %d filters; %d steps of %d, Adam %s %s, cross-entropy, %s.%n%n", ITEMS,
                Math.round(28 * MIN_SCALE), Math.round(28 * MAX_SCALE), c.trainImages(), c.valImages(), c.size(),
                c.depth(), c.baseFilters(), c.steps(), c.batchSize(), Double.toString(c.learningRate()),
                c.cosine() ? "cosine" : "constant", c.augment() ? "flips + quarter turns" : "no augmentation"));
        if (c.init() != null || c.order() != null) {
            sb.append(String.format(Locale.ROOT, "Both sides from initial weights %s and batch order %s.%n%n",
                    c.init() == null ? "of their seed" : c.init(), c.order() == null ? "of their seed" : c.order()));
        }
        sb.append("| seed | side | version | mIoU | pixel acc | train s | steps | first loss | final loss |\n");
        sb.append("|---:|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : rs.runs()) {
            for (SideResult s : r.peer() == null ? List.of(r.ours()) : List.of(r.ours(), r.peer())) {
                sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %.4f | %.4f | %.1f | %d | %.6f | %.4f |%n",
                        r.config().trainSeed(), s.side(), s.version(), s.meanIoU(), s.pixelAccuracy(),
                        s.trainSeconds(), s.steps(), s.firstLoss(), s.finalLoss()));
            }
        }
        sb.append("\n| side | seeds | mIoU mean | mIoU sd |\n|---|---:|---:|---:|\n");
        Spread ours = rs.ours();
        Spread peer = rs.peer();
        sb.append(String.format(Locale.ROOT, "| ours | %d | %.4f | %.4f |%n", ours.n(), ours.mean(), ours.sd()));
        if (peer != null) {
            sb.append(String.format(Locale.ROOT, "| pytorch | %d | %.4f | %.4f |%n", peer.n(), peer.mean(),
                    peer.sd()));
        }
        if (peer != null) {
            sb.append(String.format(Locale.ROOT, "%nmean mIoU ours - pytorch: %+.4f%n", ours.mean() - peer.mean()));
        }
        if (rs.peerError() != null) {
            sb.append("\nPyTorch side failed: ").append(rs.peerError()).append('\n');
        }
        return sb.toString();
    }
}
