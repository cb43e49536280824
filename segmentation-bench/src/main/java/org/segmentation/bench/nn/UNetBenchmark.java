package org.segmentation.bench.nn;

import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
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
import org.segmentation.nn.Memory;
import org.segmentation.nn.loss.Loss;
import org.segmentation.nn.loss.LossResult;
import org.segmentation.nn.loss.SoftmaxCrossEntropy;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.optim.Optimizer;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * The U-Net of the experiments ({@link UNetInputs#config()}) on one fixed batch from {@link UNetInputs}: a whole
 * training step (zero the gradients, forward, softmax cross-entropy, backward, Adam 1e-3), and inference
 * (evaluation mode, forward only, logits copied out), each following {@link Memory} as the trainer and the
 * predictor run them (loss and optimizer temporaries in the scratch workspace, logits and their gradient freed
 * explicitly), so memory stays flat. The training step keeps training the same model call after call,
 * as the PyTorch peer does.
 *
 * <p>{@code seg bench} compares {@code trainStep} at batch 8 of 64×64 ({@code unet-train-step}) and
 * {@code inference} at batch 8 of 128×128 ({@code unet-inference}) with PyTorch. The first values of the
 * {@code @Param}s are the smallest, for the CI smoke run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class UNetBenchmark {
    @Param({"2", "8"})
    public int batch;
    @Param({"16", "64", "128"})
    public int size;

    private UNet model;      // training mode, trained by trainStep
    private UNet eval;       // the same initial weights, evaluation mode
    private ParameterBuffer params;
    private Optimizer optimizer;
    private final Loss loss = new SoftmaxCrossEntropy();
    private INDArray x;      // (N,1,H,W)
    private INDArray labels; // (N,H,W) INT32
    private INDArray logits; // (N,3,H,W), inference's output, outside every workspace

    @Setup(Level.Trial)
    public void setUp() {
        model = new UNet(UNetInputs.config(), UNetInputs.SEED);
        model.setTraining(true);
        params = model.parameters();
        optimizer = Adam.adam(params, UNetInputs.LEARNING_RATE, 0.9, 0.999, 1e-8, 0);
        eval = new UNet(UNetInputs.config(), UNetInputs.SEED);
        eval.setTraining(false);
        float[] images = UNetInputs.images(batch, size);
        x = Nd4j.create(images, new long[] {batch, 1, size, size}, DataType.FLOAT);
        labels = Nd4j.createFromArray(UNetInputs.labels(images)).reshape(batch, size, size);
        logits = Nd4j.create(DataType.FLOAT, batch, eval.outputChannels(), size, size);
    }

    /** One optimizer step; returns its loss. */
    @Benchmark
    public double trainStep() {
        params.zeroGradients();
        INDArray out = model.forward(x);
        LossResult r;
        INDArray dLogits;
        try (MemoryWorkspace ignored = Memory.scratch()) {
            r = loss.compute(out, labels);
            dLogits = Memory.detachedCopy(r.dLogits());
        }
        Memory.free(out);
        model.backward(dLogits);
        Memory.free(dLogits);
        try (MemoryWorkspace ignored = Memory.scratch()) {
            optimizer.step();
        }
        return r.loss();
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
