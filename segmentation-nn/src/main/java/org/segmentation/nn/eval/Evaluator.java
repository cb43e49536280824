package org.segmentation.nn.eval;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.core.metrics.BoundaryF1;
import org.segmentation.core.metrics.ConfusionMatrix;
import org.segmentation.core.metrics.InstanceMetrics;
import org.segmentation.core.metrics.PartitionMetrics;
import org.segmentation.core.segment.Segmenter;
import org.segmentation.core.segment.SegmenterInput;
import org.segmentation.nn.data.FolderDataset;
import org.segmentation.nn.data.Sample;
import org.segmentation.nn.data.SegmentationDataset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs segmenters over a dataset and scores every prediction against the dataset's targets with the metrics of
 * {@code org.segmentation.core.metrics}.
 *
 * <p>Which scores a segmenter gets depends on its {@link Segmenter.Output}:
 * <ul>
 *   <li>{@code CLASSES}: the dataset's {@code numClasses}-class confusion matrix ({@link Metric#MEAN_IOU},
 *       {@link Metric#DICE}, {@link Metric#PIXEL_ACCURACY}, per-class IoU) and {@link Metric#BOUNDARY_F1} of the
 *       class maps;</li>
 *   <li>{@code FOREGROUND} and {@code INSTANCES}: the same four from the 2-class (background, foreground)
 *       confusion matrix of "label != 0" in target and prediction, and {@link Metric#BOUNDARY_F1} of those
 *       foreground maps;</li>
 *   <li>{@code INSTANCES} on a dataset with instance labels, in addition: {@link Metric#AP50},
 *       {@link Metric#INSTANCE_F1}, {@link Metric#MATCHED_IOU}, {@link Metric#MEAN_AP},
 *       {@link Metric#ADAPTED_RAND_ERROR} and {@link Metric#VOI} against the instance labels.</li>
 * </ul>
 * Every segmenter gets {@link Metric#FOREGROUND_IOU}, so class-agnostic and class-aware methods can be compared
 * on one number. Pixels with the dataset's ignore label are left out of the confusion matrices; for the boundary
 * F1 they form a region of their own.
 *
 * <p>Timing: {@link System#nanoTime()} around each {@code segment} call only, less the time the call spent
 * converting the image to 8-bit views (which is shared between segmenters). Data loading and scoring are not
 * timed. This is the cost an evaluation report needs, not a benchmark: use the JMH benchmarks for that.
 * Images are processed one at a time, each loaded once for all segmenters; the evaluation is single-threaded.
 */
public final class Evaluator {
    private static final Logger LOG = LoggerFactory.getLogger(Evaluator.class);
    /** Ignore label of the 2-class foreground targets (0 background, 1 foreground). */
    private static final IgnoreLabel FOREGROUND_IGNORE = IgnoreLabel.of(2);

    private final EvaluationConfig config;

    /** An evaluator with the given settings. */
    public Evaluator(EvaluationConfig config) {
        this.config = config;
    }

    /**
     * Evaluates every segmenter on every image of {@code data}.
     *
     * @param description how the report names the data (folder, or generator with count and seed)
     * @throws IllegalArgumentException if there is no segmenter or two share a name
     * @throws EvaluationException naming the segmenter and image if a segmenter throws or returns an invalid
     *     label map
     * @throws org.segmentation.nn.data.DatasetException naming the file if a sample cannot be read
     */
    public EvaluationReport evaluate(String description, SegmentationDataset data, List<Segmenter> segmenters) {
        if (segmenters.isEmpty()) {
            throw new IllegalArgumentException("no segmenter to evaluate");
        }
        Set<String> names = new HashSet<>();
        for (Segmenter s : segmenters) {
            if (!names.add(s.name())) {
                throw new IllegalArgumentException("two segmenters are named '" + s.name() + "'");
            }
        }
        int n = data.size();
        IgnoreLabel classIgnore = data.ignoreLabel();

        int warmup = Math.min(config.warmupImages(), n);
        for (int i = 0; i < warmup; i++) {
            SegmenterInput input = new SegmenterInput(imageId(data, i), data.get(i).image());
            for (Segmenter s : segmenters) {
                run(s, input);
            }
        }

        List<Accumulator> acc = new ArrayList<>();
        for (Segmenter s : segmenters) {
            int classes = s.output() == Segmenter.Output.CLASSES ? data.numClasses() : 2;
            IgnoreLabel ignore = s.output() == Segmenter.Output.CLASSES ? classIgnore : FOREGROUND_IGNORE;
            acc.add(new Accumulator(s, new ConfusionMatrix(classes, ignore),
                    new ConfusionMatrix(2, FOREGROUND_IGNORE)));
        }
        for (int i = 0; i < n; i++) {
            Sample sample = data.get(i);
            SegmenterInput input = new SegmenterInput(imageId(data, i), sample.image());
            LabelMap truthForeground = foreground(sample.target(), data.ignoreLabel());
            for (Accumulator a : acc) {
                long conversion0 = input.conversionNanos();
                long t0 = System.nanoTime();
                LabelMap pred = run(a.segmenter, input);
                long elapsed = System.nanoTime() - t0 - (input.conversionNanos() - conversion0);
                try {
                    Map<Metric, Double> m = score(a, sample, truthForeground, classIgnore, pred);
                    a.rows.add(new ImageResult(i, input.id(), input.width(), input.height(), elapsed / 1e6, m));
                } catch (IllegalArgumentException e) {
                    throw new EvaluationException(where(a.segmenter, input) + ": " + e.getMessage(), e);
                }
            }
        }

        LOG.info("evaluated {} segmenter(s) on {} image(s) of {}", segmenters.size(), n, description);
        List<AlgorithmResult> results = new ArrayList<>();
        for (Accumulator a : acc) {
            AlgorithmResult r = a.result();
            LOG.debug("{} on {}: mean IoU {}, {} ms/image", r.algorithm(), description,
                    String.format("%.4f", r.get(Metric.MEAN_IOU)), String.format("%.2f", r.meanMillis()));
            results.add(r);
        }
        return new EvaluationReport(description, data.numClasses(), data.ignoreLabel(), config, results);
    }

    /** The file name for a folder dataset, {@code #index} otherwise. */
    static String imageId(SegmentationDataset data, int index) {
        if (data instanceof FolderDataset folder) {
            return folder.imageFile(index).getFileName().toString();
        }
        return "#" + index;
    }

    private static LabelMap run(Segmenter s, SegmenterInput input) {
        LabelMap pred;
        try {
            pred = s.segment(input);
        } catch (RuntimeException e) {
            throw new EvaluationException(where(s, input) + " failed: " + e, e);
        }
        if (pred == null) {
            throw new EvaluationException(where(s, input) + " returned no label map", null);
        }
        if (pred.width != input.width() || pred.height != input.height()) {
            throw new EvaluationException(where(s, input) + " returned " + pred.width + "x" + pred.height
                    + " labels for a " + input.width() + "x" + input.height() + " image", null);
        }
        return pred;
    }

    private static String where(Segmenter s, SegmenterInput input) {
        return "segmenter '" + s.name() + "' on image " + input.id();
    }

    private Map<Metric, Double> score(Accumulator a, Sample sample, LabelMap truthForeground, IgnoreLabel classIgnore,
            LabelMap pred) {
        Map<Metric, Double> m = new EnumMap<>(Metric.class);
        LabelMap predForeground = foreground(pred, IgnoreLabel.NONE);
        ConfusionMatrix fg = new ConfusionMatrix(2, FOREGROUND_IGNORE).add(truthForeground, predForeground);
        ConfusionMatrix cm;
        double boundaryF1;
        if (a.segmenter.output() == Segmenter.Output.CLASSES) {
            cm = new ConfusionMatrix(a.pooled.numClasses(), classIgnore).add(sample.target(), pred);
            boundaryF1 = BoundaryF1.score(sample.target(), pred, config.boundaryTolerance()).f1();
        } else {
            cm = fg;
            boundaryF1 = BoundaryF1.score(truthForeground, predForeground, config.boundaryTolerance()).f1();
        }
        a.pooled.add(cm);
        a.pooledForeground.add(fg);
        m.put(Metric.MEAN_IOU, cm.meanIoU());
        m.put(Metric.DICE, cm.meanDice());
        m.put(Metric.PIXEL_ACCURACY, cm.pixelAccuracy());
        m.put(Metric.FOREGROUND_IOU, fg.iou()[1]);
        m.put(Metric.BOUNDARY_F1, boundaryF1);
        if (a.segmenter.output() == Segmenter.Output.INSTANCES && sample.instances() != null) {
            InstanceMetrics im = InstanceMetrics.of(sample.instances(), pred);
            InstanceMetrics.Result at50 = im.match(0.5);
            m.put(Metric.AP50, at50.ap());
            m.put(Metric.INSTANCE_F1, at50.f1());
            m.put(Metric.MATCHED_IOU, at50.meanMatchedIoU());
            m.put(Metric.MEAN_AP, im.meanAveragePrecision());
            m.put(Metric.ADAPTED_RAND_ERROR, PartitionMetrics.adaptedRandError(sample.instances(), pred).error());
            m.put(Metric.VOI, PartitionMetrics.variationOfInformation(sample.instances(), pred).total());
        }
        return m;
    }

    /**
     * 1 where {@code labels} is neither 0 nor {@code ignore}, 0 where it is 0, and 2 (the ignore label of these
     * 2-class maps) where it is {@code ignore} (pass {@link IgnoreLabel#NONE} for none). Negative labels count as
     * foreground.
     */
    public static LabelMap foreground(LabelMap labels, IgnoreLabel ignore) {
        LabelMap out = new LabelMap(labels.width, labels.height);
        for (int y = 0; y < labels.height; y++) {
            int row = labels.startIndex + y * labels.stride;
            for (int x = 0; x < labels.width; x++) {
                int v = labels.data[row + x];
                out.data[y * labels.width + x] = v == 0 ? 0
                        : ignore.matches(v) ? FOREGROUND_IGNORE.value() : 1;
            }
        }
        return out;
    }

    /** Per-segmenter state: pooled confusion matrices and the rows so far. */
    private static final class Accumulator {
        final Segmenter segmenter;
        final ConfusionMatrix pooled;
        final ConfusionMatrix pooledForeground;
        final List<ImageResult> rows = new ArrayList<>();

        Accumulator(Segmenter segmenter, ConfusionMatrix pooled, ConfusionMatrix pooledForeground) {
            this.segmenter = segmenter;
            this.pooled = pooled;
            this.pooledForeground = pooledForeground;
        }

        AlgorithmResult result() {
            Map<Metric, Double> agg = new EnumMap<>(Metric.class);
            for (Metric metric : Metric.values()) {
                if (rows.stream().noneMatch(r -> r.metrics().containsKey(metric))) {
                    continue;
                }
                agg.put(metric, switch (metric) {
                    case MEAN_IOU -> pooled.meanIoU();
                    case DICE -> pooled.meanDice();
                    case PIXEL_ACCURACY -> pooled.pixelAccuracy();
                    case FOREGROUND_IOU -> pooledForeground.iou()[1];
                    default -> nanMean(metric);
                });
            }
            return new AlgorithmResult(segmenter.name(), segmenter.output(), rows, agg, pooled.iou());
        }

        private double nanMean(Metric metric) {
            double sum = 0;
            int count = 0;
            for (ImageResult r : rows) {
                double v = r.get(metric);
                if (!Double.isNaN(v)) {
                    sum += v;
                    count++;
                }
            }
            return count == 0 ? Double.NaN : sum / count;
        }
    }
}
