package org.segmentation.nn.detect;

import java.util.Arrays;

/**
 * Stateless operations on boxes stored as flat (x1, y1, x2, y2) arrays (see the package documentation), with
 * torchvision's {@code box_ops} conventions: area is {@code (x2 - x1)·(y2 - y1)}, IoU is
 * {@code inter / (area1 + area2 - inter)}. Every operation takes an optional output, which it fills and returns;
 * it allocates only when given none.
 */
public final class BoxOps {
    private BoxOps() {
    }

    /**
     * Checks that {@code boxes} holds whole boxes (a multiple of 4 values), all finite.
     *
     * @param what names the argument in the message
     * @return the number of boxes
     */
    public static int count(String what, double[] boxes) {
        if (boxes == null) {
            throw new IllegalArgumentException(what + ": expected boxes (x1,y1,x2,y2)*n, got null");
        }
        if (boxes.length % 4 != 0) {
            throw new IllegalArgumentException(what + ": expected a multiple of 4 values (x1,y1,x2,y2 per box), got "
                    + boxes.length);
        }
        for (int i = 0; i < boxes.length; i++) {
            if (!Double.isFinite(boxes[i])) {
                throw new IllegalArgumentException(what + ": box " + i / 4 + " has a non-finite coordinate "
                        + boxes[i]);
            }
        }
        return boxes.length / 4;
    }

    /** {@link #count} plus x1 &lt;= x2 and y1 &lt;= y2 for every box. */
    public static int countOrdered(String what, double[] boxes) {
        int n = count(what, boxes);
        for (int i = 0; i < n; i++) {
            if (boxes[4 * i] > boxes[4 * i + 2] || boxes[4 * i + 1] > boxes[4 * i + 3]) {
                throw new IllegalArgumentException(what + ": box " + i + " has x1 > x2 or y1 > y2: "
                        + Arrays.toString(Arrays.copyOfRange(boxes, 4 * i, 4 * i + 4)));
            }
        }
        return n;
    }

    /** Area (x2 - x1)·(y2 - y1) of box {@code i}. */
    public static double area(double[] boxes, int i) {
        return (boxes[4 * i + 2] - boxes[4 * i]) * (boxes[4 * i + 3] - boxes[4 * i + 1]);
    }

    /**
     * The IoU of every box of {@code a} with every box of {@code b}, torchvision's {@code box_iou}; row-major
     * (na, nb), entry {@code i·nb + j}. Two boxes of zero area give 0/0 = NaN, as in torchvision.
     *
     * @param out receives na·nb values, or null for a new array
     * @return out
     */
    public static double[] iou(double[] a, double[] b, double[] out) {
        int na = count("BoxOps.iou a", a);
        int nb = count("BoxOps.iou b", b);
        if (out == null) {
            out = new double[na * nb];
        } else if (out.length < na * nb) {
            throw new IllegalArgumentException("BoxOps.iou out: expected at least " + na * nb + " values, got "
                    + out.length);
        }
        for (int i = 0; i < na; i++) {
            double areaA = area(a, i);
            for (int j = 0; j < nb; j++) {
                out[i * nb + j] = iou(a, i, areaA, b, j);
            }
        }
        return out;
    }

    /** IoU of box i of a (whose area is given) and box j of b. */
    static double iou(double[] a, int i, double areaA, double[] b, int j) {
        double w = Math.min(a[4 * i + 2], b[4 * j + 2]) - Math.max(a[4 * i], b[4 * j]);
        double h = Math.min(a[4 * i + 3], b[4 * j + 3]) - Math.max(a[4 * i + 1], b[4 * j + 1]);
        double inter = Math.max(w, 0) * Math.max(h, 0);
        return inter / (areaA + area(b, j) - inter);
    }

    /**
     * Clips every coordinate into the image, x into [0, width] and y into [0, height]; torchvision's
     * {@code clip_boxes_to_image}.
     *
     * @param out receives the clipped boxes; may be {@code boxes} itself; null for a new array
     * @return out
     */
    public static double[] clip(double[] boxes, int height, int width, double[] out) {
        int n = count("BoxOps.clip boxes", boxes);
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("BoxOps.clip: image size must be positive, got " + height + "x"
                    + width);
        }
        if (out == null) {
            out = new double[4 * n];
        } else if (out.length < 4 * n) {
            throw new IllegalArgumentException("BoxOps.clip out: expected at least " + 4 * n + " values, got "
                    + out.length);
        }
        for (int i = 0; i < n; i++) {
            out[4 * i] = Math.min(Math.max(boxes[4 * i], 0), width);
            out[4 * i + 1] = Math.min(Math.max(boxes[4 * i + 1], 0), height);
            out[4 * i + 2] = Math.min(Math.max(boxes[4 * i + 2], 0), width);
            out[4 * i + 3] = Math.min(Math.max(boxes[4 * i + 3], 0), height);
        }
        return out;
    }

    /**
     * The indices, ascending, of the boxes at least {@code minSize} wide and high; torchvision's
     * {@code remove_small_boxes}.
     */
    public static int[] keepLarge(double[] boxes, double minSize) {
        int n = count("BoxOps.keepLarge boxes", boxes);
        int[] keep = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (boxes[4 * i + 2] - boxes[4 * i] >= minSize && boxes[4 * i + 3] - boxes[4 * i + 1] >= minSize) {
                keep[k++] = i;
            }
        }
        return Arrays.copyOf(keep, k);
    }

    /** The boxes at the given indices, in that order: 4·idx.length values. */
    public static double[] select(double[] boxes, int[] idx) {
        int n = count("BoxOps.select boxes", boxes);
        double[] out = new double[4 * idx.length];
        for (int k = 0; k < idx.length; k++) {
            if (idx[k] < 0 || idx[k] >= n) {
                throw new IllegalArgumentException("BoxOps.select: index " + idx[k] + " outside 0.." + (n - 1));
            }
            System.arraycopy(boxes, 4 * idx[k], out, 4 * k, 4);
        }
        return out;
    }
}
