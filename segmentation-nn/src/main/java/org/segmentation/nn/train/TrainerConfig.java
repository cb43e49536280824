package org.segmentation.nn.train;

import java.nio.file.Path;
import java.util.Map;
import org.segmentation.nn.loss.Loss;
import org.segmentation.nn.model.SegmentationModel;
import org.segmentation.nn.optim.LearningRateSchedule;
import org.segmentation.nn.optim.Optimizer;

/**
 * Everything a {@link Trainer} run needs, validated on construction. Build one with {@link #builder}, which
 * starts from the defaults listed there; every value is checked by the compact constructor and a bad one is
 * rejected with an {@link IllegalArgumentException} naming it.
 *
 * @param trainable the network and its loss ({@link DenseTrainable} for a per-pixel model, whose loss's targets are
 *     the batch labels (N,H,W) for a K-class model or the labels as 0/1 probabilities (N,1,H,W) for a one-channel
 *     model; {@link MaskRCNNTrainable}); its parameters are the optimizer's
 * @param optimizer steps over {@code trainable.parameters()}: one built over another buffer would train nothing,
 *     so it is refused
 * @param schedule learning rate as a function of the epoch or the step index ({@link #scheduleUnit}), starting
 *     at 0; {@code null} keeps the optimizer's rate. Warm-up: {@link LearningRateSchedule#linearWarmup}.
 * @param scheduleUnit whether {@code schedule} is evaluated once per epoch (at its start) or before every step
 * @param epochs number of epochs, at least 1
 * @param maxSteps stop after this many optimizer steps in total even within an epoch; 0 for no limit
 * @param batchSize training samples per step, at least 1
 * @param dropLast whether an epoch drops its last batch when it is smaller than {@code batchSize} (keeps batch
 *     statistics comparable between steps)
 * @param shuffle whether each epoch visits the training samples in a new seeded order; false visits them in
 *     dataset order, so that a view of the data in a given order ({@link org.segmentation.nn.data.SubsetDataset})
 *     is trained on in exactly that order
 * @param validateEvery how often the validation set is evaluated (mIoU, Dice, loss), in steps or epochs;
 *     {@link Interval#never()} for never
 * @param validationBatchSize validation samples per forward pass, at least 1; the samples of one batch must have
 *     one size
 * @param monitor the validation metric that picks the best checkpoint and drives early stopping
 * @param patience stop when this many validations in a row have not improved {@code monitor}; 0 disables early
 *     stopping
 * @param checkpointDir directory of the checkpoints {@code last/} and {@code best/} and of the history files, or
 *     {@code null} to save nothing
 * @param checkpointEveryEpochs save {@code last/} after every this many epochs (and always when training ends),
 *     at least 1
 * @param modelConfig the fields of the checkpoints' {@code config.json} (architecture, and for a task-level
 *     model its input normalisation and class names): only the model knows them; values are strings, numbers,
 *     booleans, lists and maps of those. Copied; required when {@code checkpointDir} is set
 * @param clipNorm clip the global gradient L2 norm to this value before each step; 0 for no clipping
 * @param seed the seed of the data order, the augmentations and the dropout masks
 * @param loaderThreads background threads loading and augmenting batches; 0 loads on the training thread
 * @param prefetchBatches batches prepared ahead by the loader threads, at least 1
 */
