package org.segmentation.nn.task;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.segmentation.nn.data.Augmentation;
import org.segmentation.nn.data.AugmentationPipeline;
import org.segmentation.nn.data.BatchLoader;
import org.segmentation.nn.data.Augmentations;
import org.segmentation.nn.data.CocoInstances;
import org.segmentation.nn.data.Sample;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.model.MaskRCNN;
import org.segmentation.nn.model.MaskRCNNConfig;
import org.segmentation.nn.model.MaskRCNNTransform;
import org.segmentation.nn.model.ResNetConfig;
import org.segmentation.nn.optim.LearningRateSchedule;
import org.segmentation.nn.optim.Optimizer;
import org.segmentation.nn.optim.Sgd;
import org.segmentation.nn.param.ParameterBuffer;
import org.segmentation.nn.predict.InputNormalization;
import org.segmentation.nn.train.MaskRCNNTrainable;
import org.segmentation.nn.train.Trainer;
import org.segmentation.nn.train.TrainerConfig;
import org.segmentation.nn.train.TrainerConfig.Interval;
import org.segmentation.nn.train.TrainerConfig.ScheduleUnit;
import org.segmentation.nn.train.TrainingListener;
import org.segmentation.nn.train.TrainingResult;
import org.segmentation.nn.train.ValidationResult;

/**
 * Trains a Mask R-CNN from scratch on instance data (a COCO instances file with its images, or any
 * {@link SegmentationDataset} whose samples have instance maps, such as
 * {@link org.segmentation.nn.data.SyntheticCells#instanceDataset}) through the library's {@link Trainer}, with
 * defaults for every choice, each overridable on its own:
 *
 * <pre>{@code
 * MaskRCNNTraining.Result result = MaskRCNNTraining.onCoco(Path.of("instances.json"), Path.of("images"), 3)
 *         .epochs(20)
 *         .output(Path.of("runs/items"))      // checkpoints, history, final model
 *         .train();
 * InstanceSegmentation found = result.model().segment(Path.of("photo.png"));
 * }</pre>
 *
 * <p>Defaults ({@link #train()} applies them in this order):
 * <ul>
 *   <li>data: {@link #DEFAULT_VALIDATION_FRACTION} held out for validation, drawn with the seed;</li>
 *   <li>model: {@link MaskRCNNConfig#small} with the data's channels and classes, weights seeded with the seed;
 *       class names the COCO categories' (or "background", "class1", ...);</li>
 *   <li>transform: inputs in [0, 1] unnormalised ({@link InputNormalization#unit}); the shorter side scaled to
 *       the first training image's shorter side and the longer side capped at the first image's longer side (so
 *       images of that size are not resized); padding to multiples of 32;</li>
 *   <li>optimizer: SGD with momentum 0.9 and weight decay 1e-4 (torchvision's detection reference) at
 *       {@value #DEFAULT_LEARNING_RATE}, with a linear warm-up over the first {@value #DEFAULT_WARMUP_STEPS}
 *       steps from a thousandth of the rate, then constant; gradients clipped to norm {@value #DEFAULT_CLIP_NORM}
 *       (from-scratch training without it diverged in the first steps);</li>
 *   <li>{@value #DEFAULT_EPOCHS} epochs of batches of {@value #DEFAULT_BATCH_SIZE}; augmentation: random
 *       horizontal and vertical flips (the instance maps flip with the images);</li>
 *   <li>validation (COCO mask AP) after every epoch, which picks {@code best/}; no early stopping;</li>
 *   <li>nothing written unless {@link #output} is set; seed 0, one loader thread.</li>
 * </ul>
 *
 * <p>Samples of one batch must have one size (COCO images of different sizes: batch size 1).
 */
public final class MaskRCNNTraining {
    public static final double DEFAULT_VALIDATION_FRACTION = 0.2;
    public static final double DEFAULT_LEARNING_RATE = 0.01;
    public static final int DEFAULT_WARMUP_STEPS = 50;
    public static final double DEFAULT_CLIP_NORM = 10;
    public static final int DEFAULT_EPOCHS = 20;
    public static final int DEFAULT_BATCH_SIZE = 2;

    /**
     * What a training run gives back.
     *
     * @param model the trained model (the weights after the last step, in evaluation mode)
     * @param run how the run ended, with its history
     * @param train the data it was trained on
     * @param validation the data it was validated on, or null
     */
    public record Result(TrainedMaskRCNN model, TrainingResult run, SegmentationDataset train,
            SegmentationDataset validation) {
    }

    private final SegmentationDataset data;
    private final List<String> dataClassNames;
    private SegmentationDataset validation;
    private double validationFraction = DEFAULT_VALIDATION_FRACTION;
    private MaskRCNNConfig model;
    private MaskRCNNTransform transform;
    private List<String> classNames;
    private Function<ParameterBuffer, Optimizer> optimizer;
    private double learningRate = DEFAULT_LEARNING_RATE;
    private LearningRateSchedule schedule;
    private ScheduleUnit scheduleUnit = ScheduleUnit.STEP;
    private boolean defaultSchedule = true;
    private int epochs = DEFAULT_EPOCHS;
    private long maxSteps;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private Interval validateEvery = Interval.epochs(1);
    private Augmentation augmentation = defaultAugmentation();
    private Path output;
    private Path resumeFrom;
    private long seed;
    private int loaderThreads = 1;
    private double clipNorm = DEFAULT_CLIP_NORM;
    private final List<TrainingListener> listeners = new ArrayList<>();

