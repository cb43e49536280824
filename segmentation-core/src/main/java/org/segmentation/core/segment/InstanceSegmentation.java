package org.segmentation.core.segment;

import java.util.Arrays;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

/**
 * Instances found in one image, each with a class, a score and a box: the output of an instance-segmentation
 * model (Mask R-CNN), and what the COCO evaluator, the overlay writer and the results writer take.
 *
 * <p>Instance {@code i} (0-based, by descending score as a detector lists them) is label {@code i + 1} of
 * {@code labels} (0 background); where detections overlapped, the pixel went to one of them, so an instance may
 * have fewer pixels than its box suggests, or none. {@code classes[i]} is its class id (≥ 1, 0 being background),
 * {@code scores[i]} its confidence in [0, 1] (1 for ground truth), and its box is {@code boxes[4i .. 4i + 3]} =
 * (x1, y1, x2, y2) in pixels, where pixel (x, y) covers [x, x + 1) × [y, y + 1).
 *
 * <p>The arrays are the record's own (not copied); treat them as read-only.
 */
public record InstanceSegmentation(LabelMap labels, int[] classes, double[] scores, double[] boxes) {
    /**
     * @throws IllegalArgumentException naming the instance and value if the arrays' lengths disagree, a class is
     *     below 1, a score is outside [0, 1], a box is not finite or has x2 &lt; x1 or y2 &lt; y1, or a label is
     *     outside 0..n
     */
    public InstanceSegmentation {
        if (labels == null || classes == null || scores == null || boxes == null) {
            throw new IllegalArgumentException("InstanceSegmentation: null labels, classes, scores or boxes");
        }
        int n = classes.length;
        if (scores.length != n || boxes.length != 4 * n) {
            throw new IllegalArgumentException("InstanceSegmentation: " + n + " classes but " + scores.length
                    + " scores and " + boxes.length + " box values (4 per instance)");
        }
        for (int i = 0; i < n; i++) {
            if (classes[i] < 1) {
                throw new IllegalArgumentException("InstanceSegmentation: instance " + i + " has class " + classes[i]
                        + "; classes start at 1");
            }
            if (!(scores[i] >= 0 && scores[i] <= 1)) {
                throw new IllegalArgumentException("InstanceSegmentation: instance " + i + " has score "
                        + scores[i] + ", outside [0, 1]");
            }
            double x1 = boxes[4 * i];
            double y1 = boxes[4 * i + 1];
            double x2 = boxes[4 * i + 2];
            double y2 = boxes[4 * i + 3];
            if (!(Double.isFinite(x1) && Double.isFinite(y1) && Double.isFinite(x2) && Double.isFinite(y2)
                    && x2 >= x1 && y2 >= y1)) {
                throw new IllegalArgumentException("InstanceSegmentation: instance " + i + " has box (" + x1 + ", "
                        + y1 + ", " + x2 + ", " + y2 + ")");
            }
        }
        for (int y = 0; y < labels.height; y++) {
            for (int x = 0; x < labels.width; x++) {
                int l = labels.unsafe_get(x, y);
                if (l < 0 || l > n) {
                    throw new IllegalArgumentException("InstanceSegmentation: label " + l + " at (" + x + ", " + y
                            + ") but there are " + n + " instances");
                }
            }
        }
    }

    /** No instances in a width × height image. */
    public static InstanceSegmentation empty(int width, int height) {
        return new InstanceSegmentation(new LabelMap(width, height), new int[0], new double[0], new double[0]);
    }

    /**
     * Ground-truth style instances from an instance label map and, per instance id, its class: each id 1..max that
     * has pixels becomes one instance (renumbered in id order), with score 1 and its pixel extent
     * [xmin, xmax + 1) × [ymin, ymax + 1) as box.
     *
     * @param classOf class of instance id {@code l} at index {@code l} (index 0 unused); null gives every instance
     *     class 1
     * @throws IllegalArgumentException if a label is negative or an instance's class is missing or below 1
     */
    public static InstanceSegmentation fromLabels(LabelMap instances, int[] classOf) {
        int max = instances.maxLabel();
        int[] minX = new int[max + 1];
        int[] minY = new int[max + 1];
        int[] maxX = new int[max + 1];
        int[] maxY = new int[max + 1];
        Arrays.fill(minX, Integer.MAX_VALUE);
        Arrays.fill(minY, Integer.MAX_VALUE);
        Arrays.fill(maxX, -1);
        Arrays.fill(maxY, -1);
        for (int y = 0; y < instances.height; y++) {
            for (int x = 0; x < instances.width; x++) {
                int l = instances.unsafe_get(x, y);
                if (l < 0) {
                    throw new IllegalArgumentException("InstanceSegmentation.fromLabels: label " + l + " at (" + x
                            + ", " + y + ")");
                }
                minX[l] = Math.min(minX[l], x);
                minY[l] = Math.min(minY[l], y);
                maxX[l] = Math.max(maxX[l], x);
                maxY[l] = Math.max(maxY[l], y);
            }
        }
        int[] renumber = new int[max + 1];
        int n = 0;
        for (int l = 1; l <= max; l++) {
            if (maxX[l] >= 0) {
                renumber[l] = ++n;
            }
        }
        int[] classes = new int[n];
        double[] scores = new double[n];
        double[] boxes = new double[4 * n];
        for (int l = 1; l <= max; l++) {
            int i = renumber[l] - 1;
            if (i < 0) {
                continue;
            }
            if (classOf != null && l >= classOf.length) {
                throw new IllegalArgumentException("InstanceSegmentation.fromLabels: no class for instance " + l
                        + " (" + classOf.length + " classes given)");
            }
            classes[i] = classOf == null ? 1 : classOf[l];
            scores[i] = 1;
            boxes[4 * i] = minX[l];
            boxes[4 * i + 1] = minY[l];
            boxes[4 * i + 2] = maxX[l] + 1;
            boxes[4 * i + 3] = maxY[l] + 1;
        }
        LabelMap labels = new LabelMap(instances.width, instances.height);
        for (int y = 0; y < instances.height; y++) {
            for (int x = 0; x < instances.width; x++) {
                labels.unsafe_set(x, y, renumber[instances.unsafe_get(x, y)]);
            }
        }
        return new InstanceSegmentation(labels, classes, scores, boxes);
    }

    /** The number of instances. */
    public int size() {
        return classes.length;
    }

    /**
     * The pixels of instance {@code i} (label i + 1).
     *
     * @param out reshaped and filled, or null for a new mask
     */
    public Mask mask(int i, Mask out) {
        if (i < 0 || i >= size()) {
            throw new IndexOutOfBoundsException("instance " + i + " of " + size());
        }
        if (out == null) {
            out = new Mask(labels.width, labels.height);
        } else {
            out.reshape(labels.width, labels.height);
        }
        for (int y = 0; y < labels.height; y++) {
            for (int x = 0; x < labels.width; x++) {
                out.unsafe_set(x, y, labels.unsafe_get(x, y) == i + 1);
            }
        }
        return out;
    }
}
