package org.segmentation.nn.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.split;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.io.ImageFormatException;
import org.segmentation.core.label.LabelOps;
import org.segmentation.core.segment.Segmenter;
import org.segmentation.core.segment.SegmenterInput;
import org.segmentation.nn.ParallelRanges;

/**
 * Segments every image under a path or glob on a Spark cluster, with any {@link Segmenter}, writing one label PNG
 * per image and returning one row per image.
 *
 * <pre>{@code
 * Broadcast<ModelBytes> model = ModelBytes.broadcast(sc, Path.of("runs/cells/model"));
 * Dataset<Row> rows = SparkSegmentation.segment(spark, "/data/slides/*.png",
 *         ModelBytes.segmenterFactory(model, "unet", false), Path.of("/data/labels"), 0);
 * rows.filter("error is not null").show();
 * }</pre>
 *
 * <p><b>Reading.</b> The images come from Spark's {@code binaryFile} source (any Hadoop file system, globs, and
 * every file under a directory, recursively) and are decoded by the library's own reader
 * ({@link ImageFiles#readBufferedImage}, through a temporary local file) into intensities in [0, 1]
 * ({@link ConvertImage#toUnitPlanar}) with the factory's {@link SegmenterFactory#channels()}: the formats, limits
 * and typed errors are those of one machine, and a model sees exactly what {@code TrainedUNet.segment(Path)} sees.
 *
 * <p><b>Per partition</b> the factory makes one segmenter (for a model: one load of the broadcast bytes, one
 * predictor), used for every image of the partition in turn.
 *
 * <p><b>Writing.</b> Image {@code dir/name.ext} gives {@code output/name.labels.png}, a 16-bit gray PNG of the raw
 * labels ({@link ImageFiles#writeLabels}), written atomically (a hidden temporary file renamed over the target).
 * The output folder must be a file system every executor mounts at the same path (local disk for
 * {@code local[N]}, NFS or a similar shared mount on a cluster). Two inputs with the same name stem are refused
 * before any work starts, since their outputs would overwrite each other.
 *
 * <p><b>Task retries.</b> A retried task (after an executor is lost, or any failure of the task) segments its
 * partition again and renames the same bytes over the same names: the output has exactly one complete file per
 * image, never a duplicate or a partial file, whatever attempt wrote it. The result rows come from the successful
 * attempt only, so there is one per image. An executor killed in the middle of a write can leave a hidden
 * temporary file ({@code .NAME.labels.png.<random>.tmp}) beside the outputs, never a partial file under an output's
 * name.
 *
 * <p><b>Errors.</b> An image that cannot be decoded ({@link ImageFormatException}), or that its segmenter refuses
 * (an {@link IllegalArgumentException} or {@link IllegalStateException}, e.g. an unsupported channel count), gives
 * a row whose {@code error} says what is wrong with which file; the job goes on. Any other exception (a failed
 * write of the output, a bug) fails the task, which Spark retries and, after {@code spark.task.maxFailures}
 * attempts, fails the job with the image named.
 */
public final class SparkSegmentation {
    /** Suffix of the label file written for each image. */
    public static final String LABELS_SUFFIX = ".labels.png";

    /**
     * The result's columns: {@code path} (the input's URI as {@code binaryFile} gives it), {@code output} (the label
     * file), {@code width}, {@code height}, {@code regions} (distinct non-zero labels), {@code histogram} (pixels
     * per label value 0..max, for {@link Segmenter.Output#CLASSES} segmenters; null otherwise), {@code millis}
     * (the {@code segment} call alone, without decoding and writing) and {@code error} (null on success; on an
     * error {@code output}, {@code regions}, {@code histogram} and {@code millis} are null).
     */
    public static final StructType SCHEMA = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("output", DataTypes.StringType, true)
            .add("width", DataTypes.IntegerType, true)
            .add("height", DataTypes.IntegerType, true)
            .add("regions", DataTypes.IntegerType, true)
            .add("histogram", DataTypes.createArrayType(DataTypes.LongType, false), true)
            .add("millis", DataTypes.DoubleType, true)
            .add("error", DataTypes.StringType, true);

    private SparkSegmentation() {
    }

    /**
     * Segments every image of {@code input} and writes its labels under {@code outputDir}.
     *
     * <p>The job runs before this method returns; the returned rows are persisted (memory, then disk), so that
     * using them does not segment again. {@code unpersist()} them when done.
     *
     * @param input a file, a directory (read recursively) or a glob, in any file system Spark reads
     * @param outputDir created if missing; must be visible at the same path to every executor
     * @param partitions the number of tasks, or 0 to keep the {@code binaryFile} source's split (by total size,
     *     see {@code spark.sql.files.maxPartitionBytes} and {@code openCostInBytes})
     * @throws IllegalArgumentException if two inputs share a name stem, or {@code partitions < 0}
     * @throws IOException if the output folder cannot be created
     */
    public static Dataset<Row> segment(SparkSession spark, String input, SegmenterFactory factory, Path outputDir,
            int partitions) throws IOException {
        Objects.requireNonNull(factory, "factory");
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions must be >= 0 (0 keeps the source's), got " + partitions);
        }
        Files.createDirectories(outputDir);
        String out = outputDir.toAbsolutePath().toString();
        Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(input);
        refuseDuplicateStems(files, input);
        if (partitions > 0) {
            files = files.repartition(partitions);
        }
        int channels = factory.channels();
        Dataset<Row> rows = spark.createDataFrame(files.javaRDD().mapPartitions(
                it -> segmentPartition(it, factory, channels, Path.of(out))), SCHEMA);
        rows.persist(StorageLevel.MEMORY_AND_DISK());
        rows.count();
        return rows;
    }

