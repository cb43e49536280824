package org.segmentation.bench.nn;

import java.util.Random;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;

/**
 * Images per second that 1, 2, 4 and 8 threads get from one shared {@link Predictor} ({@code labels} of one
 * whole image), with {@code concurrency} 1 (the baseline: forward passes one at a time under the model's lock) and
 * 8 (one model copy per thread, forward passes in parallel). ND4J is given one thread per operation
 * ({@code Environment.setMaxThreads(1)}) in both, so that n predicting threads use n cores and do not multiply
 * with ND4J's own pool; the baseline's one thread then uses one core, as a server thread would. The scaling is
 * read across the four methods at the same params:
 * {@code SEG_MAIN=org.openjdk.jmh.Main segmentation-bench/seg.sh PredictorThroughputBenchmark -p arch=standard
 * -p size=256}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g"})
public class PredictorThroughputBenchmark {
    /** The architecture, a name of {@link UNetInputs#config(String)}. */
    @Param({"tiny", "standard"})
    public String arch;
    @Param({"64", "256"})
    public int size;
    /** Forward passes at once: 8 (one copy per thread), or 1 (the lock, the baseline). */
    @Param({"8", "1"})
    public int concurrency;

    private Predictor predictor;
    private PlanarF32 image;

    @Setup
    public void setUp() {
        Nd4j.getEnvironment().setMaxThreads(1);
        UNet model = new UNet(UNetInputs.config(arch), UNetInputs.SEED);
        model.setTraining(false);
        predictor = new Predictor(model, PredictorConfig.wholeImage().withConcurrency(concurrency));
        image = new PlanarF32(model.inputChannels(), size, size);
        Random rnd = new Random(UNetInputs.SEED);
        for (int i = 0; i < image.data.length; i++) {
            image.data[i] = rnd.nextFloat();
        }
    }

    @Benchmark
    @Threads(1)
    public LabelMap threads1() {
        return predictor.labels(image);
    }

    @Benchmark
    @Threads(2)
    public LabelMap threads2() {
        return predictor.labels(image);
    }

    @Benchmark
    @Threads(4)
    public LabelMap threads4() {
        return predictor.labels(image);
    }

    @Benchmark
    @Threads(8)
    public LabelMap threads8() {
        return predictor.labels(image);
    }
}
