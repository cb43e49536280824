package org.segmentation.core.label;

import java.util.Objects;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

/**
 * Connected-component labelling of a binary {@link Mask}: two raster passes over the image with a union-find
 * forest of provisional labels (Rosenfeld and Pfaltz 1966; union by smaller label, path halving).
 *
 * <p>Label convention: pixels that are off get 0; the components get {@code 1..n} in raster order of their first
 * pixel (top row first, then left to right), which is the order {@code skimage.measure.label} gives. Two on
 * pixels belong to one component when a chain of {@link Connectivity#FOUR 4-} or {@link Connectivity#EIGHT
 * 8-}neighbours joins them ({@code connectivity=1} and {@code 2} in scikit-image).
 *
 * <p>An instance keeps its union-find buffer between calls; it grows only. Not thread-safe: use one instance per
 * thread.
 */
public final class ConnectedComponents {
    private final boolean eight;
    /** Union-find parent of each provisional label; slot 0 is the background, which maps to 0. */
    private int[] parent = new int[0];
    private int count;

    /** A labeller for the given neighbourhood. */
    public ConnectedComponents(Connectivity connectivity) {
        this.eight = Objects.requireNonNull(connectivity, "connectivity") == Connectivity.EIGHT;
    }

    /** One-shot convenience: a new label map of {@code mask}. */
    public static LabelMap label(Mask mask, Connectivity connectivity) {
        LabelMap out = new LabelMap(mask.width, mask.height);
        new ConnectedComponents(connectivity).process(mask, out);
        return out;
    }

    /** Number of components found by the last {@link #process} call. */
    public int getComponentCount() {
        return count;
    }

    /**
     * Labels the components of {@code mask} into {@code output}.
     *
     * @param mask the binary image; not modified
     * @param output the label map to fill, or null to allocate; reshaped to the mask's size when needed
     * @return the number of components {@code n}: labels are {@code 1..n}, background 0
     */
    public int process(Mask mask, LabelMap output) {
        labels(mask, output);
        return count;
    }

    /**
     * Same as {@link #process} but returns the label map; {@link #getComponentCount()} gives {@code n}.
     *
     * @param output the label map to fill, or null to allocate
     */
    public LabelMap labels(Mask mask, LabelMap output) {
        Objects.requireNonNull(mask, "mask");
        int w = mask.width;
        int h = mask.height;
        output = ImageBase.output(output, w, h, LabelMap::new);
        // A new provisional label needs its left neighbour off, so a row creates at most ceil(w/2).
        int maxProvisional = h * ((w + 1) / 2) + 1;
        if (parent.length < maxProvisional) {
            parent = new int[maxProvisional];
        }
        int next = firstPass(mask, output);
        // Flatten: union by smaller label keeps parent[k] <= k, so the root of a set is its smallest label. Labels
        // were created in raster order, so numbering roots in increasing order numbers the components in raster
        // order of their first pixel. Going upwards, parent[k] < k has already been rewritten to its final label.
        int[] p = parent;
        int n = 0;
        for (int k = 1; k < next; k++) {
            p[k] = p[k] == k ? ++n : p[p[k]];
        }
        p[0] = 0; // background maps to itself: the relabelling loop needs no branch
        int[] out = output.data;
        for (int y = 0; y < h; y++) {
            for (int o = output.startIndex + y * output.stride, end = o + w; o < end; o++) {
                out[o] = p[out[o]];
            }
        }
        count = n;
        return output;
    }

    /**
     * Assigns provisional labels and records equivalences; returns one past the last label used. The neighbours
     * already labelled are examined in the order of a decision tree (Wu, Otoo and Suzuki 2009, "Optimizing
     * two-pass connected-component labeling algorithms", SAUF) that skips those already known to share a set: most
     * pixels need one read and no union.
     */
    private int firstPass(Mask mask, LabelMap output) {
        int w = mask.width;
        int h = mask.height;
        byte[] m = mask.data;
        int[] out = output.data;
        int[] p = parent;
        int next = 1;
        // First row: the left neighbour only.
        int mi = mask.startIndex;
        int oi = output.startIndex;
        int left = 0;
        for (int x = 0; x < w; x++) {
            int label = 0;
            if (m[mi + x] != 0) {
                if (left != 0) {
                    label = left;
                } else {
                    label = next;
                    p[next] = next;
                    next++;
                }
            }
            out[oi + x] = label;
            left = label;
        }
        for (int y = 1; y < h; y++) {
            mi = mask.startIndex + y * mask.stride;
            oi = output.startIndex + y * output.stride;
            int up = oi - output.stride;
            next = eight ? row8(m, mi, out, oi, up, w, p, next) : row4(m, mi, out, oi, up, w, p, next);
        }
        return next;
    }

    /** One row after the first, 4-connected: up {@code b}, left {@code d}. */
    private static int row4(byte[] m, int mi, int[] out, int oi, int up, int w, int[] p, int next) {
        int d = 0;
        for (int x = 0; x < w; x++) {
            int label = 0;
            if (m[mi + x] != 0) {
                int b = out[up + x];
                if (b != 0) {
                    label = d == 0 || d == b ? b : merge(p, b, d);
                } else if (d != 0) {
                    label = d;
                } else {
                    label = next;
                    p[next] = next;
                    next++;
                }
            }
            out[oi + x] = label;
            d = label;
        }
        return next;
    }

    /**
     * One row after the first, 8-connected: up-left {@code a}, up {@code b}, up-right {@code c}, left {@code d}.
     * When {@code b} is on it is adjacent to the other three, which were united with it earlier; {@code a} and
     * {@code d} are adjacent to each other; only {@code c} with {@code a} or {@code d} may join two sets.
     */
    private static int row8(byte[] m, int mi, int[] out, int oi, int up, int w, int[] p, int next) {
        int d = 0;
        int a = 0;
        int b = out[up];
        for (int x = 0; x < w; x++) {
            int c = x + 1 < w ? out[up + x + 1] : 0;
            int label = 0;
            if (m[mi + x] != 0) {
                if (b != 0) {
                    label = b;
                } else if (c != 0) {
                    if (a != 0) {
                        label = a == c ? c : merge(p, c, a);
                    } else if (d != 0) {
                        label = d == c ? c : merge(p, c, d);
                    } else {
                        label = c;
                    }
                } else if (a != 0) {
                    label = a;
                } else if (d != 0) {
                    label = d;
                } else {
                    label = next;
                    p[next] = next;
                    next++;
                }
            }
            out[oi + x] = label;
            d = label;
            a = b;
            b = c;
        }
        return next;
    }

    /** Unites the sets of {@code a} and {@code b} (either may be 0 for none); returns a label of the union. */
    private static int merge(int[] p, int a, int b) {
        if (b == 0) {
            return a;
        }
        if (a == 0) {
            return b;
        }
        int ra = find(p, a);
        int rb = find(p, b);
        if (ra < rb) {
            p[rb] = ra;
            return ra;
        }
        p[ra] = rb;
        return rb;
    }

    private static int find(int[] p, int a) {
        while (p[a] != a) {
            p[a] = p[p[a]];
            a = p[a];
        }
        return a;
    }
}
