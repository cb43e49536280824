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
import org.segmentation.classic.watershed.Watershed;
import org.segmentation.classic.watershed.WatershedConfig;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;

/**
 * Marker-controlled watershed, 4-connected, on the Sobel magnitude of the tiled camera
 * ({@link ClassicInputs#sobel(int)}) from {@link ClassicInputs#GRID}{@code ^2} grid markers (the peers:
 * scikit-image's {@code watershed(elevation, markers, connectivity=1)} and OpenCV's {@code cv2.watershed}).
 * The markers are only read, so one copy serves every call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class WatershedBenchmark {
    @Param({"256", "1024"})
    int size;

    GrayU8 elevation;
    LabelMap markers;
    LabelMap labels;
    Watershed watershed;

    @Setup
    public void setUp() {
        elevation = ClassicInputs.sobel(size);
        markers = ClassicInputs.gridMarkers(size);
        labels = new LabelMap(size, size);
        watershed = new Watershed(WatershedConfig.of(Connectivity.FOUR));
    }

    @Benchmark
    public LabelMap watershed() {
        return watershed.process(elevation, markers, null, labels);
    }
}
