package org.segmentation.bench.classic;

import java.util.List;
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
import org.segmentation.classic.region.FloodConfig;
import org.segmentation.classic.region.FloodFill;
import org.segmentation.classic.region.Pixel;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.Mask;

/**
 * 4-connected flood fill from one seed in the sky of the tiled camera, filling every pixel within
 * {@link ClassicInputs#FLOOD_TOLERANCE} of the seed's value (the peers: OpenCV's {@code cv2.floodFill} with
 * {@code FLOODFILL_FIXED_RANGE | FLOODFILL_MASK_ONLY} and scikit-image's {@code flood}). The output mask is
 * reused; the fill clears it first.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FloodFillBenchmark {
    @Param({"256", "1024"})
    int size;

    GrayU8 image;
    Mask mask;
    FloodFill flood;
    List<Pixel> seeds;

    @Setup
    public void setUp() {
        image = ClassicInputs.gray(size);
        mask = new Mask(size, size);
        flood = new FloodFill(FloodConfig.of(Connectivity.FOUR, ClassicInputs.FLOOD_TOLERANCE));
        seeds = List.of(new Pixel(ClassicInputs.FLOOD_X, ClassicInputs.FLOOD_Y));
    }

    @Benchmark
    public Mask flood() {
        return flood.process(image, seeds, null, mask);
    }
}
