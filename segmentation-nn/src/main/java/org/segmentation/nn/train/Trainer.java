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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.metrics.ConfusionMatrix;
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
import org.segmentation.nn.loss.LossResult;
import org.segmentation.nn.model.ModelWeights;
import org.segmentation.nn.model.SegmentationModel;
import org.segmentation.nn.optim.GradientClipping;
import org.segmentation.nn.optim.Optimizer;
import org.segmentation.nn.param.ParameterBuffer;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;
import org.segmentation.nn.train.TrainerConfig.Interval;
import org.segmentation.nn.train.TrainerConfig.ScheduleUnit;
import org.segmentation.nn.train.TrainingListener.CheckpointKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a {@link SegmentationModel} as a {@link TrainerConfig} describes: mini-batches from a seeded
 * {@link BatchLoader}, one optimizer step per batch, validation (mIoU, Dice,
 * pixel accuracy, loss) in evaluation mode, the best and the latest checkpoint, early stopping, and progress to
 * {@link TrainingListener}s.
 *
 * <p><b>Counting.</b> Step {@code n} is the n-th optimizer step (from 1); "at step n" means n steps are done.
 * Epochs are indexed from 0; a checkpoint stores the number of completed epochs and steps. A per-step schedule
 * is evaluated at the 0-based step index, {@code rate(n - 1)} for step n.
 *
 * <p><b>Reproducibility.</b> Everything random is a function of the seed and the position: the batch order and
 * augmentation of epoch e come from the loader's (seed, e, sample) derivation, and before step n the model's
 * dropout is reseeded ({@link SegmentationModel#reseed}) from (seed, n). A run therefore depends only on the
 * seed, the initial weights and the data, and {@link #resume} from a checkpoint written at any step continues
 * exactly as the uninterrupted run: on the CPU backend with one ND4J/OpenMP thread (the test configuration,
 * {@code OMP_NUM_THREADS=1}) the weights are bit-identical, which the tests check. With more threads it has not
 * been tested; a reduction split differently between threads may then differ in the last bits. Resuming within an epoch re-reads, and discards, the batches of that
 * epoch already trained on.
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
    private final SegmentationModel model;
    private final Optimizer optimizer;
    private final ParameterBuffer params;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private TrainingHistory history = new TrainingHistory();
    private final Inputs inputs = new Inputs();

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
        this.model = config.model();
        this.optimizer = config.optimizer();
        this.params = model.parameters();
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
     * @param train the training set; its samples, after {@code augmentation}, must share one size per batch,
     *     a multiple of the model's {@link SegmentationModel#sizeMultiple()}
     * @param augmentation applied to each training sample with its seeded generator, or {@code null}
     * @param validation the validation set, or {@code null} when {@code validateEvery} is never
     * @throws IllegalArgumentException if the datasets do not fit the model or the configuration
     * @throws TrainingDivergedException naming the step whose loss or gradient was not finite
     * @throws IOException if a checkpoint or history file cannot be written
     */
    public TrainingResult fit(SegmentationDataset train, Augmentation augmentation, SegmentationDataset validation)
            throws IOException {
        checkDataset("training set", train);
        if (validation != null) {
            checkDataset("validation set", validation);
        } else if (!config.validateEvery().isNever()) {
            throw new IllegalArgumentException("validateEvery is " + config.validateEvery()
                    + " but no validation set was given");
        }
        BatchLoader.Config lc = new BatchLoader.Config(config.batchSize(), true, config.dropLast(), config.seed(),
                config.loaderThreads(), config.prefetchBatches());
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
            model.setTraining(true);
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
            model.setTraining(true);
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
        long seed;
        try {
            seed = Long.parseLong(s.rngState());
        } catch (NumberFormatException e) {
            throw new ModelFormatException(stateFile, null, "rng_state '" + s.rngState() + "' is not a seed");
        }
        if (seed != config.seed()) {
            throw new IllegalArgumentException("checkpoint " + checkpointDir + " was trained with seed " + seed
                    + ", this trainer has seed " + config.seed() + "; resuming would not continue the same run");
        }
        ObjectNode extra = s.extra();
        JsonNode bpe = extra.get("batches_per_epoch");
        if (bpe == null || !bpe.isIntegralNumber() || !bpe.canConvertToInt() || bpe.intValue() < 1) {
            throw new ModelFormatException(stateFile, null, "extra.batches_per_epoch is "
                    + (bpe == null ? "missing" : bpe.toString()) + ", not a positive integer");
        }
        checkPosition(stateFile, s.epoch(), s.step(), bpe.intValue(), extra);
        ModelWeights.load(model, cp.model().weights());
        optimizer.loadState(cp.optimizer());
        epoch = (int) s.epoch();
        step = s.step();
        resumedBatchesPerEpoch = bpe.longValue();
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
     * A checkpoint's position must be one this trainer can have written: {@code epoch} complete epochs and part
     * of the next, {@code epoch*bpe <= step < (epoch+1)*bpe}, and a best step no later than the step. A
     * hand-edited step (10^18 steps "trained" in no time) or epoch is refused instead of ending the run at once.
     */
    private static void checkPosition(Path stateFile, long epoch, long step, int bpe, ObjectNode extra)
            throws ModelFormatException {
        if (epoch > Integer.MAX_VALUE || epoch > Long.MAX_VALUE / bpe - 1) {
            throw new ModelFormatException(stateFile, null, "epoch " + epoch + " is out of range");
        }
        if (step < epoch * bpe || step >= (epoch + 1) * bpe) {
            throw new ModelFormatException(stateFile, null, "step " + step + " does not lie in epoch " + epoch
                    + " of " + bpe + " batches (steps " + epoch * bpe + ".." + ((epoch + 1) * bpe - 1)
                    + "); the file was not written by this trainer or was edited");
        }
        JsonNode bestStep = extra.get("best_step");
        if (bestStep != null && (!bestStep.canConvertToLong() || bestStep.longValue() < -1
                || bestStep.longValue() > step)) {
            throw new ModelFormatException(stateFile, null, "extra.best_step " + bestStep + " is not in -1.." + step);
        }
        JsonNode since = extra.get("validations_since_best");
        if (since != null && (!since.canConvertToInt() || since.intValue() < 0)) {
            throw new ModelFormatException(stateFile, null, "extra.validations_since_best " + since
                    + " is not a non-negative integer");
        }
        JsonNode best = extra.get("best");
        if (best != null && (!best.isNumber() || !Double.isFinite(best.doubleValue()))) {
            throw new ModelFormatException(stateFile, null, "extra.best " + best + " is not a finite number");
        }
    }

    /**
     * The model's metrics on {@code data} in evaluation mode (the model is left in evaluation mode): prediction
     * by argmax over the K channels, or logit &gt; 0 for K = 1 ({@link Predictor#labelsOfLogits}), against the
     * labels, in a {@link ConfusionMatrix} that skips the dataset's ignore label.
     *
     * @param loss the loss to report, with the training loss's target convention (see {@link TrainerConfig})
     * @param batchSize samples per forward pass; samples of one batch must have one size
     * @param step recorded in the result
     * @param epoch recorded in the result
     */
    public static ValidationResult evaluate(SegmentationModel model, Loss loss, SegmentationDataset data,
            int batchSize, long step, long epoch) {
        try (BatchLoader loader = new BatchLoader(data, null,
                new BatchLoader.Config(batchSize, false, false, 0, 0, 1))) {
            return evaluate(model, loss, loader, step, epoch);
        }
    }

    private static ValidationResult evaluate(SegmentationModel model, Loss loss, BatchLoader loader, long step,
            long epoch) {
        SegmentationDataset data = loader.dataset();
        int k = model.outputChannels();
        ConfusionMatrix cm = new ConfusionMatrix(k == 1 ? 2 : k, data.ignoreLabel());
        DataType dt = model.parameters().dataType();
        double weightedLoss = 0;
        long pixels = 0;
        Inputs inputs = new Inputs();
        model.setTraining(false);
        for (Iterator<Batch> it = loader.epoch(0); it.hasNext(); ) {
            Batch batch = it.next();
            int hw = batch.height * batch.width;
            float[] scores;
            INDArray x = inputs.images(batch, dt);
            INDArray logits = forwardPadded(model, x);
            INDArray target = inputs.target(batch, k, dt);
            try (MemoryWorkspace ws = Memory.scratch()) {
                LossResult r = loss.compute(logits, target);
                weightedLoss += r.loss() * batch.size * hw;
                pixels += (long) batch.size * hw;
                scores = logits.castTo(DataType.FLOAT).dup('c').data().asFloat();
            } finally {
                Memory.free(logits);
                inputs.release();
            }
            int perSample = k * hw;
            for (int n = 0; n < batch.size; n++) {
                int[] truth = new int[hw];
                System.arraycopy(batch.targets, batch.targetOffset(n), truth, 0, hw);
                PlanarF32 sample = PlanarF32.wrap(Arrays.copyOfRange(scores, n * perSample, (n + 1) * perSample), k,
                        batch.width, batch.height);
                cm.add(LabelMap.wrap(truth, batch.width, batch.height), Predictor.labelsOfLogits(sample));
            }
        }
        return new ValidationResult(step, epoch, pixels == 0 ? Double.NaN : weightedLoss / pixels, cm.meanIoU(),
                cm.meanDice(), cm.pixelAccuracy(), cm.iou(), cm.dice());
    }

    /**
     * The logits of images of any size, as {@link Predictor} computes them: extended at the bottom and right to
     * a multiple of the model's size multiple by reflection, and cropped back. Training crops its samples to a
     * valid size, but validation images are used whole.
     */
    private static INDArray forwardPadded(SegmentationModel model, INDArray x) {
        long h = x.size(2), w = x.size(3);
        int m = model.sizeMultiple();
        long ph = (h + m - 1) / m * m, pw = (w + m - 1) / m * m;
        if (ph == h && pw == w) {
            return model.forward(x);
        }
        INDArray padded = Predictor.pad(x, ph - h, pw - w, PredictorConfig.Padding.REFLECT);
        INDArray full = model.forward(padded);
        Memory.free(padded);
        INDArray logits = full.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, h),
                NDArrayIndex.interval(0, w)).dup('c');
        Memory.free(full);
        return logits;
    }

    /** Validates, records, saves the best checkpoint; returns whether early stopping ends the run. */
    private boolean validate(BatchLoader valLoader, long epochForRecord) throws IOException {
        ValidationResult r;
        try {
            r = evaluate(model, config.loss(), valLoader, step, epochForRecord);
        } finally {
            model.setTraining(true);
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
        int m = model.sizeMultiple();
        if (batch.height % m != 0 || batch.width % m != 0) {
            throw new IllegalArgumentException("training batch of " + batch.height + "x" + batch.width
                    + " pixels: height and width must be multiples of " + m + " for this model; crop or pad");
        }
        DataType dt = params.dataType();
        INDArray x = inputs.images(batch, dt);
        INDArray target = inputs.target(batch, model.outputChannels(), dt);
        try {
            params.zeroGradients();
            model.reseed(stepSeed(config.seed(), number));
            INDArray logits = model.forward(x);
            LossResult r;
            try {
                r = config.loss().computeDetached(logits, target);
            } finally {
                Memory.free(logits);
            }
            INDArray dLogits = r.dLogits();
            try {
                try {
                    Loss.requireFinite(r.loss(), number);
                } catch (IllegalStateException e) {
                    throw new TrainingDivergedException(number, e.getMessage() + " (epoch " + batch.epoch
                            + ", samples " + java.util.Arrays.toString(batch.indices) + ")", e);
                }
                model.backward(dLogits);
            } finally {
                Memory.free(dLogits);
            }
            try (MemoryWorkspace ws = Memory.scratch()) {
                double norm = config.clipNorm() > 0 ? GradientClipping.clipByNorm(params, config.clipNorm())
                        : params.gradients().norm2Number().doubleValue();
                if (!Double.isFinite(norm)) {
                    throw new TrainingDivergedException(number, "gradient norm is " + norm + " at step " + number
                            + " although the loss " + r.loss() + " is finite; refusing to train on it (epoch "
                            + batch.epoch + ", samples " + java.util.Arrays.toString(batch.indices) + ")", null);
                }
                optimizer.step();
                return new double[] {r.loss(), norm};
            }
        } finally {
            inputs.release();
        }
    }

    /**
     * The network inputs of a batch in arrays allocated outside every workspace and reused while the batch shape
     * stays the same: filling them from the batch's Java arrays is one bulk copy each and allocates nothing, so
     * no per-step native memory waits for the garbage collector.
     */
    private static final class Inputs {
        private INDArray images;  // (N,C,H,W) FLOAT
        private INDArray labels;  // (N,H,W) INT32
        // images and labels converted for this batch, null if none; freed by release()
        private INDArray cast;
        private INDArray castLabels;

        /** The batch's images as (N,C,H,W) of {@code dt}. */
        INDArray images(Batch b, DataType dt) {
            long[] shape = {b.size, b.channels, b.height, b.width};
            if (images == null || !java.util.Arrays.equals(images.shape(), shape)) {
                try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                    images = Nd4j.create(DataType.FLOAT, shape);
                }
            }
            images.data().setData(b.images);
            if (dt == DataType.FLOAT) {
                return images;
            }
            cast = images.castTo(dt);                     // detached: no workspace is open here
            return cast;
        }

        /** Labels (N,H,W) for a K-class model, 0/1 probabilities (N,1,H,W) of {@code dt} for a one-channel one. */
        INDArray target(Batch b, int k, DataType dt) {
            long[] shape = {b.size, b.height, b.width};
            if (labels == null || !java.util.Arrays.equals(labels.shape(), shape)) {
                try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                    labels = Nd4j.create(DataType.INT32, shape);
                }
            }
            labels.data().setData(b.targets);
            if (k != 1) {
                return labels;
            }
            castLabels = labels.castTo(dt);
            return castLabels.reshape(b.size, 1, b.height, b.width);
        }

        /** Frees the converted arrays of the last batch. */
        void release() {
            Memory.free(cast, castLabels);
            cast = null;
            castLabels = null;
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
                ModelWeights.toTensors(model));
        ModelFiles.saveCheckpoint(dir, new Checkpoint(saved, optimizer.state(), state));
        history.write(config.checkpointDir());
        TrainingListener.CheckpointSaved cs = new TrainingListener.CheckpointSaved(kind, dir, epoch, step);
        listeners.forEach(l -> l.onCheckpoint(cs));
    }

    private void checkDataset(String what, SegmentationDataset d) {
        int k = model.outputChannels();
        if (d.channels() != model.inputChannels()) {
            throw new IllegalArgumentException("the " + what + " has " + d.channels() + " channels, the model takes "
                    + model.inputChannels());
        }
        int classes = k == 1 ? 2 : k;
        if (d.numClasses() != classes) {
            throw new IllegalArgumentException("the " + what + " has " + d.numClasses() + " classes, the model's "
                    + k + " output channel(s) need " + classes);
        }
    }
}
