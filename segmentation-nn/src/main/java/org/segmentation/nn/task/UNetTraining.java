package org.segmentation.nn.task;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.nn.data.Augmentation;
import org.segmentation.nn.data.AugmentationPipeline;
import org.segmentation.nn.data.Augmentations;
import org.segmentation.nn.data.DatasetSplit;
import org.segmentation.nn.data.FolderDataset;
import org.segmentation.nn.data.Sample;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.loss.CeDiceLoss;
import org.segmentation.nn.loss.Loss;
import org.segmentation.nn.loss.SoftDice;
import org.segmentation.nn.loss.SoftmaxCrossEntropy;
import org.segmentation.nn.model.ModelWeights;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.optim.LearningRateSchedule;
import org.segmentation.nn.optim.Optimizer;
import org.segmentation.nn.param.ParameterBuffer;
import org.segmentation.nn.predict.InputNormalization;
import org.segmentation.nn.train.Trainer;
import org.segmentation.nn.train.TrainerConfig;
import org.segmentation.nn.train.TrainerConfig.Interval;
import org.segmentation.nn.train.TrainerConfig.ScheduleUnit;
import org.segmentation.nn.train.TrainingHistory;
import org.segmentation.nn.train.TrainingListener;
import org.segmentation.nn.train.TrainingResult;

/**
 * Trains a U-Net on a folder of image/mask pairs (or any {@link SegmentationDataset}) with defaults for every
 * choice, each of which can be overridden on its own:
 *
 * <pre>{@code
 * UNetTraining.Result result = UNetTraining.onFolder(Path.of("data"))   // data/images, data/masks
 *         .epochs(20)
 *         .output(Path.of("runs/cells"))                                // checkpoints, history, final model
 *         .listener(new LoggingListener(50))
 *         .train();
 * TrainedUNet model = result.model();
 * }</pre>
 *
 * <p>Defaults ({@link #train()} applies them in this order):
 * <ul>
 *   <li>data: a folder read with 1 channel, the class count inferred from the masks, no ignore label
 *       ({@link FolderDataset}); {@link #DEFAULT_VALIDATION_FRACTION} of it held out for validation, drawn with
 *       the seed ({@link DatasetSplit#random});</li>
 *   <li>model: {@link UNetConfig#of} the data's channels and classes, depth {@value #DEFAULT_DEPTH},
 *       {@value #DEFAULT_BASE_FILTERS} base filters, weights seeded with the seed (or {@link #initialWeights});
 *       inputs in [0, 1]
 *       ({@link InputNormalization#unit}); classes named {@link TrainedUNet#defaultClassNames};</li>
 *   <li>loss: cross-entropy plus soft Dice, weights 1 and 1, ignoring the data's ignore label;</li>
 *   <li>optimizer: Adam (betas 0.9, 0.999, eps 1e-8, no weight decay) at {@value #DEFAULT_LEARNING_RATE}; schedule:
 *       cosine from the rate to a hundredth of it over the epochs, evaluated at the start of each epoch (with
 *       {@link #maxSteps} ending the run early, pass a per-step {@link #schedule});</li>
 *   <li>{@value #DEFAULT_EPOCHS} epochs of batches of {@value #DEFAULT_BATCH_SIZE}, each epoch in a new seeded
 *       order (unless {@link #shuffle} is off); augmentation: random
 *       horizontal and vertical flips and quarter turns, after a random crop if {@link #crop} is set;</li>
 *   <li>validation (mean IoU) after every epoch; early stopping after {@value #DEFAULT_PATIENCE} validations
 *       without improvement; no validation and no early stopping when the validation set is empty;</li>
 *   <li>nothing written unless {@link #output} is set: then checkpoints {@code last/} and {@code best/}, the
 *       history files and the final model ({@value TrainedUNet#MODEL_DIR}/) go there;</li>
 *   <li>seed 0, one loader thread.</li>
 * </ul>
 *
 * <p>Progress reaches the {@link TrainingListener}s on the training thread.
 */
public final class UNetTraining {
    public static final double DEFAULT_VALIDATION_FRACTION = 0.2;
    public static final int DEFAULT_DEPTH = 3;
    public static final int DEFAULT_BASE_FILTERS = 16;
    public static final double DEFAULT_LEARNING_RATE = 1e-3;
    public static final int DEFAULT_EPOCHS = 20;
    public static final int DEFAULT_BATCH_SIZE = 4;
    public static final int DEFAULT_PATIENCE = 10;

    /**
     * What a training run gives back.
     *
     * @param model the trained model (the weights after the last step, in evaluation mode)
     * @param run how the run ended, with its {@link TrainingHistory}
     * @param train the data it was trained on
     * @param validation the data it was validated on, or null
     * @param loss the loss it was trained with (to score the model on other data, {@link Trainer#evaluate})
     */
    public record Result(TrainedUNet model, TrainingResult run, SegmentationDataset train,
            SegmentationDataset validation, Loss loss) {
        /** Losses, learning rates and validation results, step by step. */
        public TrainingHistory history() {
            return run.history();
        }
    }

