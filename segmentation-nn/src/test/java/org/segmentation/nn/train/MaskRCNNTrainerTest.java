package org.segmentation.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.segment.InstanceSegmentation;
import org.segmentation.nn.data.Augmentation;
import org.segmentation.nn.data.AugmentationPipeline;
import org.segmentation.nn.data.Augmentations;
import org.segmentation.nn.data.InMemoryDataset;
import org.segmentation.nn.data.Sample;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.detect.AnchorGenerator;
import org.segmentation.nn.detect.RoiHeadsConfig;
import org.segmentation.nn.detect.RpnConfig;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.model.MaskRCNN;
import org.segmentation.nn.model.MaskRCNNConfig;
import org.segmentation.nn.model.MaskRCNNTransform;
import org.segmentation.nn.model.ResNetConfig;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.optim.LearningRateSchedule;
import org.segmentation.nn.optim.Sgd;
import org.segmentation.nn.predict.InputNormalization;
import org.segmentation.nn.task.MaskRCNNTraining;
import org.segmentation.nn.task.TrainedMaskRCNN;
import org.segmentation.nn.train.TrainerConfig.Interval;
import org.segmentation.nn.train.TrainerConfig.ScheduleUnit;

/**
 * A Mask R-CNN through the {@link Trainer}: a falling loss, resume, checkpoints, empty images and bad data. As in
 * {@link TrainerTest}, the module's tests run ND4J on one OpenMP thread, where every op is deterministic, so
 * "identical" means bit-identical (tolerance 0).
 */