public record TrainerConfig(Trainable trainable, Optimizer optimizer,
        LearningRateSchedule schedule, ScheduleUnit scheduleUnit, int epochs, long maxSteps, int batchSize,
        boolean dropLast, boolean shuffle, Interval validateEvery, int validationBatchSize, Monitor monitor, int patience,
        Path checkpointDir, int checkpointEveryEpochs, Map<String, Object> modelConfig, double clipNorm,
        long seed, int loaderThreads, int prefetchBatches) {

    /** When a {@link LearningRateSchedule} is evaluated. */
    public enum ScheduleUnit {
        /** {@code schedule.rate(epoch)} at the start of every epoch, as PyTorch's schedulers stepped per epoch. */
        EPOCH,
        /** {@code schedule.rate(step)} before every optimizer step (step counted from 0). */
        STEP
    }

    /**
     * A period in steps or epochs.
     *
     * @param every the period, at least 1; 0 only in {@link #never()}
     * @param unit what is counted
     */
    public record Interval(long every, Unit unit) {
        /** What an interval counts. */
        public enum Unit {
            STEPS, EPOCHS
        }

        /** @throws IllegalArgumentException if {@code every} is negative or the unit is missing */
        public Interval {
            if (every < 0 || unit == null) {
                throw new IllegalArgumentException("an interval needs every >= 0 and a unit, got " + every + " "
                        + unit);
            }
        }

        public static Interval steps(long every) {
            requirePositive(every);
            return new Interval(every, Unit.STEPS);
        }

        public static Interval epochs(long every) {
            requirePositive(every);
            return new Interval(every, Unit.EPOCHS);
        }

        /** No period: the event never happens. */
        public static Interval never() {
            return new Interval(0, Unit.EPOCHS);
        }

        public boolean isNever() {
            return every == 0;
        }

        /** Whether the period ends after {@code count} completed units of {@code u}. */
        boolean endsAt(long count, Unit u) {
            return every > 0 && unit == u && count > 0 && count % every == 0;
        }

        private static void requirePositive(long every) {
            if (every < 1) {
                throw new IllegalArgumentException("an interval must be at least 1, got " + every);
            }
        }
    }

    /** A validation metric. */
    public enum Metric {
        /** Mean IoU over the classes present ({@link org.segmentation.core.metrics.ConfusionMatrix#meanIoU}). */
        MEAN_IOU,
        /** Mean Dice over the classes present. */
        MEAN_DICE,
        /** Correctly classified pixels over counted pixels. */
        PIXEL_ACCURACY,
        /** The training loss on the validation set (evaluation mode), averaged over pixels-weighted batches. */
        LOSS,
        /** COCO mask AP@[.5:.95] of an instance model ({@link MaskRCNNTrainable}). */
        MASK_AP,
        /** COCO mask AP at IoU 0.5 of an instance model. */
        MASK_AP50
    }

    /** Whether a larger or a smaller metric is better. */
    public enum Mode {
        MAX, MIN
    }

    /**
     * Which validation result is the best so far.
     *
     * @param metric the metric compared
     * @param mode whether larger or smaller is better
     * @param minDelta an improvement must exceed the best by more than this, {@code >= 0} (PyTorch Lightning's
     *     EarlyStopping convention)
     */
    public record Monitor(Metric metric, Mode mode, double minDelta) {
        /** @throws IllegalArgumentException if a field is missing or {@code minDelta} is negative or not finite */
        public Monitor {
            if (metric == null || mode == null || !(minDelta >= 0) || Double.isInfinite(minDelta)) {
                throw new IllegalArgumentException("a monitor needs a metric, a mode and a finite minDelta >= 0, got "
                        + metric + ", " + mode + ", " + minDelta);
            }
        }

        /** Mean IoU, larger is better, any improvement counts. */
        public static Monitor meanIoU() {
            return new Monitor(Metric.MEAN_IOU, Mode.MAX, 0);
        }

        /** COCO mask AP@[.5:.95], larger is better, any improvement counts. */
        public static Monitor maskAp() {
            return new Monitor(Metric.MASK_AP, Mode.MAX, 0);
        }

        /** Whether {@code value} improves on {@code best} (NaN never does; anything improves on NaN). */
        public boolean improves(double value, double best) {
            if (Double.isNaN(value)) {
                return false;
            }
            if (Double.isNaN(best)) {
                return true;
            }
            return mode == Mode.MAX ? value > best + minDelta : value < best - minDelta;
        }
    }

    /** @throws IllegalArgumentException naming the first value out of range */
    public TrainerConfig {
        if (trainable == null || optimizer == null) {
            throw new IllegalArgumentException("the trainable model and the optimizer are required, got "
                    + trainable + ", optimizer=" + optimizer);
        }
        if (optimizer.parameters() != trainable.parameters()) {
            throw new IllegalArgumentException("the optimizer updates another parameter buffer than the model's: "
                    + "build it on model.parameters() (it would train nothing)");
        }
        if (scheduleUnit == null) {
            throw new IllegalArgumentException("scheduleUnit is required");
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        }
        if (maxSteps < 0) {
            throw new IllegalArgumentException("maxSteps must be >= 0 (0 for no limit), got " + maxSteps);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        if (validateEvery == null) {
            throw new IllegalArgumentException("validateEvery is required (Interval.never() for no validation)");
        }
        if (validationBatchSize < 1) {
            throw new IllegalArgumentException("validationBatchSize must be at least 1, got " + validationBatchSize);
        }
        if (monitor == null) {
            throw new IllegalArgumentException("monitor is required");
        }
        if (patience < 0) {
            throw new IllegalArgumentException("patience must be >= 0 (0 disables early stopping), got " + patience);
        }
        if (patience > 0 && validateEvery.isNever()) {
            throw new IllegalArgumentException("early stopping (patience " + patience + ") needs validation; "
                    + "validateEvery is never");
        }
        if (checkpointEveryEpochs < 1) {
            throw new IllegalArgumentException("checkpointEveryEpochs must be at least 1, got "
                    + checkpointEveryEpochs);
        }
        if (checkpointDir != null && modelConfig == null) {
            throw new IllegalArgumentException("checkpointDir " + checkpointDir + " needs the modelConfig fields "
                    + "for config.json");
        }
        modelConfig = modelConfig == null ? null : Map.copyOf(modelConfig);
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("clipNorm must be finite and >= 0 (0 for no clipping), got "
                    + clipNorm);
        }
        if (loaderThreads < 0) {
            throw new IllegalArgumentException("loaderThreads must be >= 0, got " + loaderThreads);
        }
        if (prefetchBatches < 1) {
            throw new IllegalArgumentException("prefetchBatches must be at least 1, got " + prefetchBatches);
        }
    }

    /**
     * A builder with the defaults: no schedule (constant rate), {@link ScheduleUnit#EPOCH}, 10 epochs, no step
     * limit, batch size 8, dropLast true, shuffled, validation every epoch with batch size 1 (any image sizes), monitor
     * {@link Monitor#meanIoU()}, no early stopping (patience 0), no checkpoints, checkpoint every epoch when a
     * directory is set, no clipping, seed 0, 1 loader thread, 2 batches prefetched.
     */
    public static Builder builder(SegmentationModel model, Loss loss, Optimizer optimizer) {
        if (model == null || loss == null) {
            throw new IllegalArgumentException("model, loss and optimizer are required, got model=" + model
                    + ", loss=" + loss + ", optimizer=" + optimizer);
        }
        return new Builder(new DenseTrainable(model, loss), optimizer);
    }

    /** A builder with the defaults of {@link #builder(SegmentationModel, Loss, Optimizer)} for any trainable. */
    public static Builder builder(Trainable trainable, Optimizer optimizer) {
        return new Builder(trainable, optimizer);
    }

    /** Fills a {@link TrainerConfig}; {@link #build()} validates. */
    public static final class Builder {
        private final Trainable trainable;
        private final Optimizer optimizer;
        private LearningRateSchedule schedule;
        private ScheduleUnit scheduleUnit = ScheduleUnit.EPOCH;
        private int epochs = 10;
        private long maxSteps;
        private int batchSize = 8;
        private boolean dropLast = true;
        private boolean shuffle = true;
        private Interval validateEvery = Interval.epochs(1);
        private int validationBatchSize = 1;
        private Monitor monitor = Monitor.meanIoU();
        private int patience;
        private Path checkpointDir;
        private int checkpointEveryEpochs = 1;
        private Map<String, Object> modelConfig;
        private double clipNorm;
        private long seed;
        private int loaderThreads = 1;
        private int prefetchBatches = 2;

        private Builder(Trainable trainable, Optimizer optimizer) {
            this.trainable = trainable;
            this.optimizer = optimizer;
        }

        public Builder schedule(LearningRateSchedule schedule, ScheduleUnit unit) {
            this.schedule = schedule;
            this.scheduleUnit = unit;
            return this;
        }

        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        public Builder maxSteps(long maxSteps) {
            this.maxSteps = maxSteps;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        public Builder validateEvery(Interval validateEvery) {
            this.validateEvery = validateEvery;
            return this;
        }

        public Builder validationBatchSize(int validationBatchSize) {
            this.validationBatchSize = validationBatchSize;
            return this;
        }

        public Builder monitor(Monitor monitor) {
            this.monitor = monitor;
            return this;
        }

        /** Early stopping after {@code patience} validations without improvement of the monitor. */
        public Builder earlyStopping(Monitor monitor, int patience) {
            this.monitor = monitor;
            this.patience = patience;
            return this;
        }

        /**
         * Checkpoints into {@code dir} every {@code everyEpochs} epochs, with {@code modelConfig} as the fields of
         * their {@code config.json} (e.g. {@code UNet.configFields(config)}).
         */
        public Builder checkpoints(Path dir, int everyEpochs, Map<String, Object> modelConfig) {
            this.checkpointDir = dir;
            this.checkpointEveryEpochs = everyEpochs;
            this.modelConfig = modelConfig;
            return this;
        }

        public Builder clipNorm(double clipNorm) {
            this.clipNorm = clipNorm;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder loader(int threads, int prefetchBatches) {
            this.loaderThreads = threads;
            this.prefetchBatches = prefetchBatches;
            return this;
        }

        /** @throws IllegalArgumentException naming the first value out of range */
        public TrainerConfig build() {
            return new TrainerConfig(trainable, optimizer, schedule, scheduleUnit, epochs, maxSteps, batchSize,
                    dropLast, shuffle, validateEvery, validationBatchSize, monitor, patience, checkpointDir,
                    checkpointEveryEpochs, modelConfig, clipNorm, seed, loaderThreads, prefetchBatches);
        }
    }
}
