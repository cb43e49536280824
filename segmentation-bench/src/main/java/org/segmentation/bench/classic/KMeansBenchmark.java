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
import org.segmentation.classic.kmeans.FeatureSpace;
import org.segmentation.classic.kmeans.KMeans;
import org.segmentation.classic.kmeans.KMeansConfig;
import org.segmentation.classic.kmeans.KMeansSegmentation;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.RgbU8;

/**
 * k-means colour segmentation of the astronaut ({@link ClassicInputs#rgb(int)}), RGB features, k = 4,
 * k-means++ seeding, 10 Lloyd iterations at most (epsilon 0), one attempt, fixed seed, one thread (the peer:
 * {@code cv2.kmeans} with {@code KMEANS_PP_CENTERS} and the same criteria, {@code cv2.setNumThreads(1)}).
 * Feature extraction from the image is inside the timed call on both sides.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class KMeansBenchmark {
    @Param({"128", "512"})
    int size;

    RgbU8 image;
    LabelMap labels;
    KMeans kmeans;

    @Setup
    public void setUp() {
        image = ClassicInputs.rgb(size);
        labels = new LabelMap(size, size);
        kmeans = new KMeans(new KMeansConfig(ClassicInputs.KMEANS_K, ClassicInputs.KMEANS_ITERATIONS, 0.0, 1,
                ClassicInputs.KMEANS_SEED, 1));
    }

    @Benchmark
    public KMeansSegmentation kmeans() {
        return kmeans.segment(image, FeatureSpace.RGB, 0.0, labels);
    }
}
