package org.segmentation.nn.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.split;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.core.metrics.ConfusionMatrix;

/**
 * Scores predicted label files against target masks on a Spark cluster: each partition counts its pairs into a
 * {@link ConfusionMatrix}, the matrices (counts, which add) are summed with {@code treeAggregate}, and the driver
 * gets the pooled matrix. Its {@link ConfusionMatrix#meanIoU()}, {@link ConfusionMatrix#meanDice()} and
 * {@link ConfusionMatrix#pixelAccuracy()} equal those of the single-machine
 * {@link org.segmentation.nn.eval.Evaluator} for a {@code CLASSES} segmenter on the same images exactly: integer
 * counts add exactly in any order, and the scores are computed once, from the pooled counts, by the same code.
 *
 * <pre>{@code
 * ConfusionMatrix cm = SparkEvaluation.confusion(spark, "/data/labels", "/data/cells/masks", 3, IgnoreLabel.NONE);
 * double miou = cm.meanIoU();
 * }</pre>
 *
 * <p>Files are read with Spark's {@code binaryFile} source and decoded by {@link ImageFiles#readLabels} (gray or
 * palette, as {@link org.segmentation.nn.data.FolderDataset} reads masks). A prediction pairs with the mask of the
 * same name stem, a {@link SparkSegmentation#LABELS_SUFFIX} removed first ({@code cell_07.labels.png} with
 * {@code masks/cell_07.png}).
 */
public final class SparkEvaluation {
    private SparkEvaluation() {
    }

    /**
     * The pooled confusion matrix of every prediction under {@code predictions} against its mask under
     * {@code masks}. A file that cannot be decoded, or a label out of range, fails the job as the single-machine
     * evaluator fails: Spark throws a {@code SparkException} (undeclared, from Scala) whose cause names the file and
     * the pixel.
     *
     * @param predictions a folder (read recursively) or glob of label files
     * @param masks a folder (read recursively) or glob of target masks
     * @param ignore the masks' label of unlabelled pixels, or {@link IgnoreLabel#NONE}
     * @throws IllegalArgumentException naming a file if a mask has no prediction or a prediction no mask, or if no
     *     pair is found
     */
    public static ConfusionMatrix confusion(SparkSession spark, String predictions, String masks, int numClasses,
            IgnoreLabel ignore) {
        new ConfusionMatrix(numClasses, ignore); // checks the arguments on the driver
        Dataset<Row> pred = withStem(spark, predictions, SparkSegmentation.LABELS_SUFFIX).withColumnRenamed("path",
                "pred_path").withColumnRenamed("content", "pred");
        Dataset<Row> truth = withStem(spark, masks, null).withColumnRenamed("path", "mask_path")
                .withColumnRenamed("content", "mask");
        refuseUnpaired(truth.select("stem", "mask_path"), pred.select("stem"), "mask", "prediction", predictions);
        refuseUnpaired(pred.select("stem", "pred_path"), truth.select("stem"), "prediction", "mask", masks);
        Dataset<Row> pairs = truth.join(pred, "stem").select("mask_path", "mask", "pred_path", "pred");
        int cells = numClasses * numClasses;
        int ignored = ignore.valueOr(-1); // IgnoreLabel is not serializable; NONE travels as -1
        long[] counts = pairs.javaRDD()
                .mapPartitions(rows -> List.of(countPartition(rows, numClasses,
                        ignored < 0 ? IgnoreLabel.NONE : IgnoreLabel.of(ignored))).iterator())
                .treeAggregate(new long[cells], SparkEvaluation::sum, SparkEvaluation::sum);
        ConfusionMatrix cm = ConfusionMatrix.fromCounts(numClasses, ignore, counts);
        if (cm.total() == 0 && pairs.isEmpty()) {
            throw new IllegalArgumentException("no prediction/mask pair in " + predictions + " and " + masks);
        }
        return cm;
    }

    private static Dataset<Row> withStem(SparkSession spark, String input, String suffix) {
        Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(input);
        Column name = element_at(split(col("path"), "/"), -1);
        Column stem = suffix == null ? regexp_replace(name, "\\.[^.]*$", "")
                : regexp_replace(regexp_replace(name, java.util.regex.Pattern.quote(suffix) + "$", ".x"),
                        "\\.[^.]*$", "");
        return files.select(stem.as("stem"), col("path"), col("content"));
    }

    private static void refuseUnpaired(Dataset<Row> files, Dataset<Row> others, String what, String otherWhat,
            String otherInput) {
        List<Row> missing = files.join(others, files.col("stem").equalTo(others.col("stem")), "left_anti").limit(1)
                .collectAsList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(what + " " + missing.get(0).getString(1) + " has no " + otherWhat
                    + " with the stem '" + missing.get(0).getString(0) + "' in " + otherInput);
        }
    }

    private static long[] countPartition(Iterator<Row> pairs, int numClasses, IgnoreLabel ignore)
            throws IOException {
        ConfusionMatrix cm = new ConfusionMatrix(numClasses, ignore);
        Path tmp = Files.createTempDirectory("segmentation-evaluate-");
        try {
            while (pairs.hasNext()) {
                Row r = pairs.next();
                String maskPath = r.getString(0);
                String predPath = r.getString(2);
                LabelMap truth = BinaryImages.read(maskPath, r.getAs(1), tmp, ImageFiles::readLabels);
                LabelMap pred = BinaryImages.read(predPath, r.getAs(3), tmp, ImageFiles::readLabels);
                try {
                    cm.add(truth, pred);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("prediction " + predPath + " against mask " + maskPath + ": "
                            + e.getMessage(), e);
                }
            }
        } finally {
            Files.delete(tmp);
        }
        return cm.counts();
    }

    private static long[] sum(long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
        return a;
    }
}
