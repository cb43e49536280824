package org.segmentation.bench.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;

/**
 * The prediction soak: in a fresh JVM, {@code --predictions} calls of one {@link Predictor}'s {@code labels} on a
 * whole {@code --size}² image with a U-Net ({@link UNetInputs#config(String)}), then one JSON line on stdout:
 *
 * <pre>
 * {"peak_rss_mb": VmHWM, "rss_mb": {"1000": VmRSS after call 1000, ...}, "rss_growth": (last - at 1000) / at 1000,
 *  "heap_committed_mb": {"1000": the Java heap's committed size then, ...},
 *  "gc_count": {"1000": garbage collections so far, ...},
 *  "predictions": .., "ms_per_prediction": .., "check": [labels of the first call, summed]}
 * </pre>
 *
 * <p>RSS as in {@link TrainingMemory}, every {@code --every} calls (default 1000). The committed heap tells the
 * Java heap's growth (the garbage collector's sizing) apart from off-heap growth. With a young generation too
 * large to fill (e.g. {@code -Xms5g -Xmx5g -Xmn4800m -XX:+AlwaysPreTouch}) no collection runs, and the growth of
 * RSS between two reports is the off-heap memory that calls leave for the collector. The issue-14 acceptance is RSS at 10,000 calls within 5% of RSS at 1,000:
 *
 * <pre>
 * JAVA_OPTS=-Xmx1g SEG_MAIN=org.segmentation.bench.nn.PredictionMemory MVN_FLAGS=-o segmentation-bench/seg.sh \
 *     --arch tiny --size 256 --predictions 10000
 * </pre>
 */
public final class PredictionMemory {
    private PredictionMemory() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> opts = TrainingMemory.options(args);
        String arch = opts.getOrDefault("arch", "tiny");
        int size = Integer.parseInt(opts.getOrDefault("size", "256"));
        int predictions = Integer.parseInt(opts.getOrDefault("predictions", "10000"));
        int every = Integer.parseInt(opts.getOrDefault("every", "1000"));
        if (size < 1 || predictions < 1 || every < 1) {
            throw new IllegalArgumentException("--size, --predictions and --every must be >= 1");
        }
        UNet model = new UNet(UNetInputs.config(arch), UNetInputs.SEED);
        model.setTraining(false);
        Predictor predictor = new Predictor(model, PredictorConfig.wholeImage());
        PlanarF32 image = new PlanarF32(model.inputChannels(), size, size);
        Random rnd = new Random(UNetInputs.SEED);
        for (int i = 0; i < image.data.length; i++) {
            image.data[i] = rnd.nextFloat();
        }
        Map<Integer, Long> rssKb = new LinkedHashMap<>();
        Map<Integer, Long> heapBytes = new LinkedHashMap<>();
        Map<Integer, Long> collections = new LinkedHashMap<>();
        long check = 0;
        long start = System.nanoTime();
        for (int call = 1; call <= predictions; call++) {
            LabelMap labels = predictor.labels(image);
            if (call == 1) {
                for (int v : labels.data) {
                    check += v;
                }
            }
            if (call % every == 0 || call == predictions) {
                long rss = TrainingMemory.statusKb(Files.readString(Path.of("/proc/self/status")), "VmRSS");
                rssKb.put(call, rss);
                heapBytes.put(call, Runtime.getRuntime().totalMemory());
                collections.put(call, collections());
                System.err.printf(Locale.ROOT, "call %d RSS %d MB, Java heap committed %d MB%n", call, rss >> 10,
                        heapBytes.get(call) >> 20);
            }
        }
        double ms = (System.nanoTime() - start) / 1e6 / predictions;
        String status = Files.readString(Path.of("/proc/self/status"));
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT, "{\"peak_rss_mb\": %.1f, \"rss_mb\": {",
                TrainingMemory.statusKb(status, "VmHWM") / 1024.0));
        String sep = "";
        for (Map.Entry<Integer, Long> e : rssKb.entrySet()) {
            json.append(String.format(Locale.ROOT, "%s\"%d\": %.1f", sep, e.getKey(), e.getValue() / 1024.0));
            sep = ", ";
        }
        json.append("}, \"heap_committed_mb\": {");
        sep = "";
        for (Map.Entry<Integer, Long> e : heapBytes.entrySet()) {
            json.append(String.format(Locale.ROOT, "%s\"%d\": %.1f", sep, e.getKey(), e.getValue() / 1048576.0));
            sep = ", ";
        }
        json.append("}, \"gc_count\": {");
        sep = "";
        for (Map.Entry<Integer, Long> e : collections.entrySet()) {
            json.append(String.format(Locale.ROOT, "%s\"%d\": %d", sep, e.getKey(), e.getValue()));
            sep = ", ";
        }
        json.append('}');
        Long at1000 = rssKb.get(1000);
        if (at1000 != null && predictions > 1000) {
            json.append(String.format(Locale.ROOT, ", \"rss_growth\": %.4f", TrainingMemory.growth(at1000,
                    rssKb.get(predictions))));
        }
        json.append(String.format(Locale.ROOT, ", \"predictions\": %d, \"ms_per_prediction\": %.2f, \"arch\": \"%s\","
                + " \"check\": [%d]}", predictions, ms, arch, check));
        System.out.println(json);
    }

    /** Collections so far, all collectors. */
    private static long collections() {
        long n = 0;
        for (java.lang.management.GarbageCollectorMXBean b
                : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, b.getCollectionCount());
        }
        return n;
    }
}