    private final Path folder;
    private final SegmentationDataset data;
    private int channels = 1;
    private int classes = FolderDataset.Config.INFER;
    private IgnoreLabel ignoreLabel = IgnoreLabel.NONE;
    private int crop;
    private boolean scanData = true;
    private SegmentationDataset validation;
    private double validationFraction = DEFAULT_VALIDATION_FRACTION;
    private UNetConfig model;
    private TensorFile initialWeights;
    private int depth = DEFAULT_DEPTH;
    private int baseFilters = DEFAULT_BASE_FILTERS;
    private InputNormalization normalization;
    private List<String> classNames;
    private Loss loss;
    private Function<ParameterBuffer, Optimizer> optimizer;
    private double learningRate = DEFAULT_LEARNING_RATE;
    private LearningRateSchedule schedule;
    private ScheduleUnit scheduleUnit = ScheduleUnit.EPOCH;
    private boolean constantRate;
    private int epochs = DEFAULT_EPOCHS;
    private long maxSteps;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private boolean shuffle = true;
    private Interval validateEvery = Interval.epochs(1);
    private int validationBatchSize = 1;
    private int patience = DEFAULT_PATIENCE;
    private Augmentation augmentation = defaultAugmentation();
    private Path output;
    private Path resumeFrom;
    private long seed;
    private int loaderThreads = 1;
    private double clipNorm;
    private final List<TrainingListener> listeners = new ArrayList<>();

    private UNetTraining(Path folder, SegmentationDataset data) {
        this.folder = folder;
        this.data = data;
    }

    /** Training on {@code folder/images} and {@code folder/masks} (see {@link FolderDataset}). */
    public static UNetTraining onFolder(Path folder) {
        return new UNetTraining(Objects.requireNonNull(folder, "folder"), null);
    }

    /** Training on a dataset (generated, in memory, or a user's own). */
    public static UNetTraining on(SegmentationDataset data) {
        return new UNetTraining(null, Objects.requireNonNull(data, "data"));
    }

    /** Channels a folder's images are read with, 1 (default) or 3. */
    public UNetTraining channels(int channels) {
        this.channels = channels;
        return this;
    }

    /** Classes of a folder's masks, background included; {@link FolderDataset.Config#INFER} (default) infers them. */
    public UNetTraining classes(int classes) {
        this.classes = classes;
        return this;
    }

    /** The mask value of a folder's unlabelled pixels (255 in PASCAL VOC); {@link IgnoreLabel#NONE} by default. */
    public UNetTraining ignoreLabel(IgnoreLabel ignoreLabel) {
        this.ignoreLabel = Objects.requireNonNull(ignoreLabel, "ignoreLabel");
        return this;
    }

    /**
     * Whether a folder's samples are all decoded once before training ({@link FolderDataset#scan}), so that a bad
     * file fails at once rather than when it is first drawn (default true; turn it off for huge datasets).
     */
    public UNetTraining scanData(boolean scan) {
        this.scanData = scan;
        return this;
    }

    /** Train on random {@code size x size} windows (padded where the image is smaller); 0 (default) for none. */
    public UNetTraining crop(int size) {
        this.crop = size;
        return this;
    }

    /** Hold out this fraction of the data for validation, in [0, 1); default {@value #DEFAULT_VALIDATION_FRACTION}. */
    public UNetTraining validationFraction(double fraction) {
        this.validationFraction = fraction;
        this.validation = null;
        return this;
    }

    /** Validate on this dataset instead of a held-out part; all of the training data is then trained on. */
    public UNetTraining validation(SegmentationDataset validation) {
        this.validation = Objects.requireNonNull(validation, "validation");
        return this;
    }

    /** The whole architecture; by default it is made from the data, {@link #depth} and {@link #baseFilters}. */
    public UNetTraining model(UNetConfig model) {
        this.model = model;
        return this;
    }

    /**
     * Start from these weights instead of seeded ones: every parameter and buffer of the model by name
     * ({@link ModelWeights#load}, so a PyTorch {@code state_dict} of the same U-Net fits); null (default) for
     * none. Not with {@link #resumeFrom}, whose checkpoint has its own weights.
     */
    public UNetTraining initialWeights(TensorFile weights) {
        this.initialWeights = weights;
        return this;
    }

    public UNetTraining depth(int depth) {
        this.depth = depth;
        return this;
    }

    public UNetTraining baseFilters(int baseFilters) {
        this.baseFilters = baseFilters;
        return this;
    }

