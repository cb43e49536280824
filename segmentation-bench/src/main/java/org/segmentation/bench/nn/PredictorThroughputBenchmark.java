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
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;

/**
 * Images per second that 1, 2, 4 and 8 threads get from one shared {@link Predictor} ({@code labels} of one
 * whole image), with {@code concurrency} 1 (the baseline: forward passes one at a time under the model's lock) and
 * 8 (one model copy per thread, forward passes in parallel). ND4J is given one thread per operation
 * ({@code Environment.setMaxThreads(1)}) in both, so that its own pool does not multiply the threads.
 *
 * <p>{@code kernelThreads} sets the threads of the engine's Java loops ({@link ParallelRanges}) in each call:
 * {@code shared} is the predictor's own rule (a lone pass uses every core, n passes at once get cores / n each), so
 * one calling thread already keeps the cores busy and more threads add only what one pass leaves idle; {@code 1}
 * runs each call's loops on its calling thread alone ({@link ParallelRanges#callWithThreads}), as a server with one
 * request thread per core would, so that the four methods measure how the passes scale across threads. The
 * scaling is read across the four methods at the same params:
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
    /** The Java loops' threads per call: {@code shared} (the predictor's rule) or {@code 1} (the calling thread). */
    @Param({"shared", "1"})
    public String kernelThreads;

    private Predictor predictor;
    private PlanarF32 image;
    private int threadLimit; // 0: the predictor's rule

    @Setup
    public void setUp() {
        Nd4j.getEnvironment().setMaxThreads(1);
        switch (kernelThreads) {
            case "shared" -> threadLimit = 0;
            case "1" -> threadLimit = 1;
            default -> throw new IllegalArgumentException("kernelThreads must be shared or 1, got " + kernelThreads);
        }
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
        return labels();
    }

    @Benchmark
    @Threads(2)
    public LabelMap threads2() {
        return labels();
    }

    @Benchmark
    @Threads(4)
    public LabelMap threads4() {
        return labels();
    }

    @Benchmark
    @Threads(8)
    public LabelMap threads8() {
        return labels();
    }

    private LabelMap labels() {
        return threadLimit == 0 ? predictor.labels(image)
                : ParallelRanges.callWithThreads(threadLimit, () -> predictor.labels(image));
    }
}
