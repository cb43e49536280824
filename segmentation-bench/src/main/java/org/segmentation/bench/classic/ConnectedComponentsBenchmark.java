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
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.label.ConnectedComponents;

/**
 * 8-connected component labelling of the Otsu-binarised tiled camera ({@link ClassicInputs#binary(int)}) into
 * a reused label map (the peers: {@code cv2.connectedComponents(connectivity=8)} and scikit-image's
 * {@code measure.label(connectivity=2)}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConnectedComponentsBenchmark {
    @Param({"256", "2048"})
    int size;

    Mask mask;
    LabelMap labels;
    ConnectedComponents components;

    @Setup
    public void setUp() {
        mask = ClassicInputs.binary(size);
        labels = new LabelMap(size, size);
        components = new ConnectedComponents(Connectivity.EIGHT);
    }

    @Benchmark
    public LabelMap label() {
        return components.labels(mask, labels);
    }
}