    /** Per-channel mean and std applied to the [0, 1] inputs, in training and prediction; default none. */
    public UNetTraining normalization(InputNormalization normalization) {
        this.normalization = normalization;
        return this;
    }

    /** One name per class, background first, stored with the model. */
    public UNetTraining classNames(List<String> classNames) {
        this.classNames = List.copyOf(classNames);
        return this;
    }

    /** The training loss (its ignore label is the caller's business); default cross-entropy plus Dice. */
    public UNetTraining loss(Loss loss) {
        this.loss = loss;
        return this;
    }

    /** Makes the optimizer from the model's parameters, e.g. {@code p -> new Sgd(p, 0.01, 0.9, false, 0)}. */
    public UNetTraining optimizer(Function<ParameterBuffer, Optimizer> optimizer) {
        this.optimizer = optimizer;
        return this;
    }

    /** The default optimizer's rate and the start of the default schedule. */
    public UNetTraining learningRate(double learningRate) {
        this.learningRate = learningRate;
        return this;
    }

    /** The learning rate by epoch or by step. */
    public UNetTraining schedule(LearningRateSchedule schedule, ScheduleUnit unit) {
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        this.scheduleUnit = Objects.requireNonNull(unit, "unit");
        this.constantRate = false;
        return this;
    }

    /** The optimizer's rate throughout, no schedule. */
    public UNetTraining constantLearningRate() {
        this.schedule = null;
        this.constantRate = true;
        return this;
    }

    public UNetTraining epochs(int epochs) {
        this.epochs = epochs;
        return this;
    }

    /** Stop after this many optimizer steps in all; 0 (default) for no limit. */
    public UNetTraining maxSteps(long maxSteps) {
        this.maxSteps = maxSteps;
        return this;
    }

    public UNetTraining batchSize(int batchSize) {
        this.batchSize = batchSize;
        return this;
    }

    /**
     * Whether every epoch visits the training samples in a new seeded order (default true); false trains on them
     * in dataset order, e.g. a {@link org.segmentation.nn.data.SubsetDataset} that lists a given batch order.
     */
    public UNetTraining shuffle(boolean shuffle) {
        this.shuffle = shuffle;
        return this;
    }

    /** How often to validate (default every epoch), and the validation batch size (default 1). */
    public UNetTraining validateEvery(Interval every, int batchSize) {
        this.validateEvery = Objects.requireNonNull(every, "every");
        this.validationBatchSize = batchSize;
        return this;
    }

    /** Stop after {@code patience} validations without a better mean IoU; 0 never stops early. */
    public UNetTraining earlyStopping(int patience) {
        this.patience = patience;
        return this;
    }

    /** Applied to each training sample; null for none. Default: random flips and quarter turns. */
    public UNetTraining augmentation(Augmentation augmentation) {
        this.augmentation = augmentation;
        return this;
    }

    /** Where checkpoints, history files and the final model ({@value TrainedUNet#MODEL_DIR}/) are written. */
    public UNetTraining output(Path dir) {
        this.output = dir;
        return this;
    }

    /**
     * Continue from a checkpoint folder (e.g. {@code OUT/last}) written with the same settings; its architecture
     * is used unless {@link #model} is set.
     */
    public UNetTraining resumeFrom(Path checkpoint) {
        this.resumeFrom = checkpoint;
        return this;
    }

    /** Seed of the split, the weights, the batch order, the augmentations and dropout. */
    public UNetTraining seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** Threads preparing batches; 0 prepares them on the training thread. */
    public UNetTraining loaderThreads(int threads) {
        this.loaderThreads = threads;
        return this;
    }

    /** Clip the global gradient norm to this value; 0 (default) for no clipping. */
    public UNetTraining clipNorm(double clipNorm) {
        this.clipNorm = clipNorm;
        return this;
    }

