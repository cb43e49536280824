package org.segmentation.nn.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.data.Augmentation;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.SubsetDataset;
import org.segmentation.nn.io.Checkpoint;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.SavedModel;
import org.segmentation.nn.io.TrainingState;
import org.segmentation.nn.model.ModelWeights;
import org.segmentation.nn.model.SegmentationModel;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.train.DenseTrainable;
import org.segmentation.nn.train.Trainer;
import org.segmentation.nn.train.TrainerConfig;
import org.segmentation.nn.train.TrainerConfig.Interval;
import org.segmentation.nn.train.ValidationResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synchronous data-parallel training on Spark by periodic parameter averaging: every round the driver broadcasts
 * the model's weights and optimizer state, each of {@code P} workers trains {@code K} steps on its own share of
 * the data with the unchanged {@link Trainer}, and the workers' weights and optimizer states are summed with
 * {@code treeAggregate} and averaged on the driver (McDonald et al., NAACL 2010; Zinkevich et al., NIPS 2010;
 * DL4J's {@code ParameterAveragingTrainingMaster}, which also averages the updater state).
 *
 * <p><b>Why parameter averaging, not barrier mode with an all-reduce every step.</b> Spark has no all-reduce
 * of its own: barrier mode offers {@code BarrierTaskContext.allGather}, which sends strings through the driver,
 * so a gradient all-reduce every step would move {@code P} copies of the whole gradient through one process each
 * step and need a collective library Spark does not provide. Barrier stages also need every task scheduled at
 * once and restart the whole stage when one task fails. Parameter averaging uses only broadcast and
 * {@code treeAggregate}, runs on any cluster manager and on {@code local[N]}, and a failed task is simply retried,
 * since a round's inputs are immutable broadcasts. {@code K} trades communication (one broadcast and one
 * aggregation of three times the parameters per round) against how far the workers drift apart. Each worker runs
 * the library's own {@link Trainer} (resumed from the round's checkpoint), so batching, augmentation, dropout,
 * clipping, schedules and divergence checks are the local ones, and with {@code P = 1, K = 1} a run is the local
 * {@link Trainer}'s, bit for bit on the CPU backend with one ND4J thread (the tests check it).
 *
 * <p><b>Data.</b> Every worker opens the {@link Setup#data()} dataset (a folder on a file system every executor
 * mounts, or a generator); worker {@code p} of {@code P} trains on samples {@code p, p + P, p + 2P, ...}, the same
 * number {@code floor(n / P)} each (so that all take the same steps per epoch; up to {@code P - 1} samples are
 * left out). Every worker uses the configuration's seed for its batch order and augmentation.
 *
 * <p><b>Length.</b> Each worker runs the configuration's epochs over its share (or its {@code maxSteps}, if
 * smaller), {@code T} steps in all, in {@code ceil(T / K)} rounds; the data seen is {@code P} times what one
 * machine sees in {@code T} steps. For the same number of samples as a one-machine run of {@code S} steps, give
 * the workers {@code maxSteps = S / P}.
 *
 * <p><b>Checkpoints and resuming.</b> After every round the driver writes the averaged model, optimizer state and
 * position to {@code checkpointDir/last} ({@link ModelFiles#saveCheckpoint}, atomically): a standard checkpoint
 * that {@link Trainer#resume} and the model loaders read. Its {@code extra} records the round, {@code P} and
 * {@code K}. A driver started again on the same directory continues from the last completed round (after checking
 * that {@code P}, {@code K} and the seed are those of the run that wrote it). Validation, early stopping and the
 * {@code best/} checkpoint of the configuration are not used; the driver validates once, at the end.
 */
public final class SparkTraining {
    private static final Logger LOG = LoggerFactory.getLogger(SparkTraining.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] CHECKPOINT_FILES = {ModelFiles.CONFIG, ModelFiles.WEIGHTS, ModelFiles.OPTIMIZER,
            ModelFiles.TRAINING_STATE};

    private SparkTraining() {
    }

    /**
     * What the driver and every worker build for themselves: serialised into each task, so it should hold
     * settings (sizes, seeds, paths), not models or data. Both methods must give the same result every time they
     * are called, on any machine.
     */
    public interface Setup extends Serializable {
        /**
         * A new model with its loss, optimizer and training settings. The workers' initial weights come from the
         * driver's round checkpoint, so only the driver's model's initial weights matter.
         */
        TrainerConfig trainer();

        /** The whole training set; each worker trains on its share. */
        SegmentationDataset data() throws IOException;

        /** The augmentation of training samples, or null; the default is null. */
        default Augmentation augmentation() {
            return null;
        }
    }

    /**
     * How a run ended.
     *
     * @param model the driver's model, holding the final averaged weights
     * @param rounds rounds completed (including those of a resumed run)
     * @param stepsPerWorker optimizer steps each worker has taken, {@code T}
     * @param roundLosses mean training loss of each round this call ran, over all steps of all workers
     * @param validation the final model on the validation set, or null if none was given
     */
    public record Result(SegmentationModel model, long rounds, long stepsPerWorker, double[] roundLosses,
            ValidationResult validation) {
    }

    /**
     * Trains with {@code workers} tasks that average every {@code localSteps} steps, from the last completed
     * round in {@code checkpointDir} if there is one. A round that fails after Spark's task retries throws Spark's
     * {@code SparkException} (undeclared, from Scala); the checkpoint of the last completed round stays in place for a
     * resume.
     *
     * @param checkpointDir where {@code last/} is written after every round, or null for a temporary directory
     *     deleted at the end
     * @param validation evaluated on the driver at the end, or null
     * @throws IllegalArgumentException if {@code workers} or {@code localSteps} is below 1, a worker's share gives no
     *     batch, or the checkpoint in {@code checkpointDir} was written by a run with other workers, local steps or
     *     seed
     */
    public static Result fit(JavaSparkContext sc, Setup setup, int workers, int localSteps, Path checkpointDir,
            SegmentationDataset validation) throws IOException {
        if (workers < 1 || localSteps < 1) {
            throw new IllegalArgumentException("workers and localSteps must be at least 1, got " + workers + " and "
                    + localSteps);
        }
        TrainerConfig config = setup.trainer();
        SegmentationModel model = dense(config).model();
        int share = setup.data().size() / workers;
        int batchesPerEpoch = config.dropLast() ? share / config.batchSize()
                : (share + config.batchSize() - 1) / config.batchSize();
        if (batchesPerEpoch == 0) {
            throw new IllegalArgumentException("a share of " + share + " samples (" + setup.data().size() + " over "
                    + workers + " workers) gives no batch of " + config.batchSize());
        }
        long total = (long) config.epochs() * batchesPerEpoch;
        if (config.maxSteps() > 0) {
            total = Math.min(total, config.maxSteps());
        }
        long rounds = (total + localSteps - 1) / localSteps;

        Path tmp = checkpointDir == null ? Files.createTempDirectory("segmentation-spark-training-") : null;
        Path last = (checkpointDir != null ? checkpointDir : tmp).resolve(Trainer.LAST);
        ObjectNode modelConfig = JSON.valueToTree(modelConfig(config));
        List<Double> losses = new ArrayList<>();
        long round;
        try {
            if (Files.exists(last.resolve(ModelFiles.TRAINING_STATE))) {
                round = restore(last, config, workers, localSteps, batchesPerEpoch);
                LOG.info("resuming from {} after round {} of {}", last, round, rounds);
            } else {
                round = 0;
                save(last, modelConfig, config, 0, batchesPerEpoch, 0, workers, localSteps);
            }
            for (; round < rounds; round++) {
                long until = Math.min((round + 1) * localSteps, total);
                Contribution sum = runRound(sc, setup, DirectoryBytes.read(last, CHECKPOINT_FILES), workers, until);
                if (sum.workers() != workers) {
                    throw new IllegalStateException("round " + (round + 1) + " got " + sum.workers()
                            + " contributions from " + workers + " workers");
                }
                ModelWeights.load(model, sum.meanWeights());
                config.optimizer().loadState(sum.meanOptimizer());
                save(last, modelConfig, config, until, batchesPerEpoch, round + 1, workers, localSteps);
                losses.add(sum.meanLoss());
                LOG.info("round {}/{}: {} steps per worker, mean training loss {}", round + 1, rounds, until,
                        String.format("%.4f", sum.meanLoss()));
            }
        } finally {
            if (tmp != null) {
                DirectoryBytes.deleteTree(tmp);
            }
        }
        ValidationResult v = validation == null ? null : Trainer.evaluate(model, dense(config).loss(), validation,
                config.validationBatchSize(), total, total / batchesPerEpoch);
        return new Result(model, rounds, total, losses.stream().mapToDouble(Double::doubleValue).toArray(), v);
    }

    private static Contribution runRound(JavaSparkContext sc, Setup setup, DirectoryBytes state, int workers,
            long until) {
        Broadcast<DirectoryBytes> b = sc.broadcast(state);
        try {
            List<Integer> ids = IntStream.range(0, workers).boxed().collect(Collectors.toList());
            return sc.parallelize(ids, workers)
                    .mapPartitions(it -> {
                        List<Contribution> out = new ArrayList<>();
                        while (it.hasNext()) {
                            int worker = it.next();
                            out.add(ParallelRanges.callWithThreads(SparkSegmentation.taskCpus(),
                                    () -> trainShare(worker, workers, setup, b.value(), until)));
                        }
                        return out.iterator();
                    })
                    .treeAggregate(Contribution.empty(), Contribution::add, Contribution::add);
        } finally {
            b.destroy();
        }
    }

    /** One worker's round: resume the round's checkpoint, train up to step {@code until} on its share. */
    private static Contribution trainShare(int worker, int workers, Setup setup, DirectoryBytes state, long until)
            throws IOException {
        TrainerConfig base = setup.trainer();
        TrainerConfig config = new TrainerConfig(base.trainable(), base.optimizer(), base.schedule(),
                base.scheduleUnit(), base.epochs(), until, base.batchSize(), base.dropLast(), base.shuffle(),
                Interval.never(), base.validationBatchSize(), base.monitor(), 0, null, base.checkpointEveryEpochs(),
                base.modelConfig(), base.clipNorm(), base.seed(), base.loaderThreads(), base.prefetchBatches());
        Trainer trainer = new Trainer(config);
        state.withCopy("segmentation-round-", dir -> {
            trainer.resume(dir);
            return null;
        });
        trainer.fit(share(setup.data(), worker, workers), setup.augmentation(), null);
        return Contribution.of(ModelWeights.toTensors(dense(config).model()), config.optimizer().state(),
                trainer.history().losses());
    }

    /**
     * The per-pixel model and loss of a configuration.
     *
     * @throws IllegalArgumentException if it trains another kind of model: Spark training averages per-pixel
     *     models only
     */
    static DenseTrainable dense(TrainerConfig config) {
        if (config.trainable() instanceof DenseTrainable d) {
            return d;
        }
        throw new IllegalArgumentException("Spark training takes a per-pixel model (DenseTrainable), got "
                + config.trainable().getClass().getSimpleName());
    }

    /** Samples {@code worker, worker + workers, ...}, {@code floor(n / workers)} of them. */
    static SegmentationDataset share(SegmentationDataset data, int worker, int workers) {
        int[] indices = new int[data.size() / workers];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = worker + i * workers;
        }
        return workers == 1 ? data : new SubsetDataset(data, indices);
    }

    private static Map<String, Object> modelConfig(TrainerConfig config) {
        if (config.modelConfig() != null) {
            return config.modelConfig();
        }
        if (dense(config).model() instanceof UNet unet) {
            return UNet.configFields(unet.config());
        }
        return Map.of("architecture", dense(config).model().getClass().getSimpleName());
    }

    private static void save(Path last, ObjectNode modelConfig, TrainerConfig config, long step, int batchesPerEpoch,
            long round, int workers, int localSteps) throws IOException {
        ObjectNode extra = JsonNodeFactory.instance.objectNode();
        extra.put("batches_per_epoch", batchesPerEpoch);
        extra.put("round", round);
        extra.put("workers", workers);
        extra.put("local_steps", localSteps);
        TrainingState state = new TrainingState(step / batchesPerEpoch, step, Long.toString(config.seed()), extra);
        Files.createDirectories(last.toAbsolutePath().getParent());
        ModelFiles.saveCheckpoint(last, new Checkpoint(new SavedModel(modelConfig,
                ModelWeights.toTensors(dense(config).model())), config.optimizer().state(), state));
    }

    /**
     * Loads the driver's model and optimizer from {@code last}; returns the rounds it completed. Every field of the
     * driver's state is checked before anything is loaded: the position as {@link Trainer#resume} checks it
     * ({@link Trainer#checkedPosition}), the seed, {@code extra.round} (an integer &gt;= 0), {@code extra.workers}
     * and {@code extra.local_steps} (positive ints), and a step that ends round {@code round} (after the
     * {@code (round - 1) * K} steps of the rounds before it, at most {@code round * K}); the optimizer's state
     * checks its own ({@link org.segmentation.nn.optim.Optimizer#loadState}).
     *
     * @throws ModelFormatException naming {@code training_state.json} and the field that is missing, of the wrong
     *     type or out of range
     * @throws IllegalArgumentException if the state is valid but of a run with other workers, local steps, seed or
     *     batches per epoch
     */
    private static long restore(Path last, TrainerConfig config, int workers, int localSteps, int batchesPerEpoch)
            throws IOException {
        Checkpoint cp = ModelFiles.loadCheckpoint(last);
        TrainingState s = cp.state();
        ObjectNode extra = s.extra();
        Path stateFile = last.resolve(ModelFiles.TRAINING_STATE);
        JsonNode roundNode = extra.get("round");
        if (roundNode == null) {
            throw new ModelFormatException(stateFile, null, "extra.round is missing: not a checkpoint of "
                    + SparkTraining.class.getSimpleName());
        }
        if (!roundNode.isIntegralNumber() || !roundNode.canConvertToLong() || roundNode.longValue() < 0) {
            throw new ModelFormatException(stateFile, null, "extra.round is " + roundNode
                    + ", not a non-negative integer");
        }
        int w = Trainer.positiveInt(stateFile, extra, "workers");
        int k = Trainer.positiveInt(stateFile, extra, "local_steps");
        int bpe = Trainer.checkedPosition(stateFile, s);
        long seed = Trainer.seedOf(stateFile, s);
        long round = roundNode.longValue();
        long step = s.step();
        if (round > Long.MAX_VALUE / k) {
            throw new ModelFormatException(stateFile, null, "extra.round " + round + " is out of range");
        }
        if (round == 0 ? step != 0 : step <= (round - 1) * k || step > round * k) {
            throw new ModelFormatException(stateFile, null, "step " + step + " does not end round " + round + " of "
                    + k + " local steps (steps " + (round == 0 ? 0 : (round - 1) * k + 1) + ".." + round * k
                    + "); the file was not written by this run or was edited");
        }
        if (w != workers || k != localSteps || seed != config.seed() || bpe != batchesPerEpoch) {
            throw new IllegalArgumentException("checkpoint " + last + " was written with " + w + " workers, " + k
                    + " local steps, seed " + seed + " and " + bpe + " batches per epoch; this run has " + workers
                    + ", " + localSteps + ", " + config.seed() + " and " + batchesPerEpoch
                    + ", so resuming would not continue the same run");
        }
        ModelWeights.load(dense(config).model(), cp.model().weights());
        config.optimizer().loadState(cp.optimizer());
        return round;
    }
}
