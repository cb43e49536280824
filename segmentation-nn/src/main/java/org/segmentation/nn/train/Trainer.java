package org.segmentation.nn.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.segmentation.nn.Memory;
import org.segmentation.nn.data.Augmentation;
import org.segmentation.nn.data.Batch;
import org.segmentation.nn.data.BatchLoader;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.io.Checkpoint;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.SavedModel;
import org.segmentation.nn.io.TrainingState;
import org.segmentation.nn.loss.Loss;
import org.segmentation.nn.model.ModelWeights;
import org.segmentation.nn.model.SegmentationModel;
import org.segmentation.nn.optim.GradientClipping;
import org.segmentation.nn.optim.Optimizer;
import org.segmentation.nn.param.ParameterBuffer;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.train.TrainerConfig.Interval;
import org.segmentation.nn.train.TrainerConfig.ScheduleUnit;
import org.segmentation.nn.train.TrainingListener.CheckpointKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a {@link Trainable} as a {@link TrainerConfig} describes: mini-batches from a seeded
 * {@link BatchLoader}, one optimizer step per batch, validation in evaluation mode (mIoU, Dice, pixel accuracy and
 * loss of a per-pixel {@link DenseTrainable}; COCO mask AP of a {@link MaskRCNNTrainable}), the best and the latest
 * checkpoint, early stopping, and progress to {@link TrainingListener}s.
 *
 * <p><b>Counting.</b> Step {@code n} is the n-th optimizer step (from 1); "at step n" means n steps are done.
 * Epochs are indexed from 0; a checkpoint stores the number of completed epochs and steps. A per-step schedule
 * is evaluated at the 0-based step index, {@code rate(n - 1)} for step n.
 *
 * <p><b>Reproducibility.</b> Everything random is a function of the seed and the position: the batch order and
 * augmentation of epoch e come from the loader's (seed, e, sample) derivation, and step n's own randomness (a
 * U-Net's dropout masks, a Mask R-CNN's sampled anchors and proposals) from a seed derived from (seed, n)
 * ({@link Trainable#trainStep}). A run therefore depends only on the
 * seed, the initial weights and the data, and {@link #resume} from a checkpoint written at any step continues
 * exactly as the uninterrupted run: on the CPU backend with one ND4J/OpenMP thread (the test configuration,
 * {@code OMP_NUM_THREADS=1}) and the same number of kernel threads ({@link org.segmentation.nn.ParallelRanges})
 * the weights are bit-identical, which the tests check. The kernel thread count is part of the computation: the
 * convolutions' weight gradients add one partial sum per thread, so runs on different core counts differ in the
 * last bits. Resuming within an epoch re-reads, and discards, the batches of that epoch already trained on.
 *
 * <p><b>Divergence.</b> A NaN or infinite loss or gradient norm throws a {@link TrainingDivergedException} naming
 * the step before the optimizer runs, so no update is ever made from it.
 *
 * <p><b>Checkpoints</b> ({@code checkpointDir} set): {@code last/} after every {@code checkpointEveryEpochs}
 * epochs and when the run ends, {@code best/} whenever the monitored metric improves, both complete checkpoints
 * ({@link ModelFiles#saveCheckpoint}, written atomically); the history files of {@link TrainingHistory} beside
 * them.
 *
 * <p>Not thread-safe: one {@code fit} at a time, listeners run on its thread.
 */
public final class Trainer {
    /** Subdirectory of the latest checkpoint. */
    public static final String LAST = "last";
    /** Subdirectory of the best checkpoint. */
    public static final String BEST = "best";

    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainerConfig config;
    private final Trainable trainable;
    private final Optimizer optimizer;
    private final ParameterBuffer params;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private TrainingHistory history = new TrainingHistory();

    // position: completed epochs and steps
    private int epoch;
    private long step;
    /** Batches per epoch of the run a checkpoint came from, -1 when not resumed. */
    private long resumedBatchesPerEpoch = -1;
    /** Batches per epoch of the current fit. */
    private long batchesPerEpoch;
    // monitor state
    private double best = Double.NaN;
    private long bestStep = -1;
    private int validationsSinceBest;
    private ValidationResult lastValidation;

    /** A trainer at step 0; listeners may be added later. */
    public Trainer(TrainerConfig config, TrainingListener... listeners) {
        this.config = config;
        this.trainable = config.trainable();
        this.optimizer = config.optimizer();
        this.params = trainable.parameters();
        this.listeners.addAll(List.of(listeners));
    }

    public TrainerConfig config() {
        return config;
    }

    public void addListener(TrainingListener listener) {
        listeners.add(listener);
    }

    /** Completed optimizer steps. */
    public long step() {
        return step;
    }

    /** Completed epochs. */
    public int epoch() {
        return epoch;
    }

    /** What has been recorded so far (continued from the checkpoint directory's history after a resume). */
    public TrainingHistory history() {
        return history;
    }

    /**
     * Trains from the current position (step 0, or where {@link #resume} left it) until {@code epochs} or
     * {@code maxSteps} is reached or early stopping ends the run.
     *
     * @param train the training set; its samples, after {@code augmentation}, must share one size per batch (for
     *     a per-pixel model a multiple of its {@link SegmentationModel#sizeMultiple()})
     * @param augmentation applied to each training sample with its seeded generator, or {@code null}
     * @param validation the validation set, or {@code null} when {@code validateEvery} is never
     * @throws IllegalArgumentException if the datasets do not fit the model or the configuration
     * @throws TrainingDivergedException naming the step whose loss or gradient was not finite
     * @throws IOException if a checkpoint or history file cannot be written
     */
    public TrainingResult fit(SegmentationDataset train, Augmentation augmentation, SegmentationDataset validation)
            throws IOException {
        trainable.checkDataset("training set", train);
        if (validation != null) {
            trainable.checkDataset("validation set", validation);
        } else if (!config.validateEvery().isNever()) {
            throw new IllegalArgumentException("validateEvery is " + config.validateEvery()
                    + " but no validation set was given");
        }
        BatchLoader.Config lc = new BatchLoader.Config(config.batchSize(), config.shuffle(), config.dropLast(),
                config.seed(), config.loaderThreads(), config.prefetchBatches());
        boolean stop = config.patience() > 0 && validationsSinceBest >= config.patience();
        try (BatchLoader loader = new BatchLoader(train, augmentation, lc);
                BatchLoader valLoader = validation == null ? null : new BatchLoader(validation, null,
                        new BatchLoader.Config(config.validationBatchSize(), false, false, config.seed(), 0, 1))) {
            int bpe = loader.batchesPerEpoch();
            if (bpe == 0) {
                throw new IllegalArgumentException("the training set of " + train.size() + " samples gives no "
                        + "batch of " + config.batchSize() + " with dropLast; lower the batch size");
            }
            if (resumedBatchesPerEpoch >= 0 && resumedBatchesPerEpoch != bpe) {
                throw new IllegalArgumentException("the checkpoint was trained with " + resumedBatchesPerEpoch
                        + " batches per epoch, this training set and batch size give " + bpe
                        + "; resuming would not continue the same run");
            }
            batchesPerEpoch = bpe;
            long total = (long) config.epochs() * bpe;
            if (config.maxSteps() > 0) {
                total = Math.min(total, config.maxSteps());
            }
            long start = System.nanoTime();
            long stepsThisRun = 0;
            trainable.setTraining(true);
            while (!stop && epoch < config.epochs() && step < total) {
                int e = epoch;
                if (config.schedule() != null && config.scheduleUnit() == ScheduleUnit.EPOCH) {
                    optimizer.setLearningRate(config.schedule().rate(e));
                }
                long skip = step - (long) e * bpe;
                double lossSum = 0;
                int lossCount = 0;
                Iterator<Batch> it = loader.epoch(e);
                for (int b = 0; it.hasNext() && step < total; b++) {
                    long t0 = System.nanoTime();
                    Batch batch = it.next();
                    if (b < skip) {
                        continue;
                    }
                    if (config.schedule() != null && config.scheduleUnit() == ScheduleUnit.STEP) {
                        optimizer.setLearningRate(config.schedule().rate(Math.toIntExact(step)));
                    }
                    double lr = optimizer.learningRate();
                    double[] lossAndNorm = trainStep(batch, step + 1);
                    step++;
                    stepsThisRun++;
                    lossSum += lossAndNorm[0];
                    lossCount++;
                    history.addStep(step, e, lossAndNorm[0], lr);
                    long now = System.nanoTime();
                    TrainingListener.StepEnd se = new TrainingListener.StepEnd(step, total, e, b, bpe,
                            lossAndNorm[0], lr, lossAndNorm[1], now - t0, now - start, stepsThisRun);
                    listeners.forEach(l -> l.onStepEnd(se));
                    if (config.validateEvery().endsAt(step, Interval.Unit.STEPS)) {
                        stop = validate(valLoader, e);
                        if (stop) {
                            break;
                        }
                    }
                }
                boolean epochDone = step == (long) (e + 1) * bpe;
                if (epochDone) {
                    epoch = e + 1;
                    TrainingListener.EpochEnd ee = new TrainingListener.EpochEnd(e, step,
                            lossCount == 0 ? Double.NaN : lossSum / lossCount, System.nanoTime() - start);
                    listeners.forEach(l -> l.onEpochEnd(ee));
                    if (!stop && config.validateEvery().endsAt(epoch, Interval.Unit.EPOCHS)) {
                        stop = validate(valLoader, epoch);
                    }
                }
                boolean ending = stop || !epochDone || epoch >= config.epochs() || step >= total;
                if (config.checkpointDir() != null
                        && (ending || epoch % config.checkpointEveryEpochs() == 0)) {
                    save(CheckpointKind.LAST);
                }
            }
        } finally {
            trainable.setTraining(true);
        }
        return new TrainingResult(step, epoch, stop, best, bestStep, lastValidation, history);
    }

    /**
     * Restores a checkpoint written by this trainer (or one with the same configuration): the model's weights
     * and buffers, the optimizer's state, the position (epoch, step), the monitor's state for early stopping and
     * the best checkpoint, and the history from the checkpoint directory's parent (cut at the checkpoint's step).
     * The next {@link #fit} continues exactly as the run that wrote it would have.
     *
     * @throws ModelFormatException if the checkpoint is malformed or does not fit the model or the optimizer
     *     (the weights are loaded before the optimizer state, each all or nothing)
     * @throws IllegalArgumentException if the checkpoint was written with another seed
     */
    public void resume(Path checkpointDir) throws IOException {
        Checkpoint cp = ModelFiles.loadCheckpoint(checkpointDir);
        TrainingState s = cp.state();
        Path stateFile = checkpointDir.resolve(ModelFiles.TRAINING_STATE);
        long seed = seedOf(stateFile, s);
        if (seed != config.seed()) {
            throw new IllegalArgumentException("checkpoint " + checkpointDir + " was trained with seed " + seed
                    + ", this trainer has seed " + config.seed() + "; resuming would not continue the same run");
        }
        ObjectNode extra = s.extra();
        int bpe = checkedPosition(stateFile, s);
        ModelWeights.load(ModelWeights.named(params, trainable.buffers()), cp.model().weights());
        optimizer.loadState(cp.optimizer());
        epoch = (int) s.epoch();
        step = s.step();
        resumedBatchesPerEpoch = bpe;
        best = extra.has("best") ? extra.get("best").asDouble() : Double.NaN;
        bestStep = extra.path("best_step").asLong(-1);
        validationsSinceBest = extra.path("validations_since_best").asInt(0);
        Path historyFile = checkpointDir.toAbsolutePath().getParent().resolve(TrainingHistory.JSON_FILE);
        history = Files.exists(historyFile) ? TrainingHistory.read(historyFile) : new TrainingHistory();
        history.truncateAfter(step);
        List<ValidationResult> vs = history.validations();
        lastValidation = vs.isEmpty() ? null : vs.get(vs.size() - 1);
        LOG.info("resumed from {} at epoch {}, step {}", checkpointDir, epoch, step);
    }

    /**
     * The seed a checkpoint's {@code rng_state} records (a decimal {@code long}).
     *
     * @param stateFile the checkpoint's {@value ModelFiles#TRAINING_STATE}, named in the error
     * @throws ModelFormatException if the state is not a seed
     */
    public static long seedOf(Path stateFile, TrainingState s) throws ModelFormatException {
        try {
            return Long.parseLong(s.rngState());
        } catch (NumberFormatException e) {
            throw new ModelFormatException(stateFile, null, "rng_state '" + s.rngState() + "' is not a seed");
        }
    }

    /**
     * The field {@code key} of a checkpoint's {@code extra}, a positive int.
     *
     * @param stateFile the checkpoint's {@value ModelFiles#TRAINING_STATE}, named in the error
     * @throws ModelFormatException naming the file and {@code extra.key} if it is missing or not a positive int
     */
    public static int positiveInt(Path stateFile, ObjectNode extra, String key) throws ModelFormatException {
        JsonNode v = extra.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1) {
            throw new ModelFormatException(stateFile, null, "extra." + key + " is "
                    + (v == null ? "missing" : v.toString()) + ", not a positive integer");
        }
        return v.intValue();
    }

    /**
     * The batches per epoch a checkpoint records ({@code extra.batches_per_epoch}, a positive int), after checking
     * that its position is one a trainer of that many batches per epoch can have written: {@code epoch} complete
     * epochs and part of the next, {@code epoch*bpe <= step < (epoch+1)*bpe}, and, where the extra fields are
     * present, a best step no later than the step, a non-negative count of validations since the best and a
     * finite best score. A hand-edited step (10^18 steps "trained" in no time) or epoch is refused instead of
     * ending the run at once.
     *
     * @param stateFile the checkpoint's {@value ModelFiles#TRAINING_STATE}, named in the error
     * @throws ModelFormatException naming the file and the field that is out of range or of the wrong type
     */
    public static int checkedPosition(Path stateFile, TrainingState s) throws ModelFormatException {
        ObjectNode extra = s.extra();
        int bpe = positiveInt(stateFile, extra, "batches_per_epoch");
        long epoch = s.epoch();
        long step = s.step();
        if (epoch > Integer.MAX_VALUE || epoch > Long.MAX_VALUE / bpe - 1) {
            throw new ModelFormatException(stateFile, null, "epoch " + epoch + " is out of range");
        }
        if (step < epoch * bpe || step >= (epoch + 1) * bpe) {
            throw new ModelFormatException(stateFile, null, "step " + step + " does not lie in epoch " + epoch
                    + " of " + bpe + " batches (steps " + epoch * bpe + ".." + ((epoch + 1) * bpe - 1)
                    + "); the file was not written by this trainer or was edited");
        }
        JsonNode bestStep = extra.get("best_step");
        if (bestStep != null && (!bestStep.isIntegralNumber() || !bestStep.canConvertToLong()
                || bestStep.longValue() < -1 || bestStep.longValue() > step)) {
            throw new ModelFormatException(stateFile, null, "extra.best_step " + bestStep + " is not in -1.." + step);
        }
        JsonNode since = extra.get("validations_since_best");
        if (since != null && (!since.isIntegralNumber() || !since.canConvertToInt() || since.intValue() < 0)) {
            throw new ModelFormatException(stateFile, null, "extra.validations_since_best " + since
                    + " is not a non-negative integer");
        }
        JsonNode best = extra.get("best");
        if (best != null && (!best.isNumber() || !Double.isFinite(best.doubleValue()))) {
            throw new ModelFormatException(stateFile, null, "extra.best " + best + " is not a finite number");
        }
        return bpe;
    }

    /**
     * The metrics of a per-pixel model on {@code data} in evaluation mode (the model is left in evaluation mode):
     * prediction by argmax over the K channels, or logit &gt; 0 for K = 1 ({@link Predictor#labelsOfLogits}),
     * against the labels, in a {@link org.segmentation.core.metrics.ConfusionMatrix} that skips the dataset's
     * ignore label; what {@link DenseTrainable#validate} reports during training.
     *
     * @param loss the loss to report, with the training loss's target convention (see {@link DenseTrainable})
     * @param batchSize samples per forward pass; samples of one batch must have one size
     * @param step recorded in the result
     * @param epoch recorded in the result
     */
    public static ValidationResult evaluate(SegmentationModel model, Loss loss, SegmentationDataset data,
            int batchSize, long step, long epoch) {
        try (BatchLoader loader = new BatchLoader(data, null,
                new BatchLoader.Config(batchSize, false, false, 0, 0, 1))) {
            return DenseTrainable.evaluate(model, loss, loader, step, epoch);
        }
    }

    /** Validates, records, saves the best checkpoint; returns whether early stopping ends the run. */
    private boolean validate(BatchLoader valLoader, long epochForRecord) throws IOException {
        ValidationResult r;
        try {
            r = trainable.validate(valLoader, step, epochForRecord);
        } finally {
            trainable.setTraining(true);
        }
        lastValidation = r;
        history.addValidation(r);
        listeners.forEach(l -> l.onValidation(r));
        double v = r.get(config.monitor().metric());
        if (config.monitor().improves(v, best)) {
            best = v;
            bestStep = step;
            validationsSinceBest = 0;
            if (config.checkpointDir() != null) {
                save(CheckpointKind.BEST);
            }
        } else {
            validationsSinceBest++;
        }
        if (config.patience() > 0 && validationsSinceBest >= config.patience()) {
            TrainingListener.EarlyStop es = new TrainingListener.EarlyStop(step, epochForRecord, best, bestStep,
                    validationsSinceBest);
            listeners.forEach(l -> l.onEarlyStop(es));
            return true;
        }
        return false;
    }

    /**
     * One optimizer step on {@code batch}.
     *
     * @param number the step's number (from 1), for the divergence message
     * @return {loss, gradient norm before clipping}
     */
    private double[] trainStep(Batch batch, long number) {
        params.zeroGradients();
        double loss = trainable.trainStep(batch, stepSeed(config.seed(), number));
        if (!Double.isFinite(loss)) {
            throw new TrainingDivergedException(number, "loss is " + loss + " at step " + number + " (epoch "
                    + batch.epoch + ", samples " + Arrays.toString(batch.indices) + ")", null);
        }
        try (MemoryWorkspace ws = Memory.scratch()) {
            double norm = config.clipNorm() > 0 ? GradientClipping.clipByNorm(params, config.clipNorm())
                    : params.gradients().norm2Number().doubleValue();
            if (!Double.isFinite(norm)) {
                throw new TrainingDivergedException(number, "gradient norm is " + norm + " at step " + number
                        + " although the loss " + loss + " is finite; refusing to train on it (epoch "
                        + batch.epoch + ", samples " + Arrays.toString(batch.indices) + ")", null);
            }
            optimizer.step();
            return new double[] {loss, norm};
        }
    }

    /** The dropout seed of step {@code number}: SplitMix64's finaliser over (seed, number). */
    static long stepSeed(long seed, long number) {
        long z = seed + number * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void save(CheckpointKind kind) throws IOException {
        Files.createDirectories(config.checkpointDir());
        Path dir = config.checkpointDir().resolve(kind == CheckpointKind.LAST ? LAST : BEST);
        ObjectNode extra = JsonNodeFactory.instance.objectNode();
        extra.put("batches_per_epoch", batchesPerEpoch);
        if (!Double.isNaN(best)) {
            extra.put("best", best);
        }
        extra.put("best_step", bestStep);
        extra.put("validations_since_best", validationsSinceBest);
        extra.put("metric", config.monitor().metric().name());
        TrainingState state = new TrainingState(epoch, step, Long.toString(config.seed()), extra);
        SavedModel saved = new SavedModel(JSON.valueToTree(config.modelConfig()),
                ModelWeights.toTensors(ModelWeights.named(params, trainable.buffers())));
        ModelFiles.saveCheckpoint(dir, new Checkpoint(saved, optimizer.state(), state));
        history.write(config.checkpointDir());
        TrainingListener.CheckpointSaved cs = new TrainingListener.CheckpointSaved(kind, dir, epoch, step);
        listeners.forEach(l -> l.onCheckpoint(cs));
    }

}