    /** Adds a listener for progress, validations and checkpoints. */
    public UNetTraining listener(TrainingListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Opens the data, builds the model and the recipe, trains, and (with {@link #output}) saves the final model.
     *
     * @throws IllegalArgumentException naming the setting that does not fit (or the data)
     * @throws org.segmentation.nn.data.DatasetException naming the file if the data cannot be read
     * @throws org.segmentation.nn.train.TrainingDivergedException naming the step whose loss was not finite
     * @throws IOException if the checkpoint to resume from cannot be read, or an output cannot be written
     */
    public Result train() throws IOException {
        TrainingRuns.checkValidationFraction(validationFraction);
        SegmentationDataset all = data != null ? data : openFolder();
        TrainingRuns.Split split = TrainingRuns.split(all, validation, validationFraction, seed);
        SegmentationDataset train = split.train();
        SegmentationDataset val = split.validation();
        UNetConfig config = model != null ? model : resumeFrom != null ? checkpointConfig(resumeFrom)
                : UNetConfig.of(all.channels(), all.numClasses()).withDepth(depth).withBaseFilters(baseFilters);
        InputNormalization norm = normalization != null ? normalization
                : InputNormalization.unit(config.inputChannels());
        UNet network = new UNet(config, seed);
        if (initialWeights != null) {
            if (resumeFrom != null) {
                throw new IllegalArgumentException("initialWeights and resumeFrom " + resumeFrom
                        + " both give the weights; set one");
            }
            ModelWeights.load(network, initialWeights);
        }
        List<String> names = classNames != null ? classNames
                : TrainedUNet.defaultClassNames(network.outputChannels() == 1 ? 2 : network.outputChannels());
        // Checked now, before any step: the names and normalisation must fit the network.
        TrainedUNet trained = new TrainedUNet(network, norm, names);

        Loss lossFn = loss != null ? loss : defaultLoss(all.ignoreLabel());
        Optimizer opt = optimizer != null ? optimizer.apply(network.parameters())
                : Adam.adam(network.parameters(), learningRate, 0.9, 0.999, 1e-8, 0);
        TrainerConfig.Builder tc = TrainerConfig.builder(network, lossFn, opt).epochs(epochs).maxSteps(maxSteps)
                .batchSize(batchSize).shuffle(shuffle).validationBatchSize(validationBatchSize)
                .validateEvery(val == null ? Interval.never() : validateEvery)
                .earlyStopping(TrainerConfig.Monitor.meanIoU(), val == null || validateEvery.isNever() ? 0 : patience)
                .seed(seed).loader(loaderThreads, 2).clipNorm(clipNorm);
        if (schedule != null) {
            tc.schedule(schedule, scheduleUnit);
        } else if (!constantRate) {
            // Per epoch, so that the rate of an epoch depends only on the epoch count: a run resumed with more
            // epochs retraces the first epochs of a run planned that long from the start.
            tc.schedule(LearningRateSchedule.cosine(opt.learningRate(), epochs, opt.learningRate() / 100),
                    ScheduleUnit.EPOCH);
        }
        Trainer trainer = TrainingRuns.trainer(tc, trained::configFields, listeners, output, resumeFrom);
        Augmentation aug = augmentation;
        if (crop > 0) {
            Augmentation window = Augmentations.cropOrPad(crop, crop, 0f, all.ignoreLabel().valueOr(0));
            aug = aug == null ? window : AugmentationPipeline.builder().add(window).add(aug).build();
        }
        TrainingResult run = TrainingRuns.fit(trainer, output, normalized(train, norm), aug,
                val == null ? null : normalized(val, norm));
        network.setTraining(false);
        TrainingRuns.saveModelAndHistory(output, trained::save, run);
        return new Result(trained, run, train, val, lossFn);
    }

    /** Cross-entropy plus soft Dice, weights 1 and 1, ignoring the dataset's ignore label. */
    static Loss defaultLoss(IgnoreLabel ignore) {
        return new CeDiceLoss(new SoftmaxCrossEntropy(null, ignore), 1.0, new SoftDice(1.0, ignore), 1.0);
    }

    /** Random horizontal and vertical flips (each with probability 1/2) and a random quarter turn. */
    public static Augmentation defaultAugmentation() {
        return AugmentationPipeline.builder().add(Augmentations.flipHorizontal(), 0.5)
                .add(Augmentations.flipVertical(), 0.5).add(Augmentations.rotate90()).build();
    }

    private SegmentationDataset openFolder() throws FileNotFoundException {
        if (!Files.isDirectory(folder)) {
            throw new FileNotFoundException("data folder " + folder + (Files.exists(folder) ? " is not a folder"
                    : " does not exist"));
        }
        FolderDataset d = FolderDataset.open(folder, new FolderDataset.Config(channels, classes, ignoreLabel));
        return scanData ? d.scan() : d;
    }

    private static UNetConfig checkpointConfig(Path given) throws IOException {
        Path checkpoint = TrainingRuns.checkpointFolder(given);
        return UNet.configFromJson(ModelFiles.loadModel(checkpoint).config(), checkpoint.resolve(ModelFiles.CONFIG));
    }

    /** The dataset with its images normalised; itself when the normalisation is the identity. */
    private static SegmentationDataset normalized(SegmentationDataset d, InputNormalization norm) {
        if (norm.isUnit()) {
            return d;
        }
        return new SegmentationDataset() {
            @Override
            public int size() {
                return d.size();
            }

            @Override
            public Sample get(int index) {
                Sample s = d.get(index);
                PlanarF32 image = norm.apply(s.image());
                return new Sample(image, s.target(), s.instances());
            }

            @Override
            public int numClasses() {
                return d.numClasses();
            }

            @Override
            public int channels() {
                return d.channels();
            }

            @Override
            public IgnoreLabel ignoreLabel() {
                return d.ignoreLabel();
            }
        };
    }
}
