package org.segmentation.bench.classic;

import java.util.concurrent.TimeUnit;
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
import org.segmentation.classic.threshold.MultiOtsuOps;
import org.segmentation.classic.threshold.MultiOtsuResult;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;

/**
 * Multi-Otsu with {@link ClassicInputs#MULTI_OTSU_CLASSES} classes: thresholds and the class of every pixel
 * (the peer: scikit-image's {@code threshold_multiotsu} then {@code np.digitize}). Input:
 * {@link ClassicInputs#gray(int)}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MultiOtsuBenchmark {
    @Param({"256", "1024"})
    int size;

    GrayU8 image;
    LabelMap labels;

    @Setup
    public void setUp() {
        image = ClassicInputs.gray(size);
        labels = new LabelMap(size, size);
    }

    @Benchmark
    public MultiOtsuResult segment() {
        return MultiOtsuOps.segment(image, ClassicInputs.MULTI_OTSU_CLASSES, labels);
    }
}