    private MaskRCNNTraining(SegmentationDataset data, List<String> classNames) {
        this.data = data;
        this.dataClassNames = classNames;
    }

    /** Training on a dataset whose samples have instance maps ({@link Sample#instances()}). */
    public static MaskRCNNTraining on(SegmentationDataset data) {
        return new MaskRCNNTraining(Objects.requireNonNull(data, "data"), null);
    }

    /**
     * Training on a COCO instances file and its image folder ({@link CocoInstances#samples}): classes are its
     * categories in file order after the background, named as the categories.
     *
     * @param channels 1 or 3, the channels the images are read with
     * @throws org.segmentation.core.coco.CocoFormatException naming the file and the record if the JSON is not a
     *     consistent COCO instances file (a missing image, a polygon outside its image, a bad RLE, an unknown
     *     category id)
     */
    public static MaskRCNNTraining onCoco(Path json, Path imageDir, int channels) throws IOException {
        CocoInstances coco = CocoInstances.open(json, imageDir, channels);
        return new MaskRCNNTraining(coco.samples(), coco.classNames());
    }

    /** Hold out this fraction of the data for validation, in [0, 1); default {@value #DEFAULT_VALIDATION_FRACTION}. */
    public MaskRCNNTraining validationFraction(double fraction) {
        this.validationFraction = fraction;
        this.validation = null;
        return this;
    }

    /** Validate on this dataset instead of a held-out part. */
    public MaskRCNNTraining validation(SegmentationDataset validation) {
        this.validation = Objects.requireNonNull(validation, "validation");
        return this;
    }

    /** The architecture; by default {@link MaskRCNNConfig#small} fitted to the data's channels and classes. */
    public MaskRCNNTraining model(MaskRCNNConfig model) {
        this.model = model;
        return this;
    }

    /** The transform every image goes through, saved with the model. */
    public MaskRCNNTraining transform(MaskRCNNTransform transform) {
        this.transform = transform;
        return this;
    }

    /** One name per class, background first. */
    public MaskRCNNTraining classNames(List<String> classNames) {
        this.classNames = List.copyOf(classNames);
        return this;
    }

    /** Makes the optimizer from the model's parameters. */
    public MaskRCNNTraining optimizer(Function<ParameterBuffer, Optimizer> optimizer) {
        this.optimizer = optimizer;
        return this;
    }

    /** The default optimizer's rate (after the warm-up). */
    public MaskRCNNTraining learningRate(double learningRate) {
        this.learningRate = learningRate;
        return this;
    }

    /** The learning rate by epoch or by step, instead of the default warm-up. */
    public MaskRCNNTraining schedule(LearningRateSchedule schedule, ScheduleUnit unit) {
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        this.scheduleUnit = Objects.requireNonNull(unit, "unit");
        this.defaultSchedule = false;
        return this;
    }

    /** The optimizer's rate throughout, no warm-up. */
    public MaskRCNNTraining constantLearningRate() {
        this.schedule = null;
        this.defaultSchedule = false;
        return this;
    }

    public MaskRCNNTraining epochs(int epochs) {
        this.epochs = epochs;
        return this;
    }

    /** Stop after this many optimizer steps in all; 0 (default) for no limit. */
    public MaskRCNNTraining maxSteps(long maxSteps) {
        this.maxSteps = maxSteps;
        return this;
    }

    public MaskRCNNTraining batchSize(int batchSize) {
        this.batchSize = batchSize;
        return this;
    }

    /** How often to validate; {@link Interval#never()} for never. */
    public MaskRCNNTraining validateEvery(Interval every) {
        this.validateEvery = Objects.requireNonNull(every, "every");
        return this;
    }

    /** Applied to each training sample (images, class and instance maps together); null for none. */
    public MaskRCNNTraining augmentation(Augmentation augmentation) {
        this.augmentation = augmentation;
        return this;
    }

    /** Where checkpoints, history files and the final model ({@value TrainedUNet#MODEL_DIR}/) are written. */
    public MaskRCNNTraining output(Path dir) {
        this.output = dir;
        return this;
    }

    /**
     * Continue from a checkpoint folder (e.g. {@code OUT/last}) written with the same settings; its
     * architecture, transform and class names are used.
     */
    public MaskRCNNTraining resumeFrom(Path checkpoint) {
        this.resumeFrom = checkpoint;
        return this;
    }

    /** Seed of the split, the weights, the batch order, the augmentations and the sampled anchors. */
    public MaskRCNNTraining seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** Threads preparing batches; 0 prepares them on the training thread. */
    public MaskRCNNTraining loaderThreads(int threads) {
        this.loaderThreads = threads;
        return this;
    }

