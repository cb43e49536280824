package org.segmentation.nn.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.classic.segment.ClassicSegmenters;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.core.metrics.ConfusionMatrix;
import org.segmentation.nn.data.FolderDataset;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.eval.AlgorithmResult;
import org.segmentation.nn.eval.EvaluationConfig;
import org.segmentation.nn.eval.Evaluator;
import org.segmentation.nn.eval.Metric;

/**
 * Distributed evaluation against the single-machine {@link Evaluator}: multi-Otsu (3 classes) on 40 synthetic cell
 * images whose 3-class masks carry an ignored border row; segmented and scored on {@code local[2,2]} in 3
 * partitions, and by the evaluator in one process. Equality is exact (tolerance 0): both pool integer counts.
 */
@Tag("spark")
class SparkEvaluationTest {
    static final int IMAGES = 40;
    static final IgnoreLabel IGNORE = IgnoreLabel.of(255);

    @TempDir
    static Path tmp;
    static Path root;

    @BeforeAll
    static void data() throws IOException {
        root = tmp.resolve("cells");
        Path images = Files.createDirectories(root.resolve("images"));
        Path masks = Files.createDirectories(root.resolve("masks"));
        SyntheticCells cells = new SyntheticCells(new SyntheticCells.Config(32, 24, 1, 4, 0.5, 0.5, 0.05, 0.3));
        for (int i = 0; i < IMAGES; i++) {
            SyntheticCells.Cells c = cells.generate(3, i);
            String stem = String.format("c%02d", i);
            ImageFiles.writePng(ConvertImage.toU8(c.image().channel(0), 255f, null), images.resolve(stem + ".png"));
            LabelMap target = c.threeClass().copy();
            for (int x = 0; x < target.width; x++) {
                target.data[x] = IGNORE.value();
            }
            ImageFiles.writeLabels(target, masks.resolve(stem + ".png"));
        }
    }

    @Test
    void pooledScoresEqualTheSingleMachineEvaluatorExactly() throws IOException {
        Path out = tmp.resolve("predictions");
        List<Row> rows = SparkSegmentation.segment(LocalSpark.get(), root.resolve("images").toString(),
                () -> ClassicSegmenters.multiOtsu(3), out, 3).collectAsList();
        assertEquals(IMAGES, rows.size());
        ConfusionMatrix cm = SparkEvaluation.confusion(LocalSpark.get(), out.toString(),
                root.resolve("masks").toString(), 3, IGNORE);

        FolderDataset data = FolderDataset.open(root, new FolderDataset.Config(1, 3, IGNORE));
        AlgorithmResult single = new Evaluator(EvaluationConfig.defaults()).evaluate("cells", data,
                List.of(ClassicSegmenters.multiOtsu(3))).algorithms().get(0);

        assertEquals((long) IMAGES * 32 * 23, cm.total(), "every pixel but the ignored row is counted");
        assertEquals(single.get(Metric.MEAN_IOU), cm.meanIoU());
        assertEquals(single.get(Metric.DICE), cm.meanDice());
        assertEquals(single.get(Metric.PIXEL_ACCURACY), cm.pixelAccuracy());
        assertTrue(cm.meanIoU() > 0.1 && cm.meanIoU() < 0.99, "a score with something to compare: " + cm.meanIoU());
    }

    @Test
    void aMaskWithoutPredictionIsNamed() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("partial"));
        ImageFiles.writeLabels(new LabelMap(32, 24), out.resolve("c00" + SparkSegmentation.LABELS_SUFFIX));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkEvaluation.confusion(
                LocalSpark.get(), out.toString(), root.resolve("masks").toString(), 3, IGNORE));
        assertTrue(e.getMessage().startsWith("mask file:") && e.getMessage().contains("has no prediction with the"
                + " stem"), e.getMessage());
    }
}
