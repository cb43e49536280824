package org.segmentation.nn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.segment.Segmenter;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.predict.InputNormalization;
import org.segmentation.nn.task.TrainedUNet;

/**
 * Batch segmentation on {@code local[2,2]} against the single-machine path: {@code TrainedUNet.segment(Path)} and
 * {@link ImageFiles#writeLabels}, compared byte for byte (tolerance 0: the same decoder, network and encoder run
 * on the same JVM, so any difference is a bug).
 */
@Tag("spark")
class SparkSegmentationTest {
    static final int IMAGES = 120;
    /** Counts the injected failures; the tasks run in this JVM's threads under local[N]. */
    static final AtomicInteger INJECTED = new AtomicInteger();

    @TempDir
    static Path tmp;
    static Path images;
    static Path modelDir;
    static Path reference;

    @BeforeAll
    static void data() throws IOException {
        images = Files.createDirectories(tmp.resolve("images"));
        SyntheticCells cells = new SyntheticCells(new SyntheticCells.Config(32, 24, 1, 4, 0.5, 0.5, 0.03, 0.2));
        for (int i = 0; i < IMAGES; i++) {
            GrayU8 g = ConvertImage.toU8(cells.generate(7, i).image().channel(0), 255f, null);
            ImageFiles.writePng(g, images.resolve(String.format("cell-%03d.png", i)));
        }
        UNet net = new UNet(UNetConfig.of(1, 3).withDepth(2).withBaseFilters(4), 5);
        TrainedUNet model = new TrainedUNet(net, InputNormalization.unit(1), TrainedUNet.defaultClassNames(3));
        modelDir = tmp.resolve("model");
        model.save(modelDir);
        reference = Files.createDirectories(tmp.resolve("reference"));
        TrainedUNet loaded = TrainedUNet.load(modelDir);
        for (int i = 0; i < IMAGES; i++) {
            String name = String.format("cell-%03d", i);
            ImageFiles.writeLabels(loaded.segment(images.resolve(name + ".png")),
                    reference.resolve(name + SparkSegmentation.LABELS_SUFFIX));
        }
    }

    private static SegmenterFactory unet(SparkSession spark) throws IOException {
        Broadcast<ModelBytes> bytes = ModelBytes.broadcast(JavaSparkContext.fromSparkContext(spark.sparkContext()),
                modelDir);
        return ModelBytes.segmenterFactory(bytes, "unet", false);
    }

    /** Every label file equals the single-machine one byte for byte; no other file (no temporary) is there. */
    private static void assertSameAsReference(Path out) throws IOException {
        try (Stream<Path> files = Files.list(out)) {
            Set<String> names = files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
            try (Stream<Path> ref = Files.list(reference)) {
                assertEquals(ref.map(p -> p.getFileName().toString()).collect(Collectors.toSet()), names);
            }
        }
        for (int i = 0; i < IMAGES; i++) {
            String name = String.format("cell-%03d", i) + SparkSegmentation.LABELS_SUFFIX;
            assertArrayEquals(Files.readAllBytes(reference.resolve(name)), Files.readAllBytes(out.resolve(name)),
                    name);
        }
    }

    private static void assertOneRowPerImage(List<Row> rows) {
        assertEquals(IMAGES, rows.size());
        Set<String> paths = new HashSet<>();
        for (Row r : rows) {
            assertTrue(paths.add(r.getString(0)), "duplicate row for " + r.getString(0));
        }
    }

    @Test
    void labelFilesAreByteIdenticalToOneMachine() throws IOException {
        SparkSession spark = LocalSpark.get();
        Path out = tmp.resolve("out-unet");
        List<Row> rows = SparkSegmentation.segment(spark, images.toString(), unet(spark), out, 4).collectAsList();
        assertOneRowPerImage(rows);
        for (Row r : rows) {
            assertNull(r.getAs("error"), r.toString());
            assertEquals(32, (int) r.getAs("width"));
            assertEquals(24, (int) r.getAs("height"));
            List<Long> histogram = r.getList(r.fieldIndex("histogram"));
            assertEquals(32 * 24, histogram.stream().mapToLong(Long::longValue).sum(), r.toString());
            assertEquals(histogram.subList(1, histogram.size()).stream().filter(c -> c > 0).count(),
                    (long) (int) r.getAs("regions"), r.toString());
            assertTrue((double) r.getAs("millis") >= 0);
        }
        assertSameAsReference(out);
    }

    /**
     * The model's segmenter, except that the first attempt of the task holding image {@code failOn} throws there,
     * after segmenting (and writing) the images before it in its partition.
     */
    static final class FailingOnce implements SegmenterFactory {
        private static final long serialVersionUID = 1L;
        private final SegmenterFactory model;
        private final String failOn;

        FailingOnce(SegmenterFactory model, String failOn) {
            this.model = model;
            this.failOn = failOn;
        }

