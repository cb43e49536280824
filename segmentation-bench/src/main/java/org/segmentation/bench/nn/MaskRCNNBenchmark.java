package org.segmentation.bench.nn;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.segmentation.core.segment.InstanceSegmentation;
import org.segmentation.nn.Memory;
import org.segmentation.nn.model.MaskRCNN;
import org.segmentation.nn.optim.Adam;

/**
 * A Mask R-CNN ({@link MaskRCNNInputs#config}: {@code tiny} or {@code small}) on one fixed batch from
 * {@link MaskRCNNInputs}: a whole training step (zero the gradients, the five losses and their backward, Adam),
 * which keeps training the same model call after call as the PyTorch peer does, and inference (evaluation mode,
 * detections with their masks pasted into the image).
 *
 * <p>{@code seg bench} compares {@code trainStep} ({@code maskrcnn-train-step}) and {@code inference}
 * ({@code maskrcnn-inference}) with torchvision. The first values of the {@code @Param}s are the smallest, for the
 * CI smoke run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 4)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0",
    "-Dorg.bytedeco.javacpp.maxBytes=0"})
public class MaskRCNNBenchmark {
    /** The architecture, a name of {@link MaskRCNNInputs#config}. */
    @Param({"tiny", "small"})
    public String arch;
    @Param({"1", "2"})
    public int batch;
    @Param({"64", "128"})
    public int size;

    private MaskRCNN model;   // training mode, trained by trainStep
    private MaskRCNN eval;    // the same initial weights, used in evaluation mode
    private Adam optimizer;
    private MaskRCNNInputs.Batch data;
    private final Random sampling = new Random(MaskRCNNInputs.SEED);

    @Setup(Level.Trial)
    public void setUp() {
        model = new MaskRCNN(MaskRCNNInputs.config(arch), MaskRCNNInputs.SEED);
        model.setTraining(true);
        optimizer = Adam.adam(model.parameters(), MaskRCNNInputs.LEARNING_RATE, 0.9, 0.999, 1e-8, 0);
        eval = new MaskRCNN(MaskRCNNInputs.config(arch), MaskRCNNInputs.SEED);
        data = MaskRCNNInputs.batch(batch, size);
    }

    /** One optimizer step; returns the total loss. */
    @Benchmark
    public double trainStep() {
        model.parameters().zeroGradients();
        double loss = model.trainStep(data.images(), data.targets(), sampling).total();
        try (MemoryWorkspace ignored = Memory.scratch()) {
            optimizer.step();
        }
        return loss;
    }

    /** The batch's detections with pasted masks. */
    @Benchmark
    public List<InstanceSegmentation> inference() {
        return MaskRCNNInputs.infer(eval, data.images());
    }
}
