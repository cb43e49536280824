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
    /** Union-find parent of each provisional label; slot 0 unused. */
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
        int[] out = output.data;
        for (int y = 0; y < h; y++) {
            for (int o = output.startIndex + y * output.stride, end = o + w; o < end; o++) {
                int v = out[o];
                if (v != 0) {
                    out[o] = p[v];
                }
            }
        }
        count = n;
        return output;
    }

    /** Assigns provisional labels and records equivalences; returns one past the last label used. */
    private int firstPass(Mask mask, LabelMap output) {
        int w = mask.width;
        int h = mask.height;
        byte[] m = mask.data;
        int[] out = output.data;
        int[] p = parent;
        int next = 1;
        for (int y = 0; y < h; y++) {
            int mi = mask.startIndex + y * mask.stride;
            int oi = output.startIndex + y * output.stride;
            int up = oi - output.stride;
            for (int x = 0; x < w; x++) {
                if (m[mi + x] == 0) {
                    out[oi + x] = 0;
                    continue;
                }
                int label = 0;
                if (x > 0 && out[oi + x - 1] != 0) {
                    label = out[oi + x - 1];
                }
                if (y > 0) {
                    label = merge(p, label, out[up + x]);
                    if (eight) {
                        if (x > 0) {
                            label = merge(p, label, out[up + x - 1]);
                        }
                        if (x + 1 < w) {
                            label = merge(p, label, out[up + x + 1]);
                        }
                    }
                }
                if (label == 0) {
                    label = next++;
                    p[label] = label;
                }
                out[oi + x] = label;
            }
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
