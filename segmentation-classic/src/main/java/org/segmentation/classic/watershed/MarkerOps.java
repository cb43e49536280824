package org.segmentation.classic.watershed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.segmentation.classic.region.Pixel;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.label.ConnectedComponents;

/**
 * Marker extraction for the {@link Watershed}: regional extrema, h-maxima and peaks with a minimum spacing.
 * Float inputs must be finite ({@link IllegalArgumentException} otherwise). The distance transform is
 * {@link org.segmentation.core.ops.DistanceTransformOps}.
 */
public final class MarkerOps {
    private MarkerOps() {
    }

    /**
     * Regional maxima: the connected plateaus (of equal value) whose every outside neighbour is strictly lower; the
     * image border does not disqualify a plateau. This is {@code skimage.morphology.local_maxima} with
     * {@code connectivity=1} or {@code 2}. A constant image is one plateau and so one maximum.
     *
     * @param dst output mask, or null to allocate
     */
    public static Mask regionalMaxima(GrayF32 image, Connectivity connectivity, Mask dst) {
        return extrema(image, connectivity, dst, true);
    }

    /** Regional minima; the mirror image of {@link #regionalMaxima(GrayF32, Connectivity, Mask)}. */
    public static Mask regionalMinima(GrayF32 image, Connectivity connectivity, Mask dst) {
        return extrema(image, connectivity, dst, false);
    }

    /** Regional maxima of an 8-bit image; see {@link #regionalMaxima(GrayF32, Connectivity, Mask)}. */
    public static Mask regionalMaxima(GrayU8 image, Connectivity connectivity, Mask dst) {
        return extrema(toF32(image), connectivity, dst, true);
    }

    /** Regional minima of an 8-bit image. */
    public static Mask regionalMinima(GrayU8 image, Connectivity connectivity, Mask dst) {
        return extrema(toF32(image), connectivity, dst, false);
    }

