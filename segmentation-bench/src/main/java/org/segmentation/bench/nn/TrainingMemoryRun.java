package org.segmentation.bench.nn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.nn.Memory;
import org.segmentation.nn.data.InMemoryDataset;
import org.segmentation.nn.data.Sample;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.loss.CeDiceLoss;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.train.Trainer;
import org.segmentation.nn.train.TrainerConfig;
import org.segmentation.nn.train.TrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resident memory of a U-Net training run in the standard configuration ({@link UNetConfig#of UNetConfig.of(3,
 * 3)}: depth 4, 32 base filters, batch norm, transposed up-sampling; batches of 4 random 3-channel images of
 * 256×256; CE+Dice; Adam 1e-3) through {@link Trainer}: VmRSS of /proc/self/status after steps 1-5, 10, 50,
 * 100 and every 100th, VmHWM (the peak) at the end, and each of those steps' wall time; beside them the Java
 * heap (committed, used) and the size of the scratch workspace ({@link Memory#scratch}, the largest single
 * layer call's temporaries). A measurement, not a benchmark of speed. Arguments: steps (default 1000), image
 * size (256), batch (4).
 *
 * <pre>
 * JAVA_OPTS="-Xmx1g" SEG_MAIN=org.segmentation.bench.nn.TrainingMemoryRun MVN_FLAGS=-o \
 *     segmentation-bench/seg.sh 1000
 * </pre>
 */
public final class TrainingMemoryRun {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingMemoryRun.class);

    private TrainingMemoryRun() {
    }

    static long statusMb(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no " + key + " in /proc/self/status");
    }

    public static void main(String[] args) throws IOException {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        Random rng = new Random(1);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 2 * batch; i++) {
            float[] px = new float[3 * size * size];
            int[] labels = new int[size * size];
            for (int j = 0; j < labels.length; j++) {
                labels[j] = rng.nextInt(3);
                for (int c = 0; c < 3; c++) {
                    px[c * labels.length + j] = (c == labels[j] ? 0.5f : 0f) + (float) rng.nextGaussian() * 0.3f;
                }
            }
            samples.add(new Sample(PlanarF32.wrap(px, 3, size, size), LabelMap.wrap(labels, size, size)));
        }
        SegmentationDataset data = new InMemoryDataset(samples, 3, SegmentationDataset.NO_IGNORE);
        UNet model = new UNet(UNetConfig.of(3, 3), 7);
        Adam adam = Adam.adam(model.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0);
        TrainerConfig config = TrainerConfig.builder(model, new CeDiceLoss(), adam).epochs(Integer.MAX_VALUE)
                .maxSteps(steps).batchSize(batch).validateEvery(TrainerConfig.Interval.never()).loader(0, 1)
                .seed(3).build();
        LOG.info("max Java heap {} MB, VmRSS before training {} MB", Runtime.getRuntime().maxMemory() >> 20,
                statusMb("VmRSS"));
        new Trainer(config, new TrainingListener() {
            @Override
            public void onStepEnd(StepEnd e) {
                long s = e.step();
                if (s <= 5 || s == 10 || s == 50 || s % 100 == 0) {
                    Runtime rt = Runtime.getRuntime();
                    long scratch = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(Memory.SCRATCH_ID)
                            .getCurrentSize();
                    LOG.info("step {} loss {}: {} ms, VmRSS {} MB, VmHWM {} MB (Java heap committed {} MB, used {} MB;"
                            + " scratch workspace {} MB)", s, String.format("%.4f", e.loss()),
                            e.stepNanos() / 1_000_000, statusMb("VmRSS"), statusMb("VmHWM"), rt.totalMemory() >> 20,
                            (rt.totalMemory() - rt.freeMemory()) >> 20, scratch >> 20);
                }
            }
        }).fit(data, null, null);
        LOG.info("end: VmRSS {} MB, VmHWM {} MB", statusMb("VmRSS"), statusMb("VmHWM"));
    }
}
