package org.segmentation.bench.classic;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.segmentation.bench.compare.Workload;
import org.segmentation.bench.compare.Workload.Peer;
import org.segmentation.classic.kmeans.FeatureSpace;
import org.segmentation.classic.kmeans.KMeans;
import org.segmentation.classic.kmeans.KMeansConfig;
import org.segmentation.classic.region.FloodConfig;
import org.segmentation.classic.region.FloodFill;
import org.segmentation.classic.region.Pixel;
import org.segmentation.classic.threshold.MultiOtsuOps;
import org.segmentation.classic.threshold.OtsuOps;
import org.segmentation.classic.watershed.Watershed;
import org.segmentation.classic.watershed.WatershedConfig;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.label.ConnectedComponents;

/**
 * The classic workloads of {@code seg bench}: each names its JMH benchmark, the sizes of a full and a quick run,
 * and its peers in {@code peers/classic_peers.py} (OpenCV told to use one thread, like ours). The input writer
 * also computes our check value the way the peer script computes its own.
 */
public final class ClassicWorkloads {
    /** The peer script of these workloads. */
    public static final String SCRIPT = "classic_peers.py";

    private static final Peer OPENCV = new Peer("opencv", SCRIPT, 1);
    private static final Peer SKIMAGE = new Peer("skimage", SCRIPT, 1);
    private static final String PKG = ClassicWorkloads.class.getPackageName() + ".";

    private ClassicWorkloads() {
    }

    /** All classic workloads, in report order. */
    public static List<Workload> all() {
        return List.of(
                new Workload("otsu", "Otsu threshold and binarisation of the mirror-tiled camera, 8-bit",
                        PKG + "OtsuBenchmark.binarize", size(4096), size(256), List.of(OPENCV, SKIMAGE),
                        (p, dir) -> {
                            int s = size(p);
                            ClassicInputs.write("otsu", s, dir);
                            return OtsuOps.threshold(ClassicInputs.gray(s), null);
                        }, null),
                new Workload("multi-otsu", "multi-Otsu, 3 classes: thresholds and class of every pixel",
                        PKG + "MultiOtsuBenchmark.segment", size(1024), size(256), List.of(SKIMAGE),
                        (p, dir) -> {
                            int s = size(p);
                            ClassicInputs.write("multi-otsu", s, dir);
                            return Arrays.stream(MultiOtsuOps.thresholds(ClassicInputs.gray(s),
                                    ClassicInputs.MULTI_OTSU_CLASSES)).boxed().toList();
                        }, null),
                new Workload("watershed", "watershed, 4-connected, of the Sobel magnitude from 196 grid markers"
                        + " (check: sum of the labels; cv2.watershed floods by neighbour differences of the"
                        + " elevation given as 3 channels and draws -1 lines, so only scikit-image computes the"
                        + " same labels)",
                        PKG + "WatershedBenchmark.watershed", size(1024), size(256), List.of(OPENCV, SKIMAGE),
                        (p, dir) -> {
                            int s = size(p);
                            ClassicInputs.write("watershed", s, dir);
                            int[] labels = new Watershed(WatershedConfig.of(Connectivity.FOUR)).process(
                                    ClassicInputs.sobel(s), ClassicInputs.gridMarkers(s), null, null).data;
                            return Arrays.stream(labels).asLongStream().sum();
                        }, null),
                new Workload("kmeans", "k-means of the astronaut's RGB pixels, k=4, k-means++, 10 iterations,"
                        + " 1 attempt, fixed seed (check: inertia; the seeds' random streams differ)",
                        PKG + "KMeansBenchmark.kmeans", size(512), size(128), List.of(OPENCV),
                        (p, dir) -> {
                            int s = size(p);
                            ClassicInputs.write("kmeans", s, dir);
                            double inertia = new KMeans(new KMeansConfig(ClassicInputs.KMEANS_K,
                                    ClassicInputs.KMEANS_ITERATIONS, 0.0, 1, ClassicInputs.KMEANS_SEED, 1))
                                    .segment(ClassicInputs.rgb(s), FeatureSpace.RGB, 0.0, null).clustering().inertia();
                            return Double.parseDouble(String.format(java.util.Locale.ROOT, "%.6g", inertia));
                        }, null),
                new Workload("flood", "flood fill, 4-connected, from a sky pixel, fixed range +-16"
                        + " (check: filled pixels)",
                        PKG + "FloodFillBenchmark.flood", size(1024), size(256), List.of(OPENCV, SKIMAGE),
                        (p, dir) -> {
                            int s = size(p);
                            ClassicInputs.write("flood", s, dir);
                            return new FloodFill(FloodConfig.of(Connectivity.FOUR, ClassicInputs.FLOOD_TOLERANCE))
                                    .process(ClassicInputs.gray(s), List.of(new Pixel(ClassicInputs.FLOOD_X,
                                            ClassicInputs.FLOOD_Y)), null, null).countOn();
                        }, null),
                new Workload("connected-components", "8-connected labelling of the Otsu-binarised tiled camera"
                        + " (check: components)",
                        PKG + "ConnectedComponentsBenchmark.label", size(2048), size(256), List.of(OPENCV, SKIMAGE),
                        (p, dir) -> {
                            int s = size(p);
                            ClassicInputs.write("connected-components", s, dir);
                            ConnectedComponents cc = new ConnectedComponents(Connectivity.EIGHT);
                            return cc.process(ClassicInputs.binary(s), null);
                        }, null));
    }

    private static Map<String, String> size(int s) {
        return Map.of("size", Integer.toString(s));
    }

    private static int size(Map<String, String> params) {
        return Integer.parseInt(params.get("size"));
    }
}
