package org.segmentation.bench.nn;

import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.segmentation.nn.Memory;
import org.segmentation.nn.loss.Loss;
import org.segmentation.nn.loss.SoftmaxCrossEntropy;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.optim.Optimizer;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * A U-Net ({@link UNetInputs#config(String)}: {@code tiny}, {@code standard} or {@code wide}) on one fixed batch
 * from {@link UNetInputs}: a whole training step (zero the gradients, forward, softmax cross-entropy, backward,
 * Adam 1e-3), and inference (evaluation mode, forward only, logits copied out), each following {@link Memory} as
 * the trainer and the predictor run them (loss and optimizer temporaries in the scratch workspace, logits and
 * their gradient freed explicitly), so memory stays flat. The training step keeps training the same
 * model call after call, as the PyTorch peer does.
 *
 * <p>The trial's setup first makes up to {@value #WARM_CALLS} untimed calls of the benchmark it is for (at most
 * {@value #WARM_SECONDS} s of them), then JMH's warm-up iterations run. The engine's loops are compiled by the JIT
 * over the first 20 to 30 tiny training steps (on the 2-core AMD guest: a median of 233 ms over steps 0-25, 171 ms
 * over 25-50, 158-180 ms to step 300); JMH's warm-up is counted in seconds, and 5 to 8 one-second iterations of
 * the tiny step's first, slow calls end near step 20, so the measured calls were still partly compiling. A training
 * run makes thousands of steps, so the steady state is what compares with PyTorch, whose kernels are compiled
 * ahead of time (its peer makes 2 untimed calls). The standard and wide nets, 1 to 7 s a step, reach their 30 s
 * first.
 *
 * <p>{@code seg bench} compares {@code trainStep} ({@code unet-train-step}) and {@code inference}
 * ({@code unet-inference}) with PyTorch at tiny, batch 8 of 64²; standard, batch 4 of 256²; wide, batch 2 of
 * 256². The first values of the {@code @Param}s are the smallest, for the CI smoke run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
// JavaCPP's physical-memory cap (a multiple of -Xmx) stops the standard and wide nets within their first steps;
// lifted here, as speed is what this measures (TrainingMemory measures memory, with the default cap)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0",
    "-Dorg.bytedeco.javacpp.maxBytes=0"})
public class UNetBenchmark {
    /** The architecture, a name of {@link UNetInputs#config(String)}. */
    @Param({"tiny", "standard", "wide"})
    public String arch;
    @Param({"2", "8", "4"})
    public int batch;
    @Param({"16", "64", "256"})
    public int size;

    private UNet model;      // training mode, trained by trainStep
    private UNet eval;       // the same initial weights, evaluation mode
    private ParameterBuffer params;
    private Optimizer optimizer;
    private final Loss loss = new SoftmaxCrossEntropy();
    private INDArray x;      // (N,C,H,W)
    private INDArray labels; // (N,H,W) INT32
    private INDArray logits; // (N,3,H,W), inference's output, outside every workspace

    /** Untimed calls of the setup, at most. */
    static final int WARM_CALLS = 40;
    /** Seconds of untimed calls of the setup, at most. */
    static final int WARM_SECONDS = 30;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams benchmark) {
        prepare();
        warmUp(benchmark.getBenchmark().endsWith(".trainStep"));
    }

    /** The models, the optimizer and the batch. */
    void prepare() {
        UNetConfig config = UNetInputs.config(arch);
        model = new UNet(config, UNetInputs.SEED);
        model.setTraining(true);
        params = model.parameters();
        optimizer = Adam.adam(params, UNetInputs.LEARNING_RATE, 0.9, 0.999, 1e-8, 0);
        eval = new UNet(config, UNetInputs.SEED);
        eval.setTraining(false);
        x = UNetInputs.x(config, batch, size);
        labels = UNetInputs.labels(config, batch, size);
        logits = Nd4j.create(DataType.FLOAT, batch, eval.outputChannels(), size, size);
    }

    /** The setup's untimed calls of {@link #trainStep} or {@link #inference}; returns how many it made. */
    int warmUp(boolean training) {
        long until = System.nanoTime() + WARM_SECONDS * 1_000_000_000L;
        int calls = 0;
        while (calls < WARM_CALLS && System.nanoTime() < until) {
            if (training) {
                trainStep();
            } else {
                inference();
            }
            calls++;
        }
        return calls;
    }

    /** One optimizer step; returns its loss. */
    @Benchmark
    public double trainStep() {
        return UNetInputs.trainStep(model, loss, optimizer, x, labels);
    }

    /** The logits of the batch in evaluation mode. */
    @Benchmark
    public INDArray inference() {
        INDArray out = eval.forward(x);
        logits.assign(out);
        Memory.free(out);
        return logits;
    }
}
