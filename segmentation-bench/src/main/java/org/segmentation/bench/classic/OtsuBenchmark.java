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
import org.segmentation.classic.threshold.OtsuOps;
import org.segmentation.classic.threshold.ThresholdResult;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.Mask;

/**
 * Otsu's threshold of an 8-bit image, and the threshold plus binarisation (the peer: OpenCV's
 * {@code cv2.threshold(..., THRESH_BINARY | THRESH_OTSU)}). Input: {@link ClassicInputs#gray(int)}.
 * The first {@code size} is the smallest, for the CI smoke run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class OtsuBenchmark {
    @Param({"256", "4096"})
    int size;

    GrayU8 image;
    Mask mask;

    @Setup
    public void setUp() {
        image = ClassicInputs.gray(size);
        mask = new Mask(size, size);
    }

    /** Histogram and threshold only. */
    @Benchmark
    public int threshold() {
        return OtsuOps.threshold(image, null);
    }

    /** Threshold and binarisation into a reused mask. */
    @Benchmark
    public ThresholdResult binarize() {
        return OtsuOps.binarize(image, null, mask);
    }
}