    /** The label file of an input URI or path: the output folder, the name without extension, the suffix. */
    public static Path outputFile(Path outputDir, String input) {
        return outputDir.resolve(BinaryImages.stem(BinaryImages.fileName(input)) + LABELS_SUFFIX);
    }

    private static void refuseDuplicateStems(Dataset<Row> files, String input) {
        List<Row> dup = files.select(regexp_replace(element_at(split(col("path"), "/"), -1), "\\.[^.]*$", "")
                        .as("stem"), col("path"))
                .groupBy("stem").agg(count("path").as("n"), org.apache.spark.sql.functions.min("path").as("a"),
                        org.apache.spark.sql.functions.max("path").as("b"))
                .filter(col("n").gt(1)).limit(1).collectAsList();
        if (!dup.isEmpty()) {
            Row r = dup.get(0);
            throw new IllegalArgumentException(input + ": " + r.getLong(1) + " images have the name stem '"
                    + r.getString(0) + "' (e.g. " + r.getString(2) + " and " + r.getString(3)
                    + "), and each would be written to " + r.getString(0) + LABELS_SUFFIX);
        }
    }

    private static Iterator<Row> segmentPartition(Iterator<Row> files, SegmenterFactory factory, int channels,
            Path outputDir) throws IOException {
        Segmenter segmenter = factory.create();
        Path tmp = Files.createTempDirectory("segmentation-decode-");
        List<Row> rows = new ArrayList<>();
        try {
            // the task's share of the executor's cores (spark.task.cpus): the kernels' threads stay within it, so
            // that N concurrent tasks use N cores instead of each waking a thread per core
            ParallelRanges.callWithThreads(taskCpus(), () -> {
                while (files.hasNext()) {
                    Row f = files.next();
                    rows.add(segmentOne(f.getAs("path"), f.getAs("content"), segmenter, channels, tmp, outputDir));
                }
                return null;
            });
        } finally {
            Files.delete(tmp);
        }
        return rows.iterator();
    }

    /** The cores Spark gives the running task ({@code spark.task.cpus}), or every core outside a task. */
    static int taskCpus() {
        TaskContext task = TaskContext.get();
        return task == null ? ParallelRanges.THREADS : Math.max(1, task.cpus());
    }

    private static Row segmentOne(String path, byte[] content, Segmenter segmenter, int channels, Path tmp,
            Path outputDir) throws IOException {
        String name = BinaryImages.fileName(path);
        BufferedImage decoded;
        try {
            decoded = BinaryImages.read(path, content, tmp,
                    f -> ImageFiles.readBufferedImage(f, ImageFiles.DEFAULT_MAX_PIXELS));
        } catch (ImageFormatException e) {
            return error(path, null, "ImageFormatException: " + e.getMessage());
        }
        PlanarF32 image = ConvertImage.toUnitPlanar(decoded, channels != 0 ? channels : storedChannels(decoded));
        SegmenterInput input = new SegmenterInput(name, image);
        long t0 = System.nanoTime();
        LabelMap labels;
        try {
            labels = segmenter.segment(input);
        } catch (IllegalArgumentException | IllegalStateException e) {
            return error(path, image, "segmenter '" + segmenter.name() + "' refused " + path + ": " + e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("segmenter '" + segmenter.name() + "' failed on " + path + ": " + e, e);
        }
        double millis = (System.nanoTime() - t0 - input.conversionNanos()) / 1e6;
        if (labels == null || labels.width != image.width || labels.height != image.height) {
            return error(path, image, "segmenter '" + segmenter.name() + "' returned " + (labels == null ? "no labels"
                    : labels.width + "x" + labels.height + " labels") + " for the " + image.width + "x"
                    + image.height + " image " + path);
        }
        int regions;
        try {
            regions = LabelOps.countRegions(labels);
        } catch (IllegalArgumentException e) {
            return error(path, image, "segmenter '" + segmenter.name() + "' on " + path + ": " + e.getMessage());
        }
        Path target = outputFile(outputDir, path);
        try {
            ImageFiles.writeLabels(labels, target);
        } catch (IllegalArgumentException e) {
            return error(path, image, "segmenter '" + segmenter.name() + "' on " + path + ": " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + " for " + path + ": " + e.getMessage(), e);
        }
        long[] histogram = segmenter.output() == Segmenter.Output.CLASSES ? histogram(labels) : null;
        return RowFactory.create(path, target.toString(), image.width, image.height, regions, histogram, millis,
                null);
    }

    private static Row error(String path, PlanarF32 image, String message) {
        return RowFactory.create(path, null, image == null ? null : image.width, image == null ? null : image.height,
                null, null, null, message);
    }

    /** 1 for a gray file (8 or 16 bit, with or without alpha), 3 for colour and palette files. */
    private static int storedChannels(BufferedImage image) {
        return !(image.getColorModel() instanceof IndexColorModel)
                && image.getColorModel().getNumColorComponents() == 1 ? 1 : 3;
    }

    /** Pixels per label value 0..max; labels are non-negative (checked by {@link LabelOps#countRegions}). */
    private static long[] histogram(LabelMap labels) {
        long[] counts = new long[1];
        for (int y = 0; y < labels.height; y++) {
            int row = labels.startIndex + y * labels.stride;
            for (int x = 0; x < labels.width; x++) {
                int v = labels.data[row + x];
                if (v >= counts.length) {
                    counts = java.util.Arrays.copyOf(counts, v + 1);
                }
                counts[v]++;
            }
        }
        return counts;
    }
}
