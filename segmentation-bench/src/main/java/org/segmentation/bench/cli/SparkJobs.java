package org.segmentation.bench.cli;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.core.metrics.ConfusionMatrix;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.predict.InputNormalization;
import org.segmentation.nn.spark.ModelBytes;
import org.segmentation.nn.spark.SegmenterFactory;
import org.segmentation.nn.spark.SparkEvaluation;
import org.segmentation.nn.spark.SparkSegmentation;
import org.segmentation.nn.spark.SparkTraining;
import org.segmentation.nn.spark.UNetSetup;
import org.segmentation.nn.task.TrainedUNet;

/**
 * The Spark side of {@link SparkCommand}: every reference to a Spark class is here, so that the command classes
 * load without Spark on the class path.
 */
final class SparkJobs {
    private SparkJobs() {
    }

    /**
     * A session on {@code master}, or on the one spark-submit set when null. Under {@code seg.sh} the log binding is
     * slf4j-simple, at INFO by default: Spark's, Hadoop's and Netty's loggers are set to WARN unless the user set
     * them (slf4j-simple reads a logger's level when the logger is created, which is after this).
     */
    static SparkSession session(String master, String app) {
        for (String name : new String[] {"org.apache", "org.sparkproject", "io.netty"}) {
            String key = "org.slf4j.simpleLogger.log." + name;
            if (System.getProperty(key) == null) {
                System.setProperty(key, "warn");
            }
        }
        SparkSession.Builder b = SparkSession.builder().appName(app);
        if (master != null) {
            b.master(master);
        }
        return b.getOrCreate();
    }

    static int segment(PrintWriter out, String master, String input, Path outDir, String algorithm, Path model,
            boolean instances, int partitions, boolean json) throws IOException {
        try (SparkSession spark = session(master, "seg spark segment")) {
            SegmenterFactory factory = model != null
                    ? ModelBytes.segmenterFactory(ModelBytes.broadcast(sc(spark), model),
                            UNet.ARCHITECTURE + (instances ? "-instances" : ""), instances)
                    : SegmenterFactory.classic(algorithm);
            long t0 = System.nanoTime();
            Dataset<Row> rows = SparkSegmentation.segment(spark, input, factory, outDir, partitions);
            double seconds = (System.nanoTime() - t0) / 1e9;
            try {
                long images = rows.count();
                Dataset<Row> failed = rows.filter(col("error").isNotNull());
                long errors = failed.count();
                Row mean = rows.agg(avg("millis")).first();
                double millis = mean.isNullAt(0) ? Double.NaN : mean.getDouble(0);
                int tasks = rows.javaRDD().getNumPartitions();
                if (json) {
                    ObjectNode o = JsonNodeFactory.instance.objectNode();
                    o.put("master", spark.sparkContext().master());
                    o.put("images", images);
                    o.put("errors", errors);
                    o.put("tasks", tasks);
                    o.put("seconds", seconds);
                    o.put("images_per_second", images / seconds);
                    o.put("mean_segment_millis", millis);
                    out.println(o);
                } else {
                    out.printf(Locale.ROOT, "%d images (%d errors) in %.2f s on %s, %d tasks: %.1f images/s;"
                            + " segmenting alone %.2f ms per image%n", images, errors, seconds,
                            spark.sparkContext().master(), tasks, images / seconds, millis);
                    for (Row r : failed.limit(10).collectAsList()) {
                        out.println("  " + r.getAs("error"));
                    }
                }
            } finally {
                rows.unpersist();
            }
        }
        return 0;
    }

