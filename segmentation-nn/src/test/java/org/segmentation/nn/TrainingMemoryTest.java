package org.segmentation.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.layers.BatchNorm2d;
import org.segmentation.nn.layers.Concat;
import org.segmentation.nn.layers.Conv2d;
import org.segmentation.nn.layers.ConvTranspose2x2;
import org.segmentation.nn.layers.MaxPool2x2;
import org.segmentation.nn.loss.CeDiceLoss;
import org.segmentation.nn.loss.Loss;
import org.segmentation.nn.loss.LossResult;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.optim.Optimizer;
import org.segmentation.nn.param.ParameterBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A short training run of layers wired by hand following {@link Memory} (each tensor freed after its last use,
 * temporaries in the scratch workspace): resident memory must stay flat and the loss must fall. The 1000-step
 * run with RSS at steps 100 and 1000 is segmentation-bench's TrainingMemory; the U-Net's peak is measured by
 * {@code org.segmentation.nn.train.UNetMemoryRun}.
 */
class TrainingMemoryTest {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingMemoryTest.class);

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void residentMemoryStaysFlatAndLossFalls() throws IOException {
        DataType dt = DataType.FLOAT;
        Random rng = new Random(3);
        ParameterBuffer.Builder b = ParameterBuffer.builder(dt);
        Conv2d conv1 = new Conv2d(b, "conv1", 3, 16, 3, rng);
        BatchNorm2d bn1 = new BatchNorm2d(b, "bn1", 16, true);
        MaxPool2x2 pool = new MaxPool2x2();
        ConvTranspose2x2 up = new ConvTranspose2x2(b, "up", 16, 16, rng);
        Concat cat = new Concat();
        Conv2d conv2 = new Conv2d(b, "conv2", 32, 3, 3, rng);
        ParameterBuffer params = b.build();
        Optimizer opt = Adam.adam(params, 0.01, 0.9, 0.999, 1e-8, 0);
        Loss loss = new CeDiceLoss();
        // a learnable target: the label is the channel of the largest input value
        INDArray x = org.segmentation.nn.testutil.GradCheck.gaussian(new Random(5), dt, 4, 3, 32, 32);
        INDArray labels = x.argMax(1);

        long rssWarm = 0;
        double first = 0;
        double last = 0;
        int steps = 150;
        int warm = 50;
        for (int step = 0; step < steps; step++) {
            params.zeroGradients();
            INDArray z = conv1.forward(x);
            INDArray skip = bn1.forward(z);                                     // BN + ReLU
            INDArray pooled = pool.forward(skip);
            INDArray u = up.forward(pooled);
            INDArray c = cat.forward(skip, u);
            Memory.free(u);
            INDArray logits = conv2.forward(c);
            LossResult r = loss.computeDetached(logits, labels);
            INDArray dLogits = r.dLogits();
            Memory.free(logits);
            Loss.requireFinite(r.loss(), step);
            INDArray dCat = conv2.backward(dLogits);
            Memory.free(dLogits, c);
            INDArray[] d = cat.backward(dCat);
            INDArray dPooled = up.backward(d[1]);
            Memory.free(dCat, pooled);
            pool.backward(dPooled, d[0]);                                       // dSkip += pool's gradient
            Memory.free(dPooled);
            INDArray dZ = bn1.backward(d[0]);
            Memory.free(d[0], z, skip);
            Memory.free(conv1.backward(dZ), dZ);
            try (MemoryWorkspace ws = Memory.scratch()) {
                opt.step();
            }
            if (step == 0) {
                first = r.loss();
            }
            last = r.loss();
            if (step == warm) {
                rssWarm = rssKb();
            }
        }
        long rssEnd = rssKb();
        LOG.info("RSS at step {}: {} MB, at step {}: {} MB; loss {} -> {}", warm, rssWarm / 1024, steps,
                rssEnd / 1024, first, last);
        // Each step allocates about 10 MB of tensors (the im2col columns of conv2 alone are 4·288·1024 floats),
        // so a leak would add ~1 GB over these 100 steps (with nothing freed and no workspace RSS measured +1.8 MB
        // per step even at this size). The Java heap is fixed and pre-touched by the surefire
        // configuration, so 16 MB leaves room only for JIT-compiled code and metaspace, which are not per step.
        assertTrue(rssEnd - rssWarm < 16 * 1024, "RSS grew from " + rssWarm + " kB to " + rssEnd + " kB");
        assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);
    }
}