        @Override
        public Segmenter create() throws IOException {
            Segmenter s = model.create();
            return Segmenter.of(s.name(), s.output(), input -> {
                if (input.id().equals(failOn) && TaskContext.get().attemptNumber() == 0) {
                    INJECTED.incrementAndGet();
                    throw new RuntimeException("injected failure of the first attempt");
                }
                return s.segment(input);
            });
        }

        @Override
        public int channels() {
            return model.channels();
        }
    }

    /** Kernel thread limits seen by segmenters, one per image: filled by {@link RecordingThreads}. */
    static final Set<Integer> THREADS_SEEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The model's segmenter, recording {@link ParallelRanges#threads()} as it segments each image. */
    static final class RecordingThreads implements SegmenterFactory {
        private static final long serialVersionUID = 1L;
        private final SegmenterFactory model;

        RecordingThreads(SegmenterFactory model) {
            this.model = model;
        }

        @Override
        public Segmenter create() throws IOException {
            Segmenter s = model.create();
            return Segmenter.of(s.name(), s.output(), input -> {
                THREADS_SEEN.add(ParallelRanges.threads());
                return s.segment(input);
            });
        }

        @Override
        public int channels() {
            return model.channels();
        }
    }

    @Test
    void eachTaskLimitsTheKernelsToItsCores() throws IOException {
        // local[2,2] runs two tasks at once on one core each (spark.task.cpus = 1): the kernels of a task must not
        // take a thread per core of the machine as well
        SparkSession spark = LocalSpark.get();
        THREADS_SEEN.clear();
        List<Row> rows = SparkSegmentation.segment(spark, images.toString(), new RecordingThreads(unet(spark)),
                tmp.resolve("out-threads"), 2).collectAsList();
        assertOneRowPerImage(rows);
        assertEquals(Set.of(1), THREADS_SEEN);
        assertEquals(ParallelRanges.THREADS, ParallelRanges.threads(), "the driver's own limit is untouched");
    }

    @Test
    void aTaskFailingHalfWayIsRetriedWithoutDuplicatesOrPartialFiles() throws IOException {
        SparkSession spark = LocalSpark.get();
        SegmenterFactory model = unet(spark);
        SegmenterFactory failingOnce = new FailingOnce(model, "cell-061.png");
        Path out = tmp.resolve("out-retry");
        INJECTED.set(0);
        List<Row> rows = SparkSegmentation.segment(spark, images.toString(), failingOnce, out, 2).collectAsList();
        assertEquals(1, INJECTED.get(), "the failure was injected once and the task retried");
        assertOneRowPerImage(rows);
        rows.forEach(r -> assertNull(r.getAs("error"), r.toString()));
        assertSameAsReference(out);
    }

    @Test
    void aCorruptImageGivesAnErrorRowAndTheJobSucceeds() throws IOException {
        Path mixed = Files.createDirectories(tmp.resolve("mixed"));
        Files.copy(images.resolve("cell-000.png"), mixed.resolve("good.png"));
        byte[] png = Files.readAllBytes(images.resolve("cell-001.png"));
        Files.write(mixed.resolve("truncated.png"), java.util.Arrays.copyOf(png, png.length / 2));
        Files.write(mixed.resolve("notes.png"), "not an image".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Path out = tmp.resolve("out-mixed");
        List<Row> rows = SparkSegmentation.segment(LocalSpark.get(), mixed.toString(),
                SegmenterFactory.classic("otsu"), out, 0).collectAsList();
        assertEquals(3, rows.size());
        for (Row r : rows) {
            String path = r.getString(0);
            String error = r.getAs("error");
            if (path.endsWith("good.png")) {
                assertNull(error);
                assertEquals(r.getAs("output"), out.resolve("good" + SparkSegmentation.LABELS_SUFFIX).toString());
                assertNull(r.getAs("histogram"), "otsu gives a foreground, not classes");
            } else {
                assertNotNull(error, path);
                Path file = mixed.resolve(path.substring(path.lastIndexOf('/') + 1));
                assertTrue(error.startsWith("ImageFormatException: " + file + ": "), error);
                assertNull(r.getAs("output"));
            }
        }
        assertTrue(rows.stream().anyMatch(r -> String.valueOf((Object) r.getAs("error")).contains("unknown image format")),
                rows.toString());
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("good" + SparkSegmentation.LABELS_SUFFIX),
                    files.map(p -> p.getFileName().toString()).collect(Collectors.toList()));
        }
    }

    @Test
    void twoImagesWithOneStemAreRefusedBeforeAnyWork() throws IOException {
        Path clash = Files.createDirectories(tmp.resolve("clash"));
        Files.copy(images.resolve("cell-000.png"), clash.resolve("a.png"));
        Files.createDirectories(clash.resolve("sub"));
        Files.copy(images.resolve("cell-001.png"), clash.resolve("sub").resolve("a.png"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparkSegmentation.segment(LocalSpark.get(), clash.toString(), SegmenterFactory.classic("otsu"),
                        tmp.resolve("out-clash"), 0));
        assertTrue(e.getMessage().contains("name stem 'a'"), e.getMessage());
    }
}
