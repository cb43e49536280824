package org.segmentation.bench.nn;

import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.segmentation.nn.Memory;
import org.segmentation.nn.layers.BatchNorm2d;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * Batch norm with the fused ReLU as the U-Net trains it: forward in training mode (batch statistics, running
 * averages updated), then backward, on float32 activations of the U-Net benchmark's shapes: {@code "N,C,size"},
 * the first the smallest (CI's smoke run), then the tiny net's first level (8, 16, 64²) and the standard net's
 * (4, 32, 256²). Output and input gradient are freed after each call ({@link Memory}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class BatchNormBenchmark {
    @Param({"2,8,16", "8,16,64", "4,32,256"})
    public String shape;

    private BatchNorm2d bn;
    private ParameterBuffer params;
    private INDArray x;
    private INDArray dY;

    @Setup
    public void setUp() {
        String[] s = shape.split(",");
        int n = Integer.parseInt(s[0]), c = Integer.parseInt(s[1]), size = Integer.parseInt(s[2]);
        ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.FLOAT);
        bn = new BatchNorm2d(b, "bn", c, true);
        params = b.build();
        Nd4j.getRandom().setSeed(7);
        x = Nd4j.randn(DataType.FLOAT, n, c, size, size);
        dY = Nd4j.randn(DataType.FLOAT, n, c, size, size);
    }

    /** Forward then backward; returns the sum of the gamma and beta gradients so far. */
    @Benchmark
    public double trainForwardBackward() {
        INDArray y = bn.forward(x);
        INDArray dX = bn.backward(dY);
        Memory.free(y, dX);
        return params.gradients().getDouble(0);
    }
}
