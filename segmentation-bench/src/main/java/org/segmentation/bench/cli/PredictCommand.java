package org.segmentation.bench.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.image.RgbU8;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.io.NpyFiles;
import org.segmentation.core.io.Tensor;
import org.segmentation.core.label.LabelOps;
import org.segmentation.core.segment.InstanceSegmentation;
import org.segmentation.core.segment.SegmenterInput;
import org.segmentation.core.visual.Overlay;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.predict.InstanceConfig;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;
import org.segmentation.nn.task.TrainedMaskRCNN;
import org.segmentation.nn.task.TrainedUNet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code seg predict}: runs a trained U-Net on image files and writes, per image {@code NAME.*}, into
 * {@code --out}: {@code NAME.labels.png} (16-bit, raw labels: the class, 0 background; or with
 * {@code --instances} the cell, 0 background, 1..n cells), {@code NAME.overlay.png}, and with
 * {@code --probabilities} {@code NAME.probabilities.npy} (float32, (K, H, W)).
 *
 * <p>With a Mask R-CNN model ({@code "architecture": "maskrcnn"}), it writes per image
 * {@code NAME.instances.png} (16-bit instance labels, 0 background, 1..n by descending score),
 * {@code NAME.instances.json} (per instance: {@code id}, {@code class}, {@code class_name}, {@code score},
 * {@code box} [x1, y1, x2, y2]) and {@code NAME.overlay.png} (instances and their boxes), and with {@code --coco}
 * one COCO results file for all images. The U-Net options (tiles, flips, probabilities, watershed) do not apply.
 *
 * <p>With {@code --json}, stdout holds one JSON object per image, one per line: {@code algorithm} ("unet"),
 * {@code input}, {@code width}, {@code height}, {@code millis} (prediction alone), {@code regions} (distinct
 * non-zero labels). A missing or malformed model folder or image is a failure (exit 1) naming it.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Segment images with a U-Net trained by 'seg train'.",
            "Writes NAME.labels.png and NAME.overlay.png (and NAME.probabilities.npy) per image into --out."})
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "DIR",
            description = "Model folder (config.json + weights), or a 'seg train --out' folder.")
    Path model;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Input images (PNG, JPEG, TIFF, BMP).")
    List<Path> inputs;

    @Option(names = {"-o", "--out"}, defaultValue = ".", paramLabel = "DIR",
            description = "Output folder (default: the current folder).")
    Path out;

    @Option(names = "--probabilities", description = "Also write the class probabilities as NAME.probabilities.npy.")
    boolean probabilities;

    @Option(names = "--tile", defaultValue = "0", paramLabel = "SIZE",
            description = "Predict in SIZE x SIZE tiles blended with Gaussian weights, up to 2048 (the"
                    + " library's PredictorConfig.MAX_TILE); 0 for the whole image, which is tiled by itself above"
                    + " 1024x1024 (default: ${DEFAULT-VALUE}).")
    int tile;

    @Option(names = "--overlap", paramLabel = "PX",
            description = "Overlap of neighbouring tiles, in [0, SIZE) (default: half a tile).")
    Integer overlap;

    @Option(names = "--max-pixels", paramLabel = "N",
            description = "Refuse images whose header declares more than N pixels (default: "
                    + ImageFiles.DEFAULT_MAX_PIXELS + ").")
    long maxPixels = ImageFiles.DEFAULT_MAX_PIXELS;

    @Option(names = "--tta", description = "Average over the four flips (test-time augmentation).")
    boolean tta;

    @Option(names = "--instances",
            description = "Cells from a 3-class model (background, interior, boundary) by a watershed.")
    boolean instances;

    @Option(names = "--json", description = "Print one JSON object per image on stdout instead of the summary.")
    boolean json;

    @Option(names = "--coco", paramLabel = "FILE",
            description = "Mask R-CNN: also write the detections of all images as a COCO results JSON to FILE,"
                    + " image ids by file name from --coco-images, else 1..n in argument order.")
    Path cocoResults;

    @Option(names = "--coco-images", paramLabel = "FILE",
            description = "Mask R-CNN with --coco: the COCO instances JSON whose images (by file name) give the"
                    + " image ids, so that 'seg evaluate --coco' can score the results.")
    Path cocoImages;

    @Override
    public Integer call() throws Exception {
        if (TrainedMaskRCNN.describes(model)) {
            return predictInstances();
        }
        if (cocoResults != null || cocoImages != null) {
            throw usage("--coco and --coco-images need a Mask R-CNN model; " + model + " is a U-Net");
        }
        PredictorConfig pc;
        if (tile < 0 || tile > PredictorConfig.MAX_TILE) {
            throw usage("--tile must be in 0.." + PredictorConfig.MAX_TILE + " (0 = whole image), got " + tile);
        }
        if (overlap != null && tile == 0) {
            throw usage("--overlap needs --tile");
        }
        if (overlap != null && (overlap < 0 || overlap >= tile)) {
            throw usage("--overlap must be in [0, " + tile + ") for --tile " + tile + ", got " + overlap);
        }
        if (maxPixels < 1) {
            throw usage("--max-pixels must be >= 1, got " + maxPixels);
        }
        CliFiles.checkOutputDirectory(out, "--out");
        try {
            pc = tile > 0 ? PredictorConfig.tiled(tile) : PredictorConfig.wholeImage();
            if (overlap != null) {
                pc = pc.withTileOverlap(overlap);
            }
            pc = pc.withFlipTta(tta);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        TrainedUNet trained = TrainedUNet.load(model);
        UNet net = trained.network();
        if (instances && net.outputChannels() != 3) {
            throw usage("--instances needs a 3-class model (background, interior, boundary); " + model + " has "
                    + net.outputChannels() + " output channel(s)");
        }
        Predictor predictor;
        try {
            predictor = new Predictor(net, pc);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        Files.createDirectories(out);
        PrintWriter stdout = spec.commandLine().getOut();
        for (Path input : inputs) {
            PlanarF32 unit = trained.read(input, maxPixels);
            PlanarF32 image = trained.normalization().apply(unit);
            long t0 = System.nanoTime();
            LabelMap labels = instances ? predictor.instances(image, InstanceConfig.defaults())
                    : predictor.labels(image);
            double millis = (System.nanoTime() - t0) / 1e6;
            int regions = LabelOps.countRegions(labels);
            String stem = stem(input);
            ImageFiles.writeLabels(labels, out.resolve(stem + ".labels.png"));
            SegmenterInput view = new SegmenterInput(stem, unit);
            RgbU8 overlay = image.channels == 3 ? Overlay.blend(view.rgb(), labels, 0.45, null)
                    : Overlay.blend(view.gray(), labels, 0.45, null);
            ImageFiles.writePng(overlay, out.resolve(stem + ".overlay.png"));
            if (probabilities) {
                NpyFiles.write(Tensor.of(predictor.probabilities(image)), out.resolve(stem + ".probabilities.npy"));
            }
            if (json) {
                ObjectNode node = JsonNodeFactory.instance.objectNode();
                node.put("algorithm", UNet.ARCHITECTURE + (instances ? "-instances" : ""));
                node.put("input", input.toString());
                node.put("width", image.width);
                node.put("height", image.height);
                node.put("millis", millis);
                node.put("regions", regions);
                stdout.println(node);
            } else {
                stdout.printf(Locale.ROOT, "%s (%dx%d): %d %s in %.1f ms%n", input, image.width, image.height,
                        regions, instances ? "cells" : "classes present", millis);
            }
        }
        return 0;
    }

    /** The Mask R-CNN path: instances, their classes and boxes, overlays, and optionally COCO results. */
    private int predictInstances() throws java.io.IOException {
        if (tile > 0 || overlap != null || tta || instances || probabilities) {
            throw usage("--tile, --overlap, --tta, --instances and --probabilities apply to U-Nets; " + model
                    + " is a Mask R-CNN");
        }
        if (cocoImages != null && cocoResults == null) {
            throw usage("--coco-images needs --coco FILE");
        }
        java.util.Map<String, Long> ids = new java.util.HashMap<>();
        if (cocoImages != null) {
            for (org.segmentation.core.coco.CocoDataset.Image img : org.segmentation.core.coco.CocoDataset.read(
                    cocoImages, null).images().values()) {
                ids.put(Path.of(img.fileName()).getFileName().toString(), img.id());
            }
        }
        TrainedMaskRCNN trained = TrainedMaskRCNN.load(model);
        Files.createDirectories(out);
        PrintWriter stdout = spec.commandLine().getOut();
        java.util.Map<Long, InstanceSegmentation> results = new java.util.LinkedHashMap<>();
        for (int n = 0; n < inputs.size(); n++) {
            Path input = inputs.get(n);
            Long id = (long) (n + 1);
            if (cocoImages != null) {
                id = ids.get(input.getFileName().toString());
                if (id == null) {
                    throw new java.io.FileNotFoundException("image " + input.getFileName() + " is not among the"
                            + " images of " + cocoImages);
                }
            }
            PlanarF32 unit = trained.read(input);
            long t0 = System.nanoTime();
            InstanceSegmentation found = trained.segment(unit);
            double millis = (System.nanoTime() - t0) / 1e6;
            results.put(id, found);
            String stem = stem(input);
            ImageFiles.writeLabels(found.labels(), out.resolve(stem + ".instances.png"));
            com.fasterxml.jackson.databind.node.ArrayNode list = JsonNodeFactory.instance.arrayNode();
            for (int i = 0; i < found.size(); i++) {
                ObjectNode o = list.addObject().put("id", i + 1).put("class", found.classes()[i])
                        .put("class_name", trained.classNames().get(found.classes()[i]))
                        .put("score", found.scores()[i]);
                com.fasterxml.jackson.databind.node.ArrayNode box = o.putArray("box");
                for (int k = 0; k < 4; k++) {
                    box.add(found.boxes()[4 * i + k]);
                }
            }
            org.segmentation.core.io.AtomicFiles.write(out.resolve(stem + ".instances.json"),
                    ch -> ch.write(java.nio.ByteBuffer.wrap((list + "\n").getBytes(
                            java.nio.charset.StandardCharsets.UTF_8))));
            SegmenterInput view = new SegmenterInput(stem, unit);
            RgbU8 overlay = unit.channels == 3 ? Overlay.instances(view.rgb(), found, 0.45, null)
                    : Overlay.instances(view.gray(), found, 0.45, null);
            ImageFiles.writePng(overlay, out.resolve(stem + ".overlay.png"));
            if (json) {
                ObjectNode node = JsonNodeFactory.instance.objectNode();
                node.put("algorithm", org.segmentation.nn.model.MaskRCNN.ARCHITECTURE);
                node.put("input", input.toString());
                node.put("width", unit.width);
                node.put("height", unit.height);
                node.put("millis", millis);
                node.put("instances", found.size());
                stdout.println(node);
            } else {
                stdout.printf(Locale.ROOT, "%s (%dx%d): %d instances in %.1f ms%n", input, unit.width, unit.height,
                        found.size(), millis);
            }
        }
        if (cocoResults != null) {
            org.segmentation.core.coco.CocoResults.write(cocoResults, results);
        }
        return 0;
    }

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
