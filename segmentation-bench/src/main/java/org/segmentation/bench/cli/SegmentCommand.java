package org.segmentation.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.segmentation.classic.kmeans.FeatureSpace;
import org.segmentation.classic.kmeans.KMeans;
import org.segmentation.classic.kmeans.KMeansConfig;
import org.segmentation.classic.region.FloodConfig;
import org.segmentation.classic.region.FloodFill;
import org.segmentation.classic.region.Pixel;
import org.segmentation.classic.region.SeededRegionGrowing;
import org.segmentation.classic.region.SrgConfig;
import org.segmentation.classic.segment.ClassicSegmenters;
import org.segmentation.classic.threshold.MultiOtsuOps;
import org.segmentation.classic.threshold.MultiOtsuResult;
import org.segmentation.classic.threshold.OtsuOps;
import org.segmentation.classic.threshold.ThresholdResult;
import org.segmentation.classic.watershed.SplitConfig;
import org.segmentation.classic.watershed.SplitResult;
import org.segmentation.classic.watershed.SplitTouching;
import org.segmentation.classic.watershed.Watershed;
import org.segmentation.classic.watershed.WatershedConfig;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.RgbU8;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.io.ImageInfo;
import org.segmentation.core.label.LabelOps;
import org.segmentation.core.ops.GradientOps;
import org.segmentation.core.visual.Overlay;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code seg segment}: one classic algorithm on one image file, writing the labels and an overlay.
 *
 * <p>With {@code --json}, stdout is one JSON object on one line: {@code algorithm}, {@code width},
 * {@code height}, {@code millis} (the algorithm alone, without reading or writing files), {@code regions}
 * (distinct non-zero labels), {@code thresholds} for otsu and multi-otsu, {@code iterations} and
 * {@code inertia} for k-means. Labels: 0 background, 1..n regions (for multi-otsu and k-means the class or
 * cluster plus one, darkest first). A missing or unreadable image is a failure (exit 1) whose one-line message
 * names the file; an option that does not fit is a usage error (exit 2).
 */
@Command(name = "segment", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Segment one image with a classic algorithm and write the labels and an overlay.",
            "Algorithms: otsu, multi-otsu (--classes), kmeans (-k, --seed, --space), region-grow and flood"
                    + " (--seeds, --tolerance for flood), watershed (--markers, --h), split-touching"
                    + " (--background-radius, --opening-radius, --min-distance, --dark-objects).",
            "Colour images are read as RGB by kmeans, region-grow and flood, as BT.601 gray by the others."})
final class SegmentCommand implements Callable<Integer> {
    /** The algorithms, with their command-line names. */
    enum Algorithm {
        OTSU("otsu"), MULTI_OTSU("multi-otsu"), KMEANS("kmeans"), REGION_GROW("region-grow"), FLOOD("flood"),
        WATERSHED("watershed"), SPLIT_TOUCHING("split-touching");

        final String cliName;

        Algorithm(String cliName) {
            this.cliName = cliName;
        }

        static Algorithm parse(String s) {
            for (Algorithm a : values()) {
                if (a.cliName.equals(s)) {
                    return a;
                }
            }
            List<String> names = new ArrayList<>();
            for (Algorithm a : values()) {
                names.add(a.cliName);
            }
            throw new CommandLine.TypeConversionException("unknown algorithm '" + s + "'; known: "
                    + String.join(", ", names));
        }
    }

    @Spec
    CommandSpec spec;

