package org.segmentation.nn.detect;

import java.util.Arrays;

/**
 * Greedy non-maximum suppression, torchvision's {@code ops.nms} and {@code ops.batched_nms}: visit the boxes by
 * descending score, keep a box unless it overlaps an already kept box with IoU strictly greater than the
 * threshold. Results are indices into the input, ordered by descending score. Boxes of equal score are visited in
 * ascending index order (torchvision's order for ties is that of its unstable sort, so the two agree when scores
 * are distinct).
 */
public final class Nms {
    private Nms() {
    }

    /**
     * @param boxes n boxes (x1, y1, x2, y2)
     * @param scores n finite scores
     * @param iouThreshold boxes overlapping a kept box with IoU &gt; this are dropped
     * @return indices of the kept boxes, by descending score
     */
    public static int[] nms(double[] boxes, double[] scores, double iouThreshold) {
        return suppress(boxes, scores, null, iouThreshold);
    }

    /**
     * NMS applied within each class independently: a box suppresses only boxes of its own class.
     *
     * @param classes n class ids (any ints)
     * @return indices of the kept boxes of all classes, by descending score
     */
    public static int[] batched(double[] boxes, double[] scores, int[] classes, double iouThreshold) {
        if (classes == null) {
            throw new IllegalArgumentException("Nms.batched: classes must not be null");
        }
        return suppress(boxes, scores, classes, iouThreshold);
    }

    private static int[] suppress(double[] boxes, double[] scores, int[] classes, double iouThreshold) {
        int n = BoxOps.count("Nms boxes", boxes);
        if (scores == null || scores.length != n) {
            throw new IllegalArgumentException("Nms: expected " + n + " scores, one per box, got "
                    + (scores == null ? "null" : scores.length));
        }
        if (classes != null && classes.length != n) {
            throw new IllegalArgumentException("Nms.batched: expected " + n + " class ids, one per box, got "
                    + classes.length);
        }
        if (Double.isNaN(iouThreshold)) {
            throw new IllegalArgumentException("Nms: the IoU threshold must not be NaN");
        }
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(scores[i])) {
                throw new IllegalArgumentException("Nms: score " + i + " is NaN");
            }
        }
        int[] order = byDescendingScore(scores);
        double[] area = new double[n];
        for (int i = 0; i < n; i++) {
            area[i] = BoxOps.area(boxes, i);
        }
        boolean[] removed = new boolean[n];
        int[] keep = new int[n];
        int k = 0;
        for (int a = 0; a < n; a++) {
            int i = order[a];
            if (removed[i]) {
                continue;
            }
            keep[k++] = i;
            for (int b = a + 1; b < n; b++) {
                int j = order[b];
                if (!removed[j] && (classes == null || classes[j] == classes[i])
                        && BoxOps.iou(boxes, i, area[i], boxes, j) > iouThreshold) {
                    removed[j] = true;
                }
            }
        }
        return Arrays.copyOf(keep, k);
    }

    /** Indices 0..n-1 sorted by descending score, ties by ascending index. */
    static int[] byDescendingScore(double[] scores) {
        return java.util.stream.IntStream.range(0, scores.length).boxed()
                .sorted((p, q) -> {
                    int c = Double.compare(scores[q], scores[p]);
                    return c != 0 ? c : Integer.compare(p, q);
                })
                .mapToInt(Integer::intValue).toArray();
    }
}
