package org.segmentation.nn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.data.Augmentation;
import org.segmentation.nn.data.AugmentationPipeline;
import org.segmentation.nn.data.Augmentations;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.model.SegmentationModel;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.optim.LearningRateSchedule;
import org.segmentation.nn.loss.SoftmaxCrossEntropy;
import org.segmentation.nn.train.Trainer;
import org.segmentation.nn.train.TrainerConfig;
import org.segmentation.nn.train.ValidationResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parameter-averaging training on {@code local[2,2]} against the local {@link Trainer}: a small U-Net on
 * synthetic cells (3 classes). On the CPU backend with one ND4J thread (this module's surefire setting) and the
 * same kernel thread count every op is deterministic, so "the same weights" means bit-identical (tolerance 0).
 */
@Tag("spark")
class SparkTrainingTest {
    private static final Logger LOG = LoggerFactory.getLogger(SparkTrainingTest.class);
    static final SyntheticCells.Config CELLS = new SyntheticCells.Config(32, 32, 1, 4, 0.5, 0.5, 0.03, 0.2);

    @TempDir
    Path tmp;

    /** A depth-2 U-Net with dropout, Adam, flips; everything from the fields. */
    static class Cells implements SparkTraining.Setup {
        private static final long serialVersionUID = 1L;
        final int samples;
        final int baseFilters;
        final double learningRate;
        final long maxSteps;
        final int batchSize;
        final boolean settled;

        Cells(int samples, int baseFilters, double learningRate, long maxSteps) {
            this(samples, baseFilters, learningRate, maxSteps, 4);
        }

        Cells(int samples, int baseFilters, double learningRate, long maxSteps, int batchSize) {
            this(samples, baseFilters, learningRate, maxSteps, batchSize, false);
        }

        /** With {@code settled}: no dropout, and the rate decays to 0 along a cosine over the maxSteps steps. */
        Cells(int samples, int baseFilters, double learningRate, long maxSteps, int batchSize, boolean settled) {
            this.settled = settled;
            this.batchSize = batchSize;
            this.samples = samples;
            this.baseFilters = baseFilters;
            this.learningRate = learningRate;
            this.maxSteps = maxSteps;
        }

        @Override
        public TrainerConfig trainer() {
            UNet net = new UNet(UNetConfig.of(1, 3).withDepth(2).withBaseFilters(baseFilters)
                    .withDropout(settled ? 0 : 0.2), 17);
            TrainerConfig.Builder b = TrainerConfig.builder(net, new SoftmaxCrossEntropy(),
                    Adam.adam(net.parameters(), learningRate, 0.9, 0.999, 1e-8, 0)).batchSize(batchSize).epochs(1000)
                    .maxSteps(maxSteps).validateEvery(TrainerConfig.Interval.never()).seed(23);
            if (settled) {
                b.schedule(LearningRateSchedule.cosine(learningRate, (int) maxSteps, 0),
                        TrainerConfig.ScheduleUnit.STEP);
            }
            return b.build();
        }

        @Override
        public SegmentationDataset data() {
            return new SyntheticCells(CELLS).dataset(samples, 31);
        }

        @Override
        public Augmentation augmentation() {
            return AugmentationPipeline.builder().add(Augmentations.flipHorizontal(), 0.5)
                    .add(Augmentations.flipVertical(), 0.5).build();
        }
    }

    private static JavaSparkContext sc() {
        return JavaSparkContext.fromSparkContext(LocalSpark.get().sparkContext());
    }

    /**
     * The local run, with the kernels on one thread as in a Spark task of {@code local[2,2]} (spark.task.cpus 1):
     * the weights are a deterministic function of the data, the seed and the kernels' thread count (the Winograd
     * weight gradient sums one partial product per thread).
     */
    private static SegmentationModel trainLocally(SparkTraining.Setup setup) throws IOException {
        TrainerConfig c = setup.trainer();
        ParallelRanges.callWithThreads(1, () -> {
            new Trainer(c).fit(setup.data(), setup.augmentation(), null);
            return null;
        });
        return ((org.segmentation.nn.train.DenseTrainable) c.trainable()).model();
    }

    private static void assertSameWeights(SegmentationModel expected, SegmentationModel actual) {
        assertArrayEquals(expected.parameters().values().toFloatVector(), actual.parameters().values().toFloatVector());
        for (String name : expected.buffers().keySet()) {
            assertArrayEquals(expected.buffers().get(name).toFloatVector(), actual.buffers().get(name).toFloatVector(),
                    name);
        }
    }

    @Test
    void onePartitionAveragingEveryStepIsTheLocalTrainer() throws IOException {
        Cells setup = new Cells(12, 4, 0.01, 7); // 3 batches per epoch: the 7 steps cross two epoch boundaries
        SegmentationModel local = trainLocally(setup);
        SparkTraining.Result r = SparkTraining.fit(sc(), setup, 1, 1, tmp.resolve("run"), null);
        assertEquals(7, r.rounds());
        assertSameWeights(local, r.model());
        assertEquals(7, ModelFiles.loadCheckpoint(tmp.resolve("run").resolve(Trainer.LAST)).state().step());
    }

    /** Kills every task (and its retry) once the trainer has been built {@code limit} times in this JVM. */
    static final class KilledAfter extends Cells {
        private static final long serialVersionUID = 1L;
        static final AtomicInteger CALLS = new AtomicInteger();
        final int limit;

        KilledAfter(int limit) {
            super(16, 4, 0.01, 8);
            this.limit = limit;
        }

        @Override
        public TrainerConfig trainer() {
            if (CALLS.incrementAndGet() > limit) {
                throw new IllegalStateException("the job is killed");
            }
            return super.trainer();
        }
    }

    @Test
    void aKilledJobResumesFromTheLastCompletedRound() throws IOException {
        Cells setup = new Cells(16, 4, 0.01, 8); // 2 workers of 8 samples, 2 local steps: 4 rounds
        SparkTraining.Result straight = SparkTraining.fit(sc(), setup, 2, 2, tmp.resolve("straight"), null);
        assertEquals(4, straight.rounds());

        // the driver builds one trainer, each round two: the third round fails in both attempts of its tasks
        KilledAfter.CALLS.set(0);
        Path dir = tmp.resolve("killed");
        assertThrows(Exception.class, () -> SparkTraining.fit(sc(), new KilledAfter(5), 2, 2, dir, null));
        assertEquals(2, ModelFiles.loadCheckpoint(dir.resolve(Trainer.LAST)).state().extra().get("round").asLong());

        SparkTraining.Result resumed = SparkTraining.fit(sc(), setup, 2, 2, dir, null);
        assertEquals(2, resumed.roundLosses().length, "only the two remaining rounds ran");
        assertSameWeights(straight.model(), resumed.model());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparkTraining.fit(sc(), setup, 1, 2, dir, null));
        assertTrue(e.getMessage().contains("2 workers"), e.getMessage());
    }

    /**
     * Synchronous data parallelism over 2 workers with batches of 4 against one machine with batches of 8: the same
     * 4800 samples in the same 600 updates, the standard equivalence of data-parallel and large-batch training
     * (Goyal et al., 2017). The runs differ by the workers' batch-norm statistics (over 4 samples, not 8), Adam's
     * second moments (the mean of squares, not the square of the mean) and the 2 steps between averagings. Both
     * run without dropout and with the rate decaying to 0 along a cosine, so that each ends settled rather than
     * wherever its last steps at full rate left it, and both are scored on 128 validation images. With a constant
     * rate and dropout one run's IoU moved by 0.01-0.02 with any change of float rounding (a kernel summing in
     * another order failed this test), and by up to 0.04 between training seeds. Measured with this set-up (one
     * machine / two workers), training seeds 23, 24, 25 (initialisation seeds 17, 18, 19): 0.9343 / 0.9330,
     * 0.9336 / 0.9455, 0.9292 / 0.9367. Two workers were never worse by more than 0.0014 but were better by up to
     * 0.012, so the test asserts the side that matters to a user, that data parallelism costs at most 0.01 of IoU
     * (a margin of 0.0086 over the worst seed measured); the two-sided bound is not met on every seed.
     */
    @Test
    void twoWorkersReachTheValidationIouOfOneMachineOnTheSameSamples() throws IOException {
        SegmentationDataset validation = new SyntheticCells(CELLS).dataset(128, 99);
        Cells single = new Cells(32, 8, 0.01, 600, 8, true);
        SegmentationModel local = trainLocally(single);
        ValidationResult one = Trainer.evaluate(local, new SoftmaxCrossEntropy(), validation, 4, 120, 0);

        Cells perWorker = new Cells(32, 8, 0.01, 600, 4, true);
        SparkTraining.Result two = SparkTraining.fit(sc(), perWorker, 2, 2, null, validation);
        LOG.info("validation mIoU after 4800 samples: one machine {}, two workers {}", one.meanIoU(),
                two.validation().meanIoU());
        assertTrue(one.meanIoU() > 0.7, "the task is learned: " + one.meanIoU());
        assertTrue(two.validation().meanIoU() >= one.meanIoU() - 0.01, "two workers " + two.validation().meanIoU()
                + ", one machine " + one.meanIoU());
    }
}