class MaskRCNNTrainerTest {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MaskRCNNTrainerTest.class);
    private static final Augmentation FLIPS = AugmentationPipeline.builder()
            .add(Augmentations.flipHorizontal(), 0.5).add(Augmentations.flipVertical(), 0.5).build();

    /** 32x32 cells, 2 to 4 per image: one class plus background. */
    private static SyntheticCells cells(int size) {
        SyntheticCells.Config d = SyntheticCells.Config.defaults();
        return new SyntheticCells(new SyntheticCells.Config(size, size, 2, 4, d.touchingFraction(), d.blurSigma(),
                d.noiseSigma(), d.illumination()));
    }

    /** A very small network (0.02 M parameters) for the mechanics; the loss test uses the library's small one. */
    static MaskRCNNConfig tiny(int classes) {
        return new MaskRCNNConfig(new ResNetConfig(ResNetConfig.Block.BASIC, new int[] {1, 1, 1, 1},
                new int[] {8, 8, 16, 16}, 8, 1), 16, AnchorGenerator.small(),
                new RpnConfig(150, 100, 80, 50, 0.7, 0.7, 0.3, 64, 0.5, 0.0, 1e-3),
                new RoiHeadsConfig(0.5, 0.5, 64, 0.25, 0.05, 0.5, 20), classes, 32, 8, DataType.FLOAT);
    }

    private static MaskRCNNTransform unit(int size) {
        return new MaskRCNNTransform(size, size, InputNormalization.unit(1), 32);
    }

    @Test
    void lossFallsOnSyntheticCells() throws Exception {
        SegmentationDataset train = cells(64).instanceDataset(8, 1);
        MaskRCNN net = new MaskRCNN(MaskRCNNTraining.defaultConfig(1, 2), 3);
        MaskRCNNTrainable t = new MaskRCNNTrainable(net, unit(64));
        List<MaskRCNN.Losses> parts = new ArrayList<>();
        TrainerConfig c = TrainerConfig.builder(t, new Sgd(net.parameters(), 0.01, 0.9, false, 1e-4))
                .schedule(LearningRateSchedule.linearWarmup(e -> 0.01, 10, 1e-3), ScheduleUnit.STEP)
                .clipNorm(10).epochs(100).maxSteps(32).batchSize(2).validateEvery(Interval.never()).seed(5)
                .loader(0, 1).build();
        TrainingListener record = new TrainingListener() {
            @Override
            public void onStepEnd(StepEnd e) {
                parts.add(t.lastLosses());
            }
        };
        TrainingResult r = new Trainer(c, record).fit(train, FLIPS, null);
        assertEquals(32, r.steps());
        double[] losses = r.history().losses();
        double first = mean(losses, 0, 8);
        double last = mean(losses, 24, 32);
        LOG.info("Mask R-CNN on 8 cell images: mean loss of steps 1-8 {} -> steps 25-32 {}; parts {} -> {}", first,
                last, meanParts(parts.subList(0, 8)), meanParts(parts.subList(24, 32)));
        // Measured (deterministic, one OpenMP thread): mean loss 4.54 over steps 1-8 -> 0.81 over steps 25-32, a
        // ratio of 0.18 (the mask loss 3.2 -> below 0.6, the RPN's objectness 0.69 -> 0.16). The bound 0.6 leaves
        // room for changes of initialisation or defaults and still fails if the heads do not learn.
        assertTrue(last < 0.6 * first, first + " -> " + last);
        for (MaskRCNN.Losses p : parts) {
            assertTrue(Double.isFinite(p.total()) && p.mask() >= 0 && p.rpnObjectness() >= 0, p.toString());
        }
        // the objectness, classification and mask losses each fall (the two box-regression losses start near 0.01
        // and 0.04 and are too small and noisy over 8 steps to require it)
        MaskRCNN.Losses a = meanParts(parts.subList(0, 8));
        MaskRCNN.Losses b = meanParts(parts.subList(24, 32));
        assertTrue(b.rpnObjectness() < a.rpnObjectness() && b.classifier() < a.classifier()
                && b.mask() < a.mask(), a + " -> " + b);
    }

    private static MaskRCNN.Losses meanParts(List<MaskRCNN.Losses> ps) {
        double o = 0, rb = 0, c = 0, br = 0, m = 0;
        for (MaskRCNN.Losses p : ps) {
            o += p.rpnObjectness();
            rb += p.rpnBox();
            c += p.classifier();
            br += p.boxRegression();
            m += p.mask();
        }
        int n = ps.size();
        return new MaskRCNN.Losses(o / n, rb / n, c / n, br / n, m / n);
    }

    private static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    /** A run with flips, Adam, clipping, a warm-up, two loader threads, validation every 3 steps. */
    private static Trainer run(long initSeed, int epochs, long maxSteps, Path dir) {
        MaskRCNN net = new MaskRCNN(tiny(2), initSeed);
        MaskRCNNTrainable t = new MaskRCNNTrainable(net, unit(32));
        TrainerConfig c = TrainerConfig.builder(t, Adam.adam(net.parameters(), 2e-3, 0.9, 0.999, 1e-8, 0))
                .schedule(LearningRateSchedule.linearWarmup(e -> 2e-3, 3, 0.1), ScheduleUnit.STEP).clipNorm(5)
                .epochs(epochs).maxSteps(maxSteps).batchSize(2).validateEvery(Interval.steps(3))
                .monitor(TrainerConfig.Monitor.maskAp()).seed(11).loader(2, 2)
                .checkpoints(dir, 1, new TrainedMaskRCNN(net, unit(32), List.of("background", "cell"))
                        .configFields())
                .build();
        return new Trainer(c);
    }

    private static MaskRCNNTrainable trainable(Trainer t) {
        return (MaskRCNNTrainable) t.config().trainable();
    }

    private static void assertSameState(Trainer a, Trainer b) {
        assertArrayEquals(a.config().trainable().parameters().values().toFloatVector(),
                b.config().trainable().parameters().values().toFloatVector());
        for (String name : a.config().trainable().buffers().keySet()) {
            assertArrayEquals(a.config().trainable().buffers().get(name).toFloatVector(),
                    b.config().trainable().buffers().get(name).toFloatVector(), name);
        }
        assertEquals(a.config().optimizer().state(), b.config().optimizer().state());
        assertArrayEquals(a.history().losses(), b.history().losses());
        assertEquals(a.history().validations().size(), b.history().validations().size());
        for (int i = 0; i < a.history().validations().size(); i++) {
            assertEquals(a.history().validations().get(i).maskAp(), b.history().validations().get(i).maskAp());
        }
    }

    @Test
    void resumeContinuesBitIdenticallyAndCheckpointsLoadAsTheModel(@TempDir Path tmp) throws Exception {
        SegmentationDataset train = cells(32).instanceDataset(8, 1);
        SegmentationDataset valid = cells(32).instanceDataset(2, 2);
        Trainer straight = run(5, 2, 0, tmp.resolve("straight"));
        straight.fit(train, FLIPS, valid);
        assertEquals(8, straight.step());
        assertEquals(2, straight.history().validations().size());

        // within an epoch (step 6 of 8): a model with other initial weights resumes from last/
        Trainer part = run(5, 2, 6, tmp.resolve("b"));
        part.fit(train, FLIPS, valid);
        Trainer rest = run(98, 2, 0, tmp.resolve("b"));
        rest.resume(tmp.resolve("b").resolve(Trainer.LAST));
        assertEquals(6, rest.step());
        rest.fit(train, FLIPS, valid);
        assertSameState(straight, rest);

        // the checkpoint holds torchvision's state_dict names and loads as a model predicting the same
        Path last = tmp.resolve("straight").resolve(Trainer.LAST);
        TensorFile saved = ModelFiles.loadModel(last).weights();
        MaskRCNN net = trainable(straight).network();
        assertEquals(new TreeSet<>(net.toTensors().tensors().keySet()), new TreeSet<>(saved.tensors().keySet()));
        assertTrue(saved.tensors().containsKey("backbone.body.conv1.weight"));
        assertTrue(saved.tensors().containsKey("backbone.body.bn1.running_var"));
        assertTrue(saved.tensors().containsKey("rpn.head.cls_logits.weight"));
        assertTrue(saved.tensors().containsKey("roi_heads.mask_predictor.mask_fcn_logits.weight"));
        TrainedMaskRCNN loaded = TrainedMaskRCNN.load(last);
        TrainedMaskRCNN inMemory = new TrainedMaskRCNN(net, unit(32), List.of("background", "cell"));
        PlanarF32 img = cells(32).generate(9, 0).image();
        InstanceSegmentation x = inMemory.segment(img);
        InstanceSegmentation y = loaded.segment(img);
        assertArrayEquals(x.scores(), y.scores(), 0);
        assertArrayEquals(x.boxes(), y.boxes(), 0);
        assertArrayEquals(x.labels().data, y.labels().data);
    }

    @Test
    void imagesWithoutInstancesTrain() throws Exception {
        SegmentationDataset withCells = cells(32).instanceDataset(2, 3);
        List<Sample> samples = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(4);
        for (int k = 0; k < 3; k++) {
            PlanarF32 noise = new PlanarF32(1, 32, 32);
            for (int i = 0; i < noise.data.length; i++) {
                noise.data[i] = (float) rng.nextDouble();
            }
            samples.add(new Sample(noise, new LabelMap(32, 32), new LabelMap(32, 32)));
        }
        samples.add(withCells.get(0));
        // batches in order: [empty, empty], [empty, cells]
        SegmentationDataset data = new InMemoryDataset(samples, 2);
        MaskRCNN net = new MaskRCNN(tiny(2), 1);
        MaskRCNNTrainable t = new MaskRCNNTrainable(net, unit(32));
        net.setTraining(true);
        try (var loader = new org.segmentation.nn.data.BatchLoader(data, null,
                new org.segmentation.nn.data.BatchLoader.Config(2, false, false, 0, 0, 1))) {
            var it = loader.epoch(0);
            net.parameters().zeroGradients();
            double allEmpty = t.trainStep(it.next(), 1);
            assertTrue(Double.isFinite(allEmpty), "loss " + allEmpty);
            assertEquals(0, t.lastLosses().mask(), "no positive proposal, no mask loss");
            assertEquals(0, t.lastLosses().rpnBox(), "no positive anchor, no box loss");
            assertTrue(t.lastLosses().rpnObjectness() > 0 && t.lastLosses().classifier() > 0);
            double g = net.parameters().gradients().norm2Number().doubleValue();
            assertTrue(g > 0 && Double.isFinite(g), "background-only gradients " + g);
            double mixed = t.trainStep(it.next(), 2);
            assertTrue(Double.isFinite(mixed) && t.lastLosses().mask() > 0, t.lastLosses().toString());
        }
        // and through the trainer with validation on the empty images (AP of no truth and no detection: NaN)
        TrainerConfig c = TrainerConfig.builder(t, new Sgd(net.parameters(), 0.01, 0.9, false, 0)).epochs(1)
                .batchSize(2).seed(1).loader(0, 1).validateEvery(Interval.epochs(1))
                .monitor(TrainerConfig.Monitor.maskAp()).build();
        TrainingResult r = new Trainer(c).fit(data, FLIPS, data);
        assertEquals(2, r.steps());
        assertEquals(1, r.history().validations().size());
    }

    @Test
    void dataThatDoesNotFitIsRefusedNamingTheProblem() {
        MaskRCNN net = new MaskRCNN(tiny(2), 1);
        MaskRCNNTrainable t = new MaskRCNNTrainable(net, unit(32));
        TrainerConfig c = TrainerConfig.builder(t, new Sgd(net.parameters(), 0.01, 0, false, 0)).epochs(1)
                .batchSize(2).validateEvery(Interval.never()).loader(0, 1).build();
        // 3 classes (background, interior, boundary) for a 2-class network
        SegmentationDataset threeClass = cells(32).dataset(2, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(c).fit(threeClass, null, null));
        assertTrue(e.getMessage().contains("3 classes") && e.getMessage().contains("has 2"), e.getMessage());
        // samples without instance maps
        List<Sample> noInstances = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Sample s = cells(32).instanceDataset(2, 1).get(i);
            noInstances.add(new Sample(s.image(), s.target()));
        }
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(c).fit(new InMemoryDataset(noInstances, 2), null, null));
        assertTrue(e2.getMessage().contains("no instance labels"), e2.getMessage());
        // a 3-channel transform for a 1-channel network
        assertThrows(IllegalArgumentException.class, () -> new MaskRCNNTrainable(net,
                new MaskRCNNTransform(32, 32, InputNormalization.unit(3), 32)));
    }
}
