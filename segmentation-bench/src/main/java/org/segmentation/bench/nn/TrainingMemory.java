package org.segmentation.bench.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.bench.conv.ConvInputs;
import org.segmentation.nn.loss.Loss;
import org.segmentation.nn.loss.SoftmaxCrossEntropy;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.optim.Optimizer;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * Memory of training, our side of {@code seg bench}'s {@code unet-train-memory}: in a fresh JVM, {@code --steps}
 * training steps of a U-Net ({@link UNetInputs#config(String)}) on one fixed batch, exactly as
 * {@link UNetBenchmark#trainStep} does them ({@link UNetInputs#trainStep}, Adam 1e-3), then one JSON line on
 * stdout:
 *
 * <pre>
 * {"peak_rss_mb": VmHWM, "rss_mb": {"100": VmRSS after step 100, ..., "&lt;steps&gt;": after the last},
 *  "rss_growth": (last - at 100) / at 100, "steps": .., "ms_per_step": .., "check": ["first step's loss"]}
 * </pre>
 *
 * <p>VmHWM and VmRSS come from {@code /proc/self/status} (Linux): the peak and the current resident set of the
 * whole process, Java heap, JVM and ND4J's off-heap memory together. {@code seg bench} starts it with
 * {@code -Xmx1g} and JavaCPP's default off-heap limits; run alone, e.g. for the long mode that checks that RSS
 * stays flat from step 100 to step 1000:
 *
 * <pre>
 * JAVA_OPTS=-Xmx1g SEG_MAIN=org.segmentation.bench.nn.TrainingMemory MVN_FLAGS=-o segmentation-bench/seg.sh \
 *     --arch standard --batch 4 --size 256 --steps 1000
 * </pre>
 */
public final class TrainingMemory {
    private TrainingMemory() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> opts = options(args);
        String arch = opts.getOrDefault("arch", "standard");
        int batch = Integer.parseInt(opts.getOrDefault("batch", "4"));
        int size = Integer.parseInt(opts.getOrDefault("size", "256"));
        int steps = Integer.parseInt(opts.getOrDefault("steps", "100"));
        if (batch < 1 || size < 1 || steps < 1) {
            throw new IllegalArgumentException("--batch, --size and --steps must be >= 1");
        }
        UNetConfig config = UNetInputs.config(arch);
        UNet model = new UNet(config, UNetInputs.SEED);
        model.setTraining(true);
        ParameterBuffer params = model.parameters();
        Optimizer optimizer = Adam.adam(params, UNetInputs.LEARNING_RATE, 0.9, 0.999, 1e-8, 0);
        Loss loss = new SoftmaxCrossEntropy();
        INDArray x = UNetInputs.x(config, batch, size);
        INDArray labels = UNetInputs.labels(config, batch, size);

        Map<Integer, Long> rssKb = new LinkedHashMap<>();
        double firstLoss = Double.NaN;
        long start = System.nanoTime();
        for (int step = 1; step <= steps; step++) {
            double value;
            value = Loss.requireFinite(UNetInputs.trainStep(model, loss, optimizer, x, labels), step);
            if (step == 1) {
                firstLoss = value;
            }
            if (step % 100 == 0 || step == steps) {
                long rss = statusKb(readStatus(), "VmRSS");
                rssKb.put(step, rss);
                System.err.printf(Locale.ROOT, "step %d loss %.4f RSS %d MB%n", step, value, rss >> 10);
            }
        }
        double msPerStep = (System.nanoTime() - start) / 1e6 / steps;
        String status = readStatus();
        StringBuilder json = new StringBuilder();
        json.append(String.format(Locale.ROOT, "{\"peak_rss_mb\": %.1f, \"rss_mb\": {", statusKb(status, "VmHWM")
                / 1024.0));
        String sep = "";
        for (Map.Entry<Integer, Long> e : rssKb.entrySet()) {
            json.append(String.format(Locale.ROOT, "%s\"%d\": %.1f", sep, e.getKey(), e.getValue() / 1024.0));
            sep = ", ";
        }
        json.append('}');
        Long at100 = rssKb.get(100);
        if (at100 != null && steps > 100) {
            json.append(String.format(Locale.ROOT, ", \"rss_growth\": %.4f", growth(at100, rssKb.get(steps))));
        }
        json.append(String.format(Locale.ROOT, ", \"steps\": %d, \"ms_per_step\": %.1f, \"arch\": \"%s\","
                + " \"check\": [\"%s\"]}", steps, msPerStep, arch, ConvInputs.digits(firstLoss)));
        System.out.println(json);
    }

    /** Relative growth {@code (later - earlier) / earlier}. */
    static double growth(long earlier, long later) {
        return (later - earlier) / (double) earlier;
    }

    /** {@code --name value} pairs. */
    static Map<String, String> options(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("expected --name value pairs (--arch, --batch, --size, --steps),"
                        + " got '" + args[i] + "'");
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        return opts;
    }

    private static String readStatus() throws IOException {
        return Files.readString(Path.of("/proc/self/status"));
    }

    /**
     * The value in kB of a field of a {@code /proc/<pid>/status} text, e.g. {@code VmHWM:   123456 kB}.
     *
     * @throws IllegalArgumentException if the field is missing or not in kB
     */
    public static long statusKb(String status, String field) {
        for (String line : status.split("\n")) {
            if (line.startsWith(field + ":")) {
                String[] parts = line.substring(field.length() + 1).strip().split("\\s+");
                if (parts.length != 2 || !parts[1].equals("kB")) {
                    throw new IllegalArgumentException("expected '" + field + ": <n> kB', got '" + line + "'");
                }
                return Long.parseLong(parts[0]);
            }
        }
        throw new IllegalArgumentException("no " + field + " in the status text");
    }
}