    /** More clusters than this would make k-means++ seeding (k passes over the image) run for hours. */
    static final int MAX_CLUSTERS = 256;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "Input image (PNG, JPEG, TIFF, BMP).")
    Path input;

    @Option(names = {"-a", "--algorithm"}, required = true, paramLabel = "NAME", converter = AlgorithmConverter.class,
            description = "otsu, multi-otsu, kmeans, region-grow, flood, watershed or split-touching.")
    Algorithm algorithm;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE",
            description = "Write the labels as a 16-bit PNG (raw label values).")
    Path out;

    @Option(names = "--overlay", paramLabel = "FILE", description = "Write the labels blended on the image (PNG).")
    Path overlay;

    @Option(names = "--json", description = "Print one JSON object on stdout instead of the text summary.")
    boolean json;

    @Option(names = "--max-pixels", paramLabel = "N",
            description = "Refuse images whose header declares more than N pixels (default: "
                    + ImageFiles.DEFAULT_MAX_PIXELS + ").")
    long maxPixels = ImageFiles.DEFAULT_MAX_PIXELS;

    @Option(names = "--classes", defaultValue = "3", paramLabel = "N",
            description = "multi-otsu: classes, 2..5 (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = {"-k", "--clusters"}, defaultValue = "4", paramLabel = "K",
            description = "kmeans: clusters (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S",
            description = "kmeans: random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--space", defaultValue = "rgb", paramLabel = "SPACE",
            description = "kmeans features for colour images: gray, rgb or lab (default: ${DEFAULT-VALUE}).")
    String space;

    @Option(names = "--seeds", paramLabel = "X,Y;X,Y",
            description = "region-grow, flood: seed pixels, e.g. \"10,20;200,40\"; seed i gets label i.")
    String seeds;

    @Option(names = "--tolerance", defaultValue = "10", paramLabel = "T",
            description = "flood: fill pixels within T of the seed's value (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--connectivity", paramLabel = "4|8",
            description = "Neighbourhood: 4 or 8 (default: 8 for split-touching, 4 for the others).")
    Integer connectivity;

    @Option(names = "--markers", defaultValue = "auto", paramLabel = "auto|FILE",
            description = "watershed: 'auto' for the h-minima of the Sobel magnitude, or a label PNG of the"
                    + " markers (0 = none) (default: ${DEFAULT-VALUE}).")
    String markers;

    @Option(names = "--h", defaultValue = "" + ClassicSegmenters.DEFAULT_H, paramLabel = "H",
            description = "watershed, automatic markers: depth of the h-minima; 0 for every regional minimum"
                    + " (default: ${DEFAULT-VALUE}).")
    int h;

    @Option(names = "--background-radius", defaultValue = "0", paramLabel = "R",
            description = "split-touching: top-hat radius removing uneven background, 0 for none"
                    + " (default: ${DEFAULT-VALUE}).")
    int backgroundRadius;

    @Option(names = "--opening-radius", defaultValue = "2", paramLabel = "R",
            description = "split-touching: opening radius cleaning the foreground (default: ${DEFAULT-VALUE}).")
    int openingRadius;

    @Option(names = "--min-distance", defaultValue = "10", paramLabel = "PX",
            description = "split-touching: least distance between object centres (default: ${DEFAULT-VALUE}).")
    int minDistance;

    @Option(names = "--dark-objects", description = "split-touching: objects are darker than the background.")
    boolean darkObjects;

    /** Picocli converter for {@link Algorithm}: an unknown name is a usage error listing the known ones. */
    static final class AlgorithmConverter implements CommandLine.ITypeConverter<Algorithm> {
        @Override
        public Algorithm convert(String value) {
            return Algorithm.parse(value);
        }
    }

    /** What one run found, for the summary and the JSON. */
    private static final class Outcome {
        LabelMap labels;
        double[] thresholds;
        Integer iterations;
        Double inertia;
        int regions;
    }

    @Override
    public Integer call() throws Exception {
        Connectivity conn = connectivity();
        checkOptions();
        CliFiles.checkOutputFile(out, "--out");
        CliFiles.checkOutputFile(overlay, "--overlay");
        if (!Files.isRegularFile(input)) {
            throw new FileNotFoundException("input image " + input + (Files.exists(input) ? " is not a file"
                    : " does not exist"));
        }
        ImageInfo info = ImageFiles.info(input);
        boolean colour = info.bands() >= 3 && !info.indexed()
                && (algorithm == Algorithm.KMEANS || algorithm == Algorithm.REGION_GROW
                        || algorithm == Algorithm.FLOOD);
        RgbU8 rgb = colour ? ImageFiles.readRgb(input, maxPixels) : null;
        GrayU8 gray = colour ? null : ImageFiles.readGrayU8(input, maxPixels);
        int width = colour ? rgb.width : gray.width;
        int height = colour ? rgb.height : gray.height;
        LabelMap markerLabels = null;
        if (algorithm == Algorithm.WATERSHED && !"auto".equals(markers)) {
            Path file = Path.of(markers);
            if (!Files.isRegularFile(file)) {
                throw new FileNotFoundException("marker image " + file + " does not exist");
            }
            markerLabels = ImageFiles.readLabels(file, maxPixels);
            if (markerLabels.width != width || markerLabels.height != height) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "marker image %s is %dx%d but %s is %dx%d", file, markerLabels.width,
                        markerLabels.height, input, width, height));
            }
        }
        List<Pixel> seedPixels = algorithm == Algorithm.REGION_GROW || algorithm == Algorithm.FLOOD
                ? seedPixels(width, height) : List.of();

        long t0 = System.nanoTime();
        Outcome o = run(gray, rgb, conn, markerLabels, seedPixels);
        double millis = (System.nanoTime() - t0) / 1e6;
        o.regions = LabelOps.countRegions(o.labels);

        if (out != null) {
            ImageFiles.writeLabels(o.labels, out);
        }
        if (overlay != null) {
            RgbU8 shown = colour ? Overlay.blend(rgb, o.labels, 0.45, null) : Overlay.blend(gray, o.labels, 0.45, null);
            ImageFiles.writePng(shown, overlay);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (json) {
            stdout.println(toJson(o, width, height, millis));
        } else {
            stdout.printf(Locale.ROOT, "%s on %s (%dx%d): %d regions%s in %.1f ms%n", algorithm.cliName, input,
                    width, height, o.regions, o.thresholds == null ? "" : ", thresholds "
                    + java.util.Arrays.toString(o.thresholds), millis);
        }
        return 0;
    }

    private Outcome run(GrayU8 gray, RgbU8 rgb, Connectivity conn, LabelMap markerLabels, List<Pixel> seedPixels) {
        Outcome o = new Outcome();
        switch (algorithm) {
            case OTSU -> {
                ThresholdResult r = OtsuOps.binarize(gray, null, null);
                o.labels = LabelOps.fromMask(r.mask(), null);
                o.thresholds = new double[] {r.threshold()};
            }
            case MULTI_OTSU -> {
                MultiOtsuResult r = MultiOtsuOps.segment(gray, classes, null);
                o.labels = r.labels();
                o.thresholds = java.util.Arrays.stream(r.thresholds()).asDoubleStream().toArray();
            }
            case KMEANS -> {
                FeatureSpace fs = rgb == null ? FeatureSpace.GRAY : featureSpace();
                KMeans kmeans = new KMeans(KMeansConfig.of(k).withSeed(seed));
                var r = rgb == null ? kmeans.segment(gray, 0.0, null) : kmeans.segment(rgb, fs, 0.0, null);
                o.labels = r.labelsByBrightness(fs);
                o.iterations = r.clustering().iterations();
                o.inertia = r.clustering().inertia();
            }
            case REGION_GROW -> {
                LabelMap seedLabels = new LabelMap(rgb == null ? gray.width : rgb.width,
                        rgb == null ? gray.height : rgb.height);
                for (int i = 0; i < seedPixels.size(); i++) {
                    seedLabels.set(seedPixels.get(i).x(), seedPixels.get(i).y(), i + 1);
                }
                SeededRegionGrowing srg = new SeededRegionGrowing(SrgConfig.of(conn, SrgConfig.Criterion.MEAN));
                o.labels = rgb == null ? srg.process(gray, seedLabels, null, null)
                        : srg.process(rgb, seedLabels, null, null);
            }
            case FLOOD -> {
                FloodFill fill = new FloodFill(FloodConfig.of(conn, tolerance));
                int w = rgb == null ? gray.width : rgb.width;
                int hgt = rgb == null ? gray.height : rgb.height;
                LabelMap labels = new LabelMap(w, hgt);
                Mask m = new Mask(w, hgt);
                // Seed i fills only what no earlier seed filled, so overlapping fills keep the first label.
                for (int i = 0; i < seedPixels.size(); i++) {
                    if (rgb == null) {
                        fill.process(gray, List.of(seedPixels.get(i)), null, m);
                    } else {
                        fill.process(rgb, List.of(seedPixels.get(i)), null, m);
                    }
                    for (int p = 0; p < labels.data.length; p++) {
                        if (m.data[p] != 0 && labels.data[p] == 0) {
                            labels.data[p] = i + 1;
                        }
                    }
                }
                o.labels = labels;
            }
            case WATERSHED -> {
                if (markerLabels == null) {
                    o.labels = ClassicSegmenters.sobelWatershed(gray, h, conn, null);
                } else {
                    GrayU8 elevation = GradientOps.sobelMagnitude(gray, null);
                    o.labels = new Watershed(WatershedConfig.of(conn)).process(elevation, markerLabels, null, null);
                }
            }
            case SPLIT_TOUCHING -> {
                SplitResult r = new SplitTouching(new SplitConfig(!darkObjects, backgroundRadius, openingRadius,
                        minDistance, conn)).process(gray, null);
                o.labels = r.labels();
                o.thresholds = new double[] {r.threshold()};
            }
            default -> throw new IllegalStateException("unhandled algorithm " + algorithm);
        }
        return o;
    }

    private String toJson(Outcome o, int width, int height, double millis) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode node = mapper.createObjectNode();
        node.put("algorithm", algorithm.cliName);
        node.put("input", input.toString());
        node.put("width", width);
        node.put("height", height);
        node.put("millis", millis);
        node.put("regions", o.regions);
        if (o.thresholds != null && algorithm != Algorithm.SPLIT_TOUCHING) {
            ArrayNode t = node.putArray("thresholds");
            for (double v : o.thresholds) {
                if (v == Math.rint(v)) {
                    t.add((long) v);
                } else {
                    t.add(v);
                }
            }
        }
        if (algorithm == Algorithm.SPLIT_TOUCHING) {
            node.put("threshold", (long) o.thresholds[0]);
        }
        if (o.iterations != null) {
            node.put("iterations", o.iterations);
            node.put("inertia", o.inertia);
        }
        if (out != null) {
            node.put("out", out.toString());
        }
        if (overlay != null) {
            node.put("overlay", overlay.toString());
        }
        return node.toString();
    }

    private Connectivity connectivity() {
        if (connectivity == null) {
            return algorithm == Algorithm.SPLIT_TOUCHING ? Connectivity.EIGHT : Connectivity.FOUR;
        }
        return switch (connectivity) {
            case 4 -> Connectivity.FOUR;
            case 8 -> Connectivity.EIGHT;
            default -> throw usage("--connectivity must be 4 or 8, got " + connectivity);
        };
    }

    /** Option values that cannot work, reported as usage errors before any file is read. */
    private void checkOptions() {
        if (maxPixels < 1) {
            throw usage("--max-pixels must be >= 1, got " + maxPixels);
        }
        switch (algorithm) {
            case MULTI_OTSU -> {
                if (classes < MultiOtsuOps.MIN_CLASSES || classes > MultiOtsuOps.MAX_CLASSES) {
                    throw usage("--classes must be in " + MultiOtsuOps.MIN_CLASSES + ".." + MultiOtsuOps.MAX_CLASSES
                            + ", got " + classes);
                }
            }
            case KMEANS -> {
                if (k < 1 || k > MAX_CLUSTERS) {
                    throw usage("-k must be in 1.." + MAX_CLUSTERS + ", got " + k);
                }
                featureSpace();
            }
            case REGION_GROW, FLOOD -> {
                if (seeds == null) {
                    throw usage(algorithm.cliName + " needs --seeds \"x,y;x,y\"");
                }
                parseSeeds(seeds);
                if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
                    throw usage("--tolerance must be a finite number >= 0, got " + tolerance);
                }
            }
            case WATERSHED -> {
                if (h < 0) {
                    throw usage("--h must be >= 0, got " + h);
                }
            }
            case SPLIT_TOUCHING -> {
                try {
                    new SplitConfig(!darkObjects, backgroundRadius, openingRadius, minDistance, Connectivity.EIGHT);
                } catch (IllegalArgumentException e) {
                    throw usage(e.getMessage());
                }
            }
            default -> {
            }
        }
    }

    private FeatureSpace featureSpace() {
        return switch (space.toLowerCase(Locale.ROOT)) {
            case "gray" -> FeatureSpace.GRAY;
            case "rgb" -> FeatureSpace.RGB;
            case "lab" -> FeatureSpace.LAB;
            default -> throw usage("--space must be gray, rgb or lab, got '" + space + "'");
        };
    }

    private List<Pixel> seedPixels(int width, int height) {
        List<Pixel> px = parseSeeds(seeds);
        for (Pixel p : px) {
            if (p.x() >= width || p.y() >= height) {
                throw usage(String.format(Locale.ROOT, "seed %d,%d lies outside the %dx%d image", p.x(), p.y(),
                        width, height));
            }
        }
        return px;
    }

    /** Parses {@code "x,y;x,y"}; non-negative integers. */
    private List<Pixel> parseSeeds(String text) {
        List<Pixel> out = new ArrayList<>();
        for (String part : text.split(";")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            String[] xy = p.split(",");
            try {
                if (xy.length != 2) {
                    throw new NumberFormatException();
                }
                int x = Integer.parseInt(xy[0].strip());
                int y = Integer.parseInt(xy[1].strip());
                if (x < 0 || y < 0) {
                    throw new NumberFormatException();
                }
                out.add(new Pixel(x, y));
            } catch (NumberFormatException e) {
                throw usage("--seeds: '" + p + "' is not x,y with non-negative integers");
            }
        }
        if (out.isEmpty()) {
            throw usage("--seeds holds no seed");
        }
        return out;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
