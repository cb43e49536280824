package org.segmentation.bench.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.StepWorkspace;
import org.segmentation.nn.layers.BatchNorm2d;
import org.segmentation.nn.layers.Conv2d;
import org.segmentation.nn.layers.MaxPool2x2;
import org.segmentation.nn.layers.Relu;
import org.segmentation.nn.layers.ConvTranspose2x2;
import org.segmentation.nn.layers.Concat;
import org.segmentation.nn.loss.CeDiceLoss;
import org.segmentation.nn.loss.Loss;
import org.segmentation.nn.loss.LossResult;
import org.segmentation.nn.optim.Optimizer;
import org.segmentation.nn.optim.Sgd;
import org.segmentation.nn.param.ParameterBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 1000 forward + backward + update steps of a small conv stack (conv3x3 16 -> BN -> ReLU -> pool -> up-conv ->
 * concat -> conv3x3 -> CE+Dice, SGD-Nesterov) on a (8,3,64,64) batch, reporting the resident set size
 * (VmRSS of /proc/self/status) at steps 100 and 1000. Pass {@code --no-workspace} to run the same loop without
 * {@link StepWorkspace} for comparison. This is a measurement, not a benchmark of speed. The profile's default
 * JVM options fix and pre-touch a 256 MB Java heap, so that RSS growth measures off-heap (ND4J) memory rather
 * than the heap's pages being touched for the first time (which alone added ~260 MB over 1000 steps).
 *
 * <pre>
 * JAVA_OPTS="-Xms256m -Xmx256m -XX:+AlwaysPreTouch" SEG_MAIN=org.segmentation.bench.nn.TrainingMemoryRun \
 *     MVN_FLAGS=-o segmentation-bench/seg.sh --workspace 1000
 * </pre>
 */
public final class TrainingMemoryRun {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingMemoryRun.class);

    private TrainingMemoryRun() {
    }

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    public static void main(String[] args) throws IOException {
        boolean workspace = args.length == 0 || !args[0].equals("--no-workspace");
        LOG.info("max Java heap {} MB", Runtime.getRuntime().maxMemory() >> 20);
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        DataType dt = DataType.FLOAT;
        Random rng = new Random(1);
        ParameterBuffer.Builder b = ParameterBuffer.builder(dt);
        Conv2d conv1 = new Conv2d(b, "conv1", 3, 16, 3, rng);
        BatchNorm2d bn1 = new BatchNorm2d(b, "bn1", 16);
        Relu relu = new Relu();
        MaxPool2x2 pool = new MaxPool2x2();
        ConvTranspose2x2 up = new ConvTranspose2x2(b, "up", 16, 16, rng);
        Concat cat = new Concat();
        Conv2d conv2 = new Conv2d(b, "conv2", 32, 4, 3, rng);
        ParameterBuffer params = b.build();
        Optimizer opt = new Sgd(params, 0.05, 0.9, true, 1e-4);
        Loss loss = new CeDiceLoss();
        INDArray x = Nd4j.rand(dt, 8, 3, 64, 64);
        INDArray labels = x.argMax(1); // learnable: the channel with the largest value (0..2 of 4 classes)

        long start = System.nanoTime();
        long rss100 = 0;
        double lossValue = 0;
        for (int step = 1; step <= steps; step++) {
            MemoryWorkspace ws = workspace ? StepWorkspace.open() : null;
            try {
                params.zeroGradients();
                INDArray skip = relu.forward(bn1.forward(conv1.forward(x)));
                INDArray logits = conv2.forward(cat.forward(skip, up.forward(pool.forward(skip))));
                LossResult r = loss.compute(logits, labels);
                lossValue = Loss.requireFinite(r.loss(), step);
                INDArray[] d = cat.backward(conv2.backward(r.dLogits()));
                INDArray dSkip = d[0].addi(pool.backward(up.backward(d[1])));
                conv1.backward(bn1.backward(relu.backward(dSkip)));
                opt.step();
            } finally {
                if (ws != null) {
                    ws.close();
                }
            }
            if (step == 100) {
                rss100 = rssKb();
            }
            if (step % 100 == 0) {
                Runtime rt = Runtime.getRuntime();
                LOG.info("step {} loss {} RSS {} MB (Java heap committed {} MB, used {} MB), {} ms/step", step,
                        lossValue, rssKb() / 1024, rt.totalMemory() >> 20, (rt.totalMemory() - rt.freeMemory()) >> 20,
                        (System.nanoTime() - start) / 1_000_000 / step);
            }
        }
        long rssEnd = rssKb();
        LOG.info("workspace={} RSS at step 100: {} MB, at step {}: {} MB, growth {} MB", workspace, rss100 / 1024,
                steps, rssEnd / 1024, (rssEnd - rss100) / 1024);
    }
}
