package org.segmentation.bench.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import org.segmentation.bench.nn.PredictionMemory;
import org.segmentation.bench.nn.UNetInputs;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.predict.InputNormalization;
import org.segmentation.nn.task.TrainedUNet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code seg experiment predict-memory}: the prediction soak, each run in a fresh JVM whose VmRSS is read from
 * outside. {@code files}: one {@code seg predict} over {@code --files} PNG images (plus one, so that the process
 * is still alive when the last measured file is done) with an untrained tiny U-Net, VmRSS read after every file's
 * output line. {@code predictor}: {@link PredictionMemory}, {@code --calls} calls of one {@code Predictor}.
 */
@Command(name = "predict-memory", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prediction memory over many calls, each run in a fresh JVM: 'seg predict' over --files"
                + " images, and one Predictor over --calls calls; VmRSS every --every files or calls.",
            "Writes OUT/predict-memory.json."})
public final class PredictMemoryCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--out"}, defaultValue = "out/experiment-predict-memory", paramLabel = "DIR",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--mode", defaultValue = "both", paramLabel = "MODE",
            description = "files, predictor or both (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--files", defaultValue = "2000", paramLabel = "N",
            description = "Images for 'seg predict' (default: ${DEFAULT-VALUE}).")
    int files;

    @Option(names = "--calls", defaultValue = "2000", paramLabel = "N",
            description = "Calls of one Predictor (default: ${DEFAULT-VALUE}).")
    int calls;

    @Option(names = "--every", defaultValue = "1000", paramLabel = "N",
            description = "Report VmRSS every N files or calls (default: ${DEFAULT-VALUE}).")
    int every;

    @Option(names = "--size", defaultValue = "256", paramLabel = "PX",
            description = "Image side, tiny U-Net (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--java-options", defaultValue = "", paramLabel = "OPTS",
            description = "JVM options of the children, space-separated (default: none, the JVM's defaults).")
    String javaOptions;

    @Option(names = "--class-path", paramLabel = "CP",
            description = "Class path of the children (default: this JVM's), e.g. another build's, to compare.")
    String classPath;

    @Override
    public Integer call() throws Exception {
        if (!List.of("files", "predictor", "both").contains(mode)) {
            throw usage("--mode must be files, predictor or both, got " + mode);
        }
        if (files < 1 || files > 100_000 || calls < 1 || calls > 1_000_000 || every < 1 || size < 16
                || size > 2048) {
            throw usage("--files must be in 1..100000, --calls in 1..1000000, --every >= 1 and --size in 16..2048");
        }
        String cp = classPath != null ? classPath : System.getProperty("java.class.path");
        PrintWriter stdout = spec.commandLine().getOut();
        Files.createDirectories(out);
        ObjectNode result = JSON.createObjectNode();
        result.put("java_options", javaOptions).put("size", size);
        if (!mode.equals("predictor")) {
            result.set("seg_predict", predictFiles(cp, stdout));
        }
        if (!mode.equals("files")) {
            result.set("predictor", predictor(cp, stdout));
        }
        Files.writeString(out.resolve("predict-memory.json"), result.toPrettyString() + "\n");
        stdout.println(result);
        return 0;
    }

    /** One {@code seg predict} over files + 1 images; VmRSS after every output line. */
    private ObjectNode predictFiles(String cp, PrintWriter log) throws IOException, InterruptedException {
        Path images = out.resolve("images");
        Files.createDirectories(images);
        List<String> args = new ArrayList<>(List.of("predict", "-m", out.resolve("model").toString(), "-o",
                out.resolve("predicted").toString(), "--json"));
        Random rnd = new Random(UNetInputs.SEED);
        GrayU8 im = new GrayU8(size, size);
        for (int i = 0; i <= files; i++) {
            Path f = images.resolve(String.format(Locale.ROOT, "image-%06d.png", i));
            if (!Files.exists(f)) {
                for (int j = 0; j < im.data.length; j++) {
                    im.data[j] = (byte) rnd.nextInt(256);
                }
                ImageFiles.writePng(im, f);
            }
            args.add(f.toString());
        }
        UNet net = new UNet(UNetInputs.config("tiny"), UNetInputs.SEED);
        new TrainedUNet(net, InputNormalization.unit(net.inputChannels()),
                TrainedUNet.defaultClassNames(net.outputChannels())).save(out.resolve("model"));

        ProcessBuilder pb = new ProcessBuilder(ChildRss.javaCommand(cp, javaOptions,
                "org.segmentation.bench.cli.SegCli", args));
        pb.redirectError(out.resolve("seg-predict.stderr").toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        ObjectNode rss = JSON.createObjectNode();
        long peak = 0;
        int done = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.startsWith("{")) {
                    continue;
                }
                done++;
                long kb = ChildRss.rssKb(p);
                peak = Math.max(peak, kb);
                if (done <= files && (done % every == 0 || done == files)) {
                    rss.put(Integer.toString(done), kb / 1024.0);
                    log.printf(Locale.ROOT, "seg predict: file %d, VmRSS %.1f MB%n", done, kb / 1024.0);
                    log.flush();
                }
            }
        }
        int exit = p.waitFor();
        if (exit != 0 || done != files + 1) {
            throw new IllegalStateException("seg predict exited with " + exit + " after " + done + " of "
                    + (files + 1) + " images; see " + out.resolve("seg-predict.stderr"));
        }
        ObjectNode node = JSON.createObjectNode();
        node.put("files", files);
        node.set("rss_mb", rss);
        node.put("peak_observed_rss_mb", peak / 1024.0);
        node.put("seconds", (System.nanoTime() - t0) / 1e9);
        return node;
    }

    /** {@link PredictionMemory} in a child; its JSON line. */
    private JsonNode predictor(String cp, PrintWriter log) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--arch", "tiny", "--size", Integer.toString(size),
                "--predictions", Integer.toString(calls)));
        if (every != 1000) {
            args.addAll(List.of("--every", Integer.toString(every)));
        }
        ProcessBuilder pb = new ProcessBuilder(ChildRss.javaCommand(cp, javaOptions,
                PredictionMemory.class.getName(), args));
        Path err = out.resolve("predictor.stderr");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String last = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("{")) {
                    last = line;
                }
            }
        }
        int exit = p.waitFor();
        if (exit != 0 || last == null) {
            throw new IllegalStateException("PredictionMemory exited with " + exit + "; see " + err);
        }
        JsonNode node = JSON.readTree(last);
        log.printf(Locale.ROOT, "Predictor: VmRSS %s MB%n", node.get("rss_mb"));
        return node;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