    static int evaluate(PrintWriter out, String master, String predictions, String masks, int classes, int ignore,
            boolean json) throws IOException {
        try (SparkSession spark = session(master, "seg spark evaluate")) {
            ConfusionMatrix cm = SparkEvaluation.confusion(spark, predictions, masks, classes,
                    ignore < 0 ? IgnoreLabel.NONE : IgnoreLabel.of(ignore));
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("classes", classes);
                o.put("pixels", cm.total());
                o.put("mean_iou", cm.meanIoU());
                o.put("dice", cm.meanDice());
                o.put("pixel_accuracy", cm.pixelAccuracy());
                out.println(o);
            } else {
                out.printf(Locale.ROOT, "%d pixels, %d classes: mean IoU %.4f, Dice %.4f, pixel accuracy %.4f%n",
                        cm.total(), classes, cm.meanIoU(), cm.meanDice(), cm.pixelAccuracy());
            }
        }
        return 0;
    }

    static int train(PrintWriter out, String master, SparkCommand.Train o) throws IOException {
        UNetSetup setup = (o.data != null ? UNetSetup.onFolder(o.data).withClasses(o.classes)
                : UNetSetup.onSyntheticCells(o.synthetic, o.size))
                .withModel(o.depth, o.baseFilters).withSchedule(o.batchSize, o.epochs, o.steps, o.learningRate)
                .withSeed(o.seed);
        try (SparkSession spark = session(master, "seg spark train")) {
            long t0 = System.nanoTime();
            SparkTraining.Result r = SparkTraining.fit(sc(spark), setup, o.workers, o.localSteps, o.out, null);
            double seconds = (System.nanoTime() - t0) / 1e9;
            UNet net = (UNet) r.model();
            TrainedUNet trained = new TrainedUNet(net, InputNormalization.unit(net.inputChannels()),
                    TrainedUNet.defaultClassNames(net.outputChannels() == 1 ? 2 : net.outputChannels()));
            Path modelDir = o.out.resolve(TrainedUNet.MODEL_DIR);
            trained.save(modelDir);
            double[] losses = r.roundLosses();
            if (o.json) {
                ObjectNode j = JsonNodeFactory.instance.objectNode();
                j.put("master", spark.sparkContext().master());
                j.put("workers", o.workers);
                j.put("local_steps", o.localSteps);
                j.put("rounds", r.rounds());
                j.put("steps_per_worker", r.stepsPerWorker());
                j.put("rounds_this_run", losses.length);
                j.put("last_round_loss", losses.length == 0 ? Double.NaN : losses[losses.length - 1]);
                j.put("seconds", seconds);
                j.put("model", modelDir.toString());
                out.println(j);
            } else {
                out.printf(Locale.ROOT, "%d rounds of %d workers x %d steps (%d this run) in %.1f s; training loss"
                        + " %s; model in %s%n", r.rounds(), o.workers, o.localSteps, losses.length, seconds,
                        losses.length == 0 ? "-" : String.format(Locale.ROOT, "%.4f -> %.4f", losses[0],
                                losses[losses.length - 1]), modelDir);
            }
        }
        return 0;
    }

    /**
     * Wall-clock times of whole Spark jobs, in one JVM: local[1] and local[2] alternate {@code repeats} times
     * (each session stopped before the next starts, each job preceded by an untimed warm-up job), so that both
     * see the same machine load. A Spark context is one per JVM and a job spans threads, which JMH cannot fork
     * or measure; hence the plain clock around each job.
     */
    static int throughput(PrintWriter out, SparkCommand.Throughput o) throws IOException {
        Path scratch = o.out.resolve("labels");
        String input = (o.images != null ? o.images : syntheticCells(o.out.resolve("cells"), o.count, o.size))
                .toString();
        Path model = o.model;
        if (model == null) {
            model = o.out.resolve("model");
            UNet net = new UNet(UNetConfig.of(1, 3).withDepth(o.depth).withBaseFilters(o.baseFilters), 0);
            new TrainedUNet(net, InputNormalization.unit(1), TrainedUNet.defaultClassNames(3)).save(model);
        }
        int repeats = o.repeats;
        List<double[]> pairs = new ArrayList<>();
        long images = 0;
        double[] overhead = null;
        for (int rep = 0; rep < repeats; rep++) {
            double[] t = new double[2];
            for (int cores = 1; cores <= 2; cores++) {
                try (SparkSession spark = session("local[" + cores + "]", "seg spark throughput")) {
                    SegmenterFactory f = ModelBytes.segmenterFactory(ModelBytes.broadcast(sc(spark), model), "unet",
                            false);
                    timeJob(spark, input, f, scratch, 8); // warm-up
                    double[] r = timeJob(spark, input, f, scratch, 8);
                    t[cores - 1] = r[0];
                    images = (long) r[1];
                    if (cores == 1 && rep == 0) {
                        overhead = overhead(spark, input, f, scratch);
                    }
                }
            }
            pairs.add(t);
            out.printf(Locale.ROOT, "repeat %d: %d images, local[1] %.2f s, local[2] %.2f s, speed-up %.2fx%n",
                    rep + 1, images, t[0], t[1], t[0] / t[1]);
        }
        double[] speedups = pairs.stream().mapToDouble(p -> p[0] / p[1]).sorted().toArray();
        double[] one = pairs.stream().mapToDouble(p -> p[0]).sorted().toArray();
        double median1 = one[one.length / 2];
        double perTask = overhead[0];
        double emptyTask = overhead[1];
        double fixed = overhead[2];
        double perImage = (median1 - fixed - 8 * perTask) / images;
        out.printf(Locale.ROOT, "speed-up local[2] / local[1]: median %.2fx (min %.2f, max %.2f) over %d pairs%n",
                speedups[speedups.length / 2], speedups[0], speedups[speedups.length - 1], speedups.length);
        out.printf(Locale.ROOT, "local[1]: %.1f images/s; per image %.2f ms; per task %.1f ms (of which Spark's"
                + " empty task %.2f ms); fixed per job %.0f ms%n", images / median1, perImage * 1e3, perTask * 1e3,
                emptyTask * 1e3, fixed * 1e3);
        out.println("projection for 1,000,000 such images in tasks of 1000 images, one core per task:");
        out.println("| executor cores | images/s | hours |");
        out.println("|---:|---:|---:|");
        for (int cores : new int[] {8, 64, 512}) {
            long n = 1_000_000;
            long tasks = n / 1000;
            double seconds = fixed + (n * perImage + tasks * perTask) / cores;
            out.printf(Locale.ROOT, "| %d | %.0f | %.2f |%n", cores, n / seconds, seconds / 3600);
        }
        return 0;
    }

    /**
     * {@code count} synthetic cell images of {@code size} pixels square as a folder dataset: 8-bit PNGs in
     * {@code root/images}, their 3-class masks (background, interior, boundary) in {@code root/masks}.
     *
     * @return the images folder
     */
    private static Path syntheticCells(Path root, int count, int size) throws IOException {
        Path dir = Files.createDirectories(root.resolve("images"));
        Path masks = Files.createDirectories(root.resolve("masks"));
        SyntheticCells.Config d = SyntheticCells.Config.defaults();
        SyntheticCells cells = new SyntheticCells(new SyntheticCells.Config(size, size, d.minCells(), d.maxCells(),
                d.touchingFraction(), d.blurSigma(), d.noiseSigma(), d.illumination()));
        for (int i = 0; i < count; i++) {
            SyntheticCells.Cells c = cells.generate(0, i);
            String name = String.format(Locale.ROOT, "cell-%05d.png", i);
            ImageFiles.writePng(ConvertImage.toU8(c.image().channel(0), 255f, null), dir.resolve(name));
            ImageFiles.writeLabels(c.threeClass(), masks.resolve(name));
        }
        return dir;
    }

    /** {seconds, images} of one segmentation job. */
    private static double[] timeJob(SparkSession spark, String input, SegmenterFactory f, Path scratch,
            int partitions) throws IOException {
        long t0 = System.nanoTime();
        Dataset<Row> rows = SparkSegmentation.segment(spark, input, f, scratch, partitions);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long n = rows.count();
        rows.unpersist();
        return new double[] {seconds, n};
    }

    /**
     * On local[1]: {per-task cost of a segmentation task beyond its images (scheduling, model load, predictor),
     * per-task cost of an empty Spark task, fixed cost of a segmentation job}, in seconds. The per-task cost is
     * the slope of the job time from 8 to 64 tasks over the same images; the fixed cost is what is left of a job
     * of 8 images in 8 tasks after its images and tasks.
     */
    private static double[] overhead(SparkSession spark, String input, SegmenterFactory f, Path scratch)
            throws IOException {
        double t8 = median(() -> timeJob(spark, input, f, scratch, 8)[0]);
        double t64 = median(() -> timeJob(spark, input, f, scratch, 64)[0]);
        double perTask = (t64 - t8) / 56;
        JavaSparkContext sc = sc(spark);
        List<Integer> ids = IntStream.range(0, 1000).boxed().collect(Collectors.toList());
        sc.parallelize(ids, 1000).count(); // warm-up
        long t0 = System.nanoTime();
        sc.parallelize(ids, 1000).count();
        double emptyTask = (System.nanoTime() - t0) / 1e9 / 1000;
        Path few = Files.createTempDirectory("seg-throughput-");
        try {
            List<Path> images;
            try (var all = Files.list(Path.of(input))) {
                images = all.sorted().limit(8).collect(Collectors.toList());
            }
            for (Path p : images) {
                Files.copy(p, few.resolve(p.getFileName()));
            }
            double small = median(() -> timeJob(spark, few.toString(), f, scratch.resolve("few"), 8)[0]);
            double all = t8;
            long n;
            try (var s = Files.list(Path.of(input))) {
                n = s.count();
            }
            double perImage = (all - small) / (n - images.size());
            double fixed = small - images.size() * perImage - 8 * perTask;
            return new double[] {perTask, emptyTask, fixed};
        } finally {
            try (var s = Files.list(few)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Files.delete(p);
                }
            }
            Files.delete(few);
        }
    }

    @FunctionalInterface
    private interface Timed {
        double run() throws IOException;
    }

    private static double median(Timed t) throws IOException {
        double[] v = {t.run(), t.run(), t.run()};
        java.util.Arrays.sort(v);
        return v[1];
    }

    private static JavaSparkContext sc(SparkSession spark) {
        return JavaSparkContext.fromSparkContext(spark.sparkContext());
    }
}
