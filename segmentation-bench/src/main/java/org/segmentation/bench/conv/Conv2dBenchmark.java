package org.segmentation.bench.conv;

import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
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
import org.openjdk.jmh.infra.Blackhole;
import org.segmentation.nn.Memory;
import org.segmentation.nn.conv.Conv2dAlgorithm;

/**
 * Our convolution kernels ({@link ConvInputs#ours()}) beside ND4J's own conv2d and conv2d_bp (oneDNN on this
 * build), same shapes, same run. Time per call; GFLOP/s = 2·N·K·C·k²·H·W / time for each of forward,
 * backward-data and backward-weights (the ND4J backward computes both plus the bias, so its figure is 2× that
 * FLOP count over its time). Our kernels run inside the {@link Memory#scratch} workspace as in training, so their temporaries
 * reuse memory.
 *
 * <p>Each pass is timed alone: {@link #backwardData} and {@link #backwardWeights} run no forward first, and every
 * call gets a fresh algorithm instance ({@link #freshAlgorithm}). Our algorithms keep nothing between calls
 * ({@link Conv2dAlgorithm}), so each pass does all its own work, as in a training step.
 *
 * <pre>
 * SEG_MAIN=org.openjdk.jmh.Main MVN_FLAGS=-o segmentation-bench/seg.sh Conv2dBenchmark -p n=8 -p cin=64 \
 *     -p channels=64 -p size=128
 * </pre>
 *
 * <p>JMH runs every combination of the {@code @Param} values, so each of the U-Net shapes (C_in -> C, e.g. 3 -> 32
 * at 256²) is one run with one value per parameter; {@code seg bench} runs them as the cases of its
 * {@code conv-forward}, {@code conv-backward-data} and {@code conv-backward-weights} workloads, and
 * {@link ConvSummary} tabulates the JSON results of a plain JMH run.
 *
 * <p>Inputs come from {@link ConvInputs}, which also writes them for the PyTorch peer of {@code seg bench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
// the columns of one call are 300 MB; JavaCPP caps off-heap memory relative to -Xmx, so give the fork room
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g"})
public class Conv2dBenchmark {
    // First values: the smallest shape, for the CI smoke run; last: the reference shape compared with PyTorch.
    @Param({"1", "8"})
    public int n;
    /** Input channels C_in. */
    @Param({"8", "64"})
    public int cin;
    /** Output channels C. */
    @Param({"8", "64"})
    public int channels;
    @Param({"16", "128"})
    public int size;
    @Param({"3"})
    public int kernel;

    private INDArray x;
    private INDArray w;
    private INDArray b;
    private INDArray y;
    private INDArray dY;
    private INDArray dX;
    private INDArray dW;
    private INDArray dB;
    private INDArray refY;
    private INDArray refDx;
    private INDArray refDw;
    private INDArray refDb;
    private Conv2dAlgorithm ours;
    private int[] nd4jArgs;

    @Setup(Level.Trial)
    public void setUp() {
        ConvInputs in = new ConvInputs(n, cin, channels, size, kernel);
        x = in.x();
        w = in.w();
        b = in.b();
        dY = in.dY();
        y = Nd4j.create(DataType.FLOAT, n, channels, size, size);
        dX = Nd4j.create(DataType.FLOAT, n, cin, size, size);
        dW = Nd4j.create(DataType.FLOAT, channels, cin, kernel, kernel);
        dB = Nd4j.create(DataType.FLOAT, channels);
        refY = Nd4j.create(DataType.FLOAT, n, channels, size, size);
        refDx = Nd4j.create(DataType.FLOAT, n, cin, size, size);
        refDw = Nd4j.create(DataType.FLOAT, channels, cin, kernel, kernel);
        refDb = Nd4j.create(DataType.FLOAT, channels);
        // kH, kW, sH, sW, pH, pW, dH, dW, same mode off, NCHW, weights [oC, iC, kH, kW]
        nd4jArgs = new int[] {kernel, kernel, 1, 1, kernel / 2, kernel / 2, 1, 1, 0, 0, 1};
    }

    /** A new instance of our algorithm for every call: nothing cached by an earlier call (cheap to make). */
    @Setup(Level.Invocation)
    public void freshAlgorithm() {
        ours = ConvInputs.ours();
    }

    @Benchmark
    public INDArray forward() {
        try (MemoryWorkspace ignored = Memory.scratch()) {
            ours.forward(x, w, b, y);
        }
        return y;
    }

    @Benchmark
    public INDArray backwardData() {
        try (MemoryWorkspace ignored = Memory.scratch()) {
            ours.backwardData(dY, w, dX);
        }
        return dX;
    }

    /** The weights' and the bias's gradients, zeroed first as once per step (they accumulate). */
    @Benchmark
    public INDArray backwardWeights() {
        dW.assign(0);
        dB.assign(0);
        try (MemoryWorkspace ignored = Memory.scratch()) {
            ours.backwardWeights(x, dY, dW, dB);
        }
        return dW;
    }

    /**
     * What a training step does for one layer: forward, backward-data and backward-weights (gradients zeroed
     * first, as once per step).
     */
    @Benchmark
    public void step(Blackhole bh) {
        dW.assign(0);
        dB.assign(0);
        try (MemoryWorkspace ignored = Memory.scratch()) {
            ours.forward(x, w, b, y);
            ours.backwardData(dY, w, dX);
            ours.backwardWeights(x, dY, dW, dB);
        }
        bh.consume(y);
        bh.consume(dX);
        bh.consume(dW);
    }

    @Benchmark
    public INDArray nd4jConv2d() {
        Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(x, w, b).addOutputs(refY)
                .addIntegerArguments(nd4jArgs).build());
        return refY;
    }

    /** ND4J's backward: both gradients (input and weights) and the bias's in one call. */
    @Benchmark
    public INDArray nd4jConv2dBp() {
        Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(x, w, b, dY).addOutputs(refDx, refDw, refDb)
                .addIntegerArguments(nd4jArgs).build());
        return refDx;
    }
}