    /**
     * The h-maxima: the tops of the maxima whose dynamic (height above the saddle to a higher region) is at least
     * {@code h}, as {@code skimage.morphology.h_maxima} with its default 3x3 footprint: reconstruct
     * {@code image - h} by dilation under {@code image} and keep the pixels where {@code image - reconstruction >=
     * h}. If {@code h} exceeds the image's range the result is empty. (For float images scikit-image subtracts a
     * further two units of float resolution from {@code image - h}; this method does not.)
     *
     * @throws IllegalArgumentException if {@code h <= 0} or not finite
     */
    public static Mask hMaxima(GrayF32 image, double h, Mask dst) {
        Objects.requireNonNull(image, "image");
        if (!(h > 0) || Double.isInfinite(h)) {
            throw new IllegalArgumentException("h must be finite and > 0, got " + h);
        }
        int w = image.width;
        int ht = image.height;
        double[] mask = values(image);
        dst = ImageBase.output(dst, w, ht, Mask::new);
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : mask) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        dst.fill(false);
        if (h > max - min) {
            return dst;
        }
        double[] rec = new double[mask.length];
        for (int i = 0; i < rec.length; i++) {
            rec[i] = mask[i] - h;
        }
        reconstructByDilation(rec, mask, w, ht);
        for (int y = 0; y < ht; y++) {
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                dst.data[d + x] = (byte) (mask[i] - rec[i] >= h ? 1 : 0);
            }
        }
        return dst;
    }

    /** h-maxima of an 8-bit image; integer arithmetic as scikit-image ({@code image - h} clipped at 0). */
    public static Mask hMaxima(GrayU8 image, int h, Mask dst) {
        // Clipping image - h at 0 changes nothing: every pixel is connected to the global maximum, whose marker
        // max - h is >= 0 (h <= range), so the reconstruction is >= 0 everywhere either way.
        return hMaxima(toF32(image), h, dst);
    }

    /**
     * Grayscale reconstruction by dilation of {@code marker} under {@code mask} with the 3x3 neighbourhood (L.
     * Vincent, "Morphological grayscale reconstruction in image analysis", IEEE TIP 2(2), 1993, hybrid algorithm):
     * a forward and a backward raster pass, then a FIFO propagation. {@code marker} is overwritten.
     */
    static void reconstructByDilation(double[] marker, double[] mask, int w, int h) {
        double[] r = marker;
        for (int i = 0; i < r.length; i++) {
            r[i] = Math.min(r[i], mask[i]);
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                double v = r[i];
                if (x > 0) {
                    v = Math.max(v, r[i - 1]);
                }
                if (y > 0) {
                    for (int dx = -1; dx <= 1; dx++) {
                        if (x + dx >= 0 && x + dx < w) {
                            v = Math.max(v, r[i - w + dx]);
                        }
                    }
                }
                r[i] = Math.min(v, mask[i]);
            }
        }
        int[] fifo = new int[16];
        int head = 0;
        int tail = 0;
        for (int y = h - 1; y >= 0; y--) {
            for (int x = w - 1; x >= 0; x--) {
                int i = y * w + x;
                double v = r[i];
                if (x < w - 1) {
                    v = Math.max(v, r[i + 1]);
                }
                if (y < h - 1) {
                    for (int dx = -1; dx <= 1; dx++) {
                        if (x + dx >= 0 && x + dx < w) {
                            v = Math.max(v, r[i + w + dx]);
                        }
                    }
                }
                v = Math.min(v, mask[i]);
                r[i] = v;
                // A later-scanned neighbour that can still rise from this pixel queues it for propagation.
                boolean queue = x < w - 1 && r[i + 1] < v && r[i + 1] < mask[i + 1];
                if (!queue && y < h - 1) {
                    for (int dx = -1; dx <= 1 && !queue; dx++) {
                        int q = i + w + dx;
                        queue = x + dx >= 0 && x + dx < w && r[q] < v && r[q] < mask[q];
                    }
                }
                if (queue) {
                    if (tail == fifo.length) {
                        fifo = Arrays.copyOf(fifo, fifo.length * 2);
                    }
                    fifo[tail++] = i;
                }
            }
        }
        while (head < tail) {
            int p = fifo[head++];
            int x = p % w;
            int y = p / w;
            for (int dy = -1; dy <= 1; dy++) {
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx;
                    int yy = y + dy;
                    if ((dx == 0 && dy == 0) || xx < 0 || yy < 0 || xx >= w || yy >= h) {
                        continue;
                    }
                    int q = yy * w + xx;
                    if (r[q] < r[p] && mask[q] != r[q]) {
                        r[q] = Math.min(r[p], mask[q]);
                        if (tail == fifo.length) {
                            // Compact the consumed head before growing.
                            System.arraycopy(fifo, head, fifo, 0, tail - head);
                            tail -= head;
                            head = 0;
                            if (tail == fifo.length) {
                                fifo = Arrays.copyOf(fifo, fifo.length * 2);
                            }
                        }
                        fifo[tail++] = q;
                    }
                }
            }
        }
    }

    /**
     * Local peaks at least {@code minDistance} apart, as {@code skimage.feature.peak_local_max(image, min_distance,
     * threshold_abs, exclude_border)} with its other defaults: a pixel is a candidate when it equals the maximum of
     * the {@code (2d+1) x (2d+1)} window around it (outside the image counts as 0), exceeds the threshold, and (if
     * {@code excludeBorder}) lies at least {@code d} pixels from the border; candidates are taken from the highest
     * down and a candidate closer than {@code d} (Chebyshev distance) to an already accepted peak is dropped. An
     * image whose every pixel is a candidate (a constant image) has no peak. Among equal values candidates are taken
     * in raster order (scikit-image's order there is that of NumPy's unstable sort).
     *
     * @param minDistance {@code d >= 1}
     * @param thresholdAbs minimum value a peak must exceed; NaN for the default, the image minimum
     * @return the peaks, highest first
     * @throws IllegalArgumentException if {@code minDistance < 1}
     */
    public static List<Pixel> peakLocalMax(GrayF32 image, int minDistance, double thresholdAbs,
            boolean excludeBorder) {
        Objects.requireNonNull(image, "image");
        if (minDistance < 1) {
            throw new IllegalArgumentException("minDistance must be >= 1, got " + minDistance);
        }
        int w = image.width;
        int h = image.height;
        double[] v = values(image);
        double threshold = thresholdAbs;
        if (Double.isNaN(threshold)) {
            threshold = Double.POSITIVE_INFINITY;
            for (double x : v) {
                threshold = Math.min(threshold, x);
            }
        }
        double[] max = maxFilter(v, w, h, minDistance);
        boolean trivial = true;
        for (int i = 0; i < v.length && trivial; i++) {
            trivial = v[i] == max[i];
        }
        List<Integer> candidates = new ArrayList<>();
        if (!trivial) {
            int b = excludeBorder ? minDistance : 0;
            for (int y = b; y < h - b; y++) {
                for (int x = b; x < w - b; x++) {
                    int i = y * w + x;
                    if (v[i] == max[i] && v[i] > threshold) {
                        candidates.add(i);
                    }
                }
            }
        }
        // Stable sort, highest first: equal values stay in raster order.
        candidates.sort(Comparator.comparingDouble((Integer i) -> -v[i]));
        List<Pixel> peaks = new ArrayList<>();
        // Accepted peaks bucketed on a grid of minDistance-sized cells: a conflict lies in the 3x3 cells around.
        int cw = (w + minDistance - 1) / minDistance;
        int ch = (h + minDistance - 1) / minDistance;
        List<List<Pixel>> grid = new ArrayList<>(cw * ch);
        for (int k = 0; k < cw * ch; k++) {
            grid.add(null);
        }
        for (int i : candidates) {
            int x = i % w;
            int y = i / w;
            int cx = x / minDistance;
            int cy = y / minDistance;
            boolean ok = true;
            for (int gy = Math.max(0, cy - 1); gy <= Math.min(ch - 1, cy + 1) && ok; gy++) {
                for (int gx = Math.max(0, cx - 1); gx <= Math.min(cw - 1, cx + 1) && ok; gx++) {
                    List<Pixel> cell = grid.get(gy * cw + gx);
                    if (cell != null) {
                        for (Pixel p : cell) {
                            if (Math.max(Math.abs(p.x() - x), Math.abs(p.y() - y)) < minDistance) {
                                ok = false;
                                break;
                            }
                        }
                    }
                }
            }
            if (ok) {
                Pixel p = new Pixel(x, y);
                peaks.add(p);
                int k = cy * cw + cx;
                if (grid.get(k) == null) {
                    grid.set(k, new ArrayList<>());
                }
                grid.get(k).add(p);
            }
        }
        return peaks;
    }

    /**
     * Markers from the minima of an elevation image (e.g. a gradient magnitude), each 8-connected plateau one
     * label {@code 1..n} in raster order ({@link ConnectedComponents}): the h-minima, minima at least {@code h}
     * deep ({@code skimage.morphology.h_minima}, computed as the h-maxima of {@code 255 - elevation}), when
     * {@code h > 0}, else every regional minimum. These are the automatic markers of a watershed of the
     * elevation.
     *
     * @param elevation not modified
     * @throws IllegalArgumentException if {@code h < 0}
     */
    public static LabelMap minimaMarkers(GrayU8 elevation, int h) {
        Objects.requireNonNull(elevation, "elevation");
        Mask minima;
        if (h < 0) {
            throw new IllegalArgumentException("the h-minima depth must be >= 0, got " + h);
        } else if (h == 0) {
            minima = regionalMinima(elevation, Connectivity.EIGHT, null);
        } else {
            GrayU8 inverted = new GrayU8(elevation.width, elevation.height);
            for (int y = 0; y < elevation.height; y++) {
                int src = elevation.startIndex + y * elevation.stride;
                int dst = y * inverted.stride;
                for (int x = 0; x < elevation.width; x++) {
                    inverted.data[dst + x] = (byte) (255 - (elevation.data[src + x] & 0xFF));
                }
            }
            minima = hMaxima(inverted, h, null);
        }
        return ConnectedComponents.label(minima, Connectivity.EIGHT);
    }

    /**
     * A marker map with one single-pixel marker per point, numbered {@code 1..n} in raster order of the points (the
     * numbering {@code scipy.ndimage.label} gives a mask of isolated points).
     *
     * @throws IllegalArgumentException if a point lies outside {@code width x height}
     */
    public static LabelMap pointMarkers(List<Pixel> points, int width, int height, LabelMap dst) {
        dst = ImageBase.output(dst, width, height, LabelMap::new);
        dst.fill(0);
        List<Pixel> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingInt((Pixel p) -> p.y()).thenComparingInt(Pixel::x));
        int label = 0;
        for (Pixel p : sorted) {
            if (!dst.isInBounds(p.x(), p.y())) {
                throw new IllegalArgumentException("point (" + p.x() + ", " + p.y() + ") is outside the " + width
                        + "x" + height + " image");
            }
            if (dst.unsafe_get(p.x(), p.y()) == 0) {
                dst.unsafe_set(p.x(), p.y(), ++label);
            }
        }
        return dst;
    }

    /** Square maximum filter of half-size {@code r}, separable, with 0 outside the image. */
    private static double[] maxFilter(double[] v, int w, int h, int r) {
        double[] tmp = new double[v.length];
        double[] out = new double[v.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double m = x - r < 0 || x + r >= w ? 0 : Double.NEGATIVE_INFINITY;
                for (int xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
                    m = Math.max(m, v[y * w + xx]);
                }
                tmp[y * w + x] = m;
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double m = y - r < 0 || y + r >= h ? 0 : Double.NEGATIVE_INFINITY;
                for (int yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
                    m = Math.max(m, tmp[yy * w + x]);
                }
                out[y * w + x] = m;
            }
        }
        return out;
    }

    private static Mask extrema(GrayF32 image, Connectivity connectivity, Mask dst, boolean maxima) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(connectivity, "connectivity");
        int w = image.width;
        int h = image.height;
        double[] v = values(image);
        dst = ImageBase.output(dst, w, h, Mask::new);
        byte[] seen = new byte[w * h];
        int[] plateau = new int[w * h];
        int k = connectivity.size();
        for (int start = 0; start < v.length; start++) {
            if (seen[start] != 0) {
                continue;
            }
            // Gather the plateau of start; it is an extremum unless some neighbour is beyond it.
            double level = v[start];
            int count = 0;
            plateau[count++] = start;
            seen[start] = 1;
            boolean extremum = true;
            for (int head = 0; head < count; head++) {
                int p = plateau[head];
                int x = p % w;
                int y = p / w;
                for (int n = 0; n < k; n++) {
                    int xx = x + connectivity.dx(n);
                    int yy = y + connectivity.dy(n);
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h) {
                        continue;
                    }
                    int q = yy * w + xx;
                    double u = v[q];
                    if (u == level) {
                        if (seen[q] == 0) {
                            seen[q] = 1;
                            plateau[count++] = q;
                        }
                    } else if (maxima ? u > level : u < level) {
                        extremum = false;
                    }
                }
            }
            byte on = (byte) (extremum ? 1 : 0);
            for (int i = 0; i < count; i++) {
                int p = plateau[i];
                dst.data[dst.startIndex + (p / w) * dst.stride + p % w] = on;
            }
        }
        return dst;
    }

    /** Row-major copy as doubles; rejects non-finite values. */
    private static double[] values(GrayF32 image) {
        int w = image.width;
        double[] v = new double[w * image.height];
        for (int y = 0; y < image.height; y++) {
            int s = image.startIndex + y * image.stride;
            for (int x = 0; x < w; x++) {
                float f = image.data[s + x];
                if (!Float.isFinite(f)) {
                    throw new IllegalArgumentException("pixel (" + x + ", " + y + ") is " + f
                            + ": markers need finite values");
                }
                v[y * w + x] = f;
            }
        }
        return v;
    }

    private static GrayF32 toF32(GrayU8 image) {
        Objects.requireNonNull(image, "image");
        GrayF32 f = new GrayF32(image.width, image.height);
        for (int y = 0; y < image.height; y++) {
            for (int x = 0; x < image.width; x++) {
                f.data[y * image.width + x] = image.unsafe_get(x, y);
            }
        }
        return f;
    }
}
