package org.segmentation.nn.eval;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.segmentation.core.segment.Segmenter;

/**
 * The scores of one segmenter over a dataset.
 *
 * @param algorithm the segmenter's name
 * @param output what its labels mean, which decided the metrics
 * @param images one row per image, in dataset order
 * @param aggregate dataset-level scores (see {@link Metric} for how each is aggregated); NaN where undefined
 * @param perClassIoU IoU of each class from the pooled confusion matrix: the dataset's classes for
 *     {@link Segmenter.Output#CLASSES}, {background, foreground} otherwise; NaN for a class absent from truth
 *     and prediction
 */
public record AlgorithmResult(String algorithm, Segmenter.Output output, List<ImageResult> images,
        Map<Metric, Double> aggregate, double[] perClassIoU) {
    /** Copies the lists, map and array. */
    public AlgorithmResult {
        images = List.copyOf(images);
        aggregate = Collections.unmodifiableMap(aggregate.isEmpty() ? new EnumMap<>(Metric.class)
                : new EnumMap<>(aggregate));
        perClassIoU = perClassIoU.clone();
    }

    /** The dataset-level value of {@code metric}, or NaN if it does not apply. */
    public double get(Metric metric) {
        Double v = aggregate.get(metric);
        return v == null ? Double.NaN : v;
    }

    @Override
    public double[] perClassIoU() {
        return perClassIoU.clone();
    }

    /** Mean time per image in milliseconds; NaN for no image. */
    public double meanMillis() {
        return images.stream().mapToDouble(ImageResult::millis).average().orElse(Double.NaN);
    }

    /** Median time per image in milliseconds (mean of the two middle values for an even count). */
    public double medianMillis() {
        double[] t = images.stream().mapToDouble(ImageResult::millis).sorted().toArray();
        if (t.length == 0) {
            return Double.NaN;
        }
        int m = t.length / 2;
        return t.length % 2 == 1 ? t[m] : 0.5 * (t[m - 1] + t[m]);
    }

    /** Total time over all images in milliseconds. */
    public double totalMillis() {
        return images.stream().mapToDouble(ImageResult::millis).sum();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AlgorithmResult r && algorithm.equals(r.algorithm) && output == r.output
                && images.equals(r.images) && aggregate.equals(r.aggregate)
                && Arrays.equals(perClassIoU, r.perClassIoU);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * algorithm.hashCode() + images.hashCode()) + Arrays.hashCode(perClassIoU);
    }

    @Override
    public String toString() {
        return "AlgorithmResult[" + algorithm + ", " + output + ", " + images.size() + " images, " + aggregate
                + "]";
    }
}