    /** Clip the global gradient norm to this value; 0 for no clipping. Default {@value #DEFAULT_CLIP_NORM}. */
    public MaskRCNNTraining clipNorm(double clipNorm) {
        this.clipNorm = clipNorm;
        return this;
    }

    public MaskRCNNTraining listener(TrainingListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Builds the model and the recipe, trains, and (with {@link #output}) saves the final model.
     *
     * @throws IllegalArgumentException naming the setting that does not fit (or the data)
     * @throws org.segmentation.nn.data.DatasetException naming the file if an image cannot be read
     * @throws org.segmentation.nn.train.TrainingDivergedException naming the step whose loss was not finite
     * @throws IOException if the checkpoint to resume from cannot be read, or an output cannot be written
     */
    public Result train() throws IOException {
        TrainingRuns.checkValidationFraction(validationFraction);
        TrainingRuns.Split split = TrainingRuns.split(data, validation, validationFraction, seed);
        SegmentationDataset train = split.train();
        SegmentationDataset val = split.validation();
        TrainedMaskRCNN prior = resumeFrom == null ? null
                : TrainedMaskRCNN.load(TrainingRuns.checkpointFolder(resumeFrom));
        MaskRCNNConfig config = model != null ? model : prior != null ? prior.network().config()
                : defaultConfig(data.channels(), data.numClasses());
        MaskRCNNTransform tf = transform != null ? transform : prior != null ? prior.transform()
                : defaultTransform(train.get(0), config.backbone().inputChannels());
        List<String> names = classNames != null ? classNames : prior != null ? prior.classNames()
                : dataClassNames != null ? dataClassNames : TrainedUNet.defaultClassNames(config.classes());
        MaskRCNN network = new MaskRCNN(config, seed);
        TrainedMaskRCNN trained = new TrainedMaskRCNN(network, tf, names);
        MaskRCNNTrainable trainable = new MaskRCNNTrainable(network, tf);

        Optimizer opt = optimizer != null ? optimizer.apply(network.parameters())
                : new Sgd(network.parameters(), learningRate, 0.9, false, 1e-4);
        TrainerConfig.Builder tc = TrainerConfig.builder(trainable, opt).epochs(epochs).maxSteps(maxSteps)
                .batchSize(batchSize).validationBatchSize(1)
                .validateEvery(val == null ? Interval.never() : validateEvery)
                .monitor(TrainerConfig.Monitor.maskAp()).seed(seed).loader(loaderThreads, 2).clipNorm(clipNorm);
        if (defaultSchedule) {
            double rate = opt.learningRate();
            tc.schedule(LearningRateSchedule.linearWarmup(e -> rate, DEFAULT_WARMUP_STEPS, 1e-3), ScheduleUnit.STEP);
        } else if (schedule != null) {
            tc.schedule(schedule, scheduleUnit);
        }
        Trainer trainer = TrainingRuns.trainer(tc, trained::configFields, listeners, output, resumeFrom);
        TrainingResult run = TrainingRuns.fit(trainer, output, train, augmentation, val);
        network.setTraining(false);
        TrainingRuns.saveModelAndHistory(output, trained::save, run);
        return new Result(trained, run, train, val);
    }

    /**
     * COCO mask AP of a model on instance data, one image at a time through its transform, as validation during
     * training measures it ({@link MaskRCNNTrainable#validate}); the network is left in evaluation mode.
     *
     * @param step recorded in the result
     * @param epoch recorded in the result
     * @throws IllegalArgumentException if the data do not fit the model (channels, classes, no instance maps)
     */
    public static ValidationResult evaluate(TrainedMaskRCNN model, SegmentationDataset data, long step, long epoch) {
        MaskRCNNTrainable t = new MaskRCNNTrainable(model.network(), model.transform());
        t.checkDataset("dataset", data);
        try (BatchLoader loader = new BatchLoader(data, null, new BatchLoader.Config(1, false, false, 0, 0, 1))) {
            return t.validate(loader, step, epoch);
        }
    }

    /** {@link MaskRCNNConfig#small} with {@code channels} input channels and {@code classes} classes. */
    public static MaskRCNNConfig defaultConfig(int channels, int classes) {
        MaskRCNNConfig s = MaskRCNNConfig.small(classes);
        ResNetConfig b = s.backbone();
        return new MaskRCNNConfig(new ResNetConfig(b.block(), b.blocks(), b.widths(), b.stemWidth(), channels),
                s.fpnChannels(), s.anchors(), s.rpn(), s.roiHeads(), classes, s.representation(), s.maskWidth(),
                DataType.FLOAT);
    }

    /** Unit normalisation, sizes that leave {@code first}'s size unchanged, padding to 32. */
    static MaskRCNNTransform defaultTransform(Sample first, int channels) {
        int lo = Math.min(first.width(), first.height());
        int hi = Math.max(first.width(), first.height());
        return new MaskRCNNTransform(lo, hi, InputNormalization.unit(channels), 32);
    }

    /** Random horizontal and vertical flips, each with probability 1/2. */
    public static Augmentation defaultAugmentation() {
        return AugmentationPipeline.builder().add(Augmentations.flipHorizontal(), 0.5)
                .add(Augmentations.flipVertical(), 0.5).build();
    }
}
