package org.segmentation.bench.eval;

import java.util.Arrays;
import java.util.Objects;
import org.segmentation.classic.kmeans.FeatureSpace;
import org.segmentation.classic.kmeans.KMeans;
import org.segmentation.classic.kmeans.KMeansConfig;
import org.segmentation.classic.kmeans.KMeansSegmentation;
import org.segmentation.classic.threshold.MultiOtsuOps;
import org.segmentation.classic.threshold.OtsuOps;
import org.segmentation.classic.watershed.MarkerOps;
import org.segmentation.classic.watershed.SplitConfig;
import org.segmentation.classic.watershed.SplitTouching;
import org.segmentation.classic.watershed.Watershed;
import org.segmentation.classic.watershed.WatershedConfig;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.label.ConnectedComponents;

/**
 * The classic algorithms as {@link Segmenter}s for {@code seg evaluate}, with their default settings, and the
 * few steps around them that {@code seg segment} shares: the Sobel elevation, automatic watershed markers,
 * ordering k-means clusters by brightness, and counting labels.
 */
public final class ClassicSegmenters {
    /** Otsu's threshold; foreground above it. */
    public static final String OTSU = "otsu";
    /** Multi-Otsu, 3 classes ordered by intensity. */
    public static final String MULTI_OTSU = "multi-otsu";
    /** k-means on RGB, 3 clusters ordered by brightness. */
    public static final String KMEANS = "kmeans";
    /** Watershed of the Sobel magnitude from h-minima markers, inside the Otsu foreground. */
    public static final String WATERSHED = "watershed";
    /** Otsu, distance transform and watershed splitting touching objects. */
    public static final String SPLIT_TOUCHING = "split-touching";

    /** Classes of the registered multi-Otsu and k-means segmenters. */
    public static final int CLASSES = 3;
    /** Depth of the h-minima that seed the registered watershed. */
    public static final int DEFAULT_H = 10;

    private ClassicSegmenters() {
    }

    /** Registers the five segmenters above under their names. */
    static SegmenterRegistry registerAll(SegmenterRegistry registry) {
        return registry
                .register(OTSU, "foreground above Otsu's threshold of the gray image", ClassicSegmenters::otsu)
                .register(MULTI_OTSU, CLASSES + " multi-Otsu classes, darkest = 0",
                        () -> multiOtsu(CLASSES))
                .register(KMEANS, "k-means on RGB (k=" + CLASSES + ", seed 0), clusters ordered darkest = 0",
                        () -> kmeans(CLASSES, 0))
                .register(WATERSHED, "watershed of the Sobel magnitude from h-minima (h=" + DEFAULT_H
                        + ") inside the Otsu foreground", () -> watershed(DEFAULT_H))
                .register(SPLIT_TOUCHING, "Otsu + distance-transform peaks + watershed (default SplitConfig)",
                        () -> splitTouching(new SplitConfig()));
    }

    /** Otsu's threshold of the 8-bit gray view; output {@link Segmenter.Output#FOREGROUND}, labels 0 and 1. */
    public static Segmenter otsu() {
        return Segmenter.of(OTSU, Segmenter.Output.FOREGROUND,
                input -> maskToLabels(OtsuOps.binarize(input.gray(), null, null).mask()));
    }

    /** Multi-Otsu classes {@code 0..classes-1} (darkest 0); output {@link Segmenter.Output#CLASSES}. */
    public static Segmenter multiOtsu(int classes) {
        return Segmenter.of(MULTI_OTSU, Segmenter.Output.CLASSES, input -> {
            LabelMap labels = MultiOtsuOps.segment(input.gray(), classes, null).labels();
            for (int i = 0; i < labels.data.length; i++) {
                labels.data[i]--;
            }
            return labels;
        });
    }

    /**
     * k-means of the RGB view (k-means++, 3 attempts, the given seed), clusters renumbered {@code 0..k-1} by
     * the luma of their centres (darkest 0); output {@link Segmenter.Output#CLASSES}.
     */
    public static Segmenter kmeans(int k, long seed) {
        KMeans kmeans = new KMeans(KMeansConfig.of(k).withSeed(seed));
        return Segmenter.of(KMEANS, Segmenter.Output.CLASSES, input -> {
            LabelMap labels = byBrightness(kmeans.segment(input.rgb(), FeatureSpace.RGB, 0.0, null),
                    FeatureSpace.RGB);
            for (int i = 0; i < labels.data.length; i++) {
                labels.data[i]--;
            }
            return labels;
        });
    }

    /**
     * {@link #watershed(GrayU8, int, Connectivity, Mask)} 4-connected inside the Otsu foreground; output
     * {@link Segmenter.Output#INSTANCES}.
     */
    public static Segmenter watershed(int h) {
        return Segmenter.of(WATERSHED, Segmenter.Output.INSTANCES, input -> {
            GrayU8 gray = input.gray();
            return watershed(gray, h, Connectivity.FOUR, OtsuOps.binarize(gray, null, null).mask());
        });
    }

    /** {@link SplitTouching} of the gray view; output {@link Segmenter.Output#INSTANCES}. */
    public static Segmenter splitTouching(SplitConfig config) {
        SplitTouching split = new SplitTouching(config);
        return Segmenter.of(SPLIT_TOUCHING, Segmenter.Output.INSTANCES,
                input -> split.process(input.gray(), null).labels());
    }

    // ---------------------------------------------------------------- steps shared with seg segment

    /**
     * Watershed of the Sobel magnitude of {@code gray} ({@link #sobelMagnitude}) from {@link #autoMarkers},
     * restricted to {@code foreground} when given (markers outside it are dropped), labels renumbered
     * {@code 1..n} in raster order of first appearance.
     */
    public static LabelMap watershed(GrayU8 gray, int h, Connectivity connectivity, Mask foreground) {
        GrayU8 elevation = sobelMagnitude(gray, null);
        LabelMap markers = autoMarkers(elevation, h);
        LabelMap labels = new Watershed(WatershedConfig.of(connectivity)).process(elevation, markers, foreground,
                null);
        relabel(labels);
        return labels;
    }

    /**
     * Markers from the minima of an elevation image, each 8-connected plateau one label {@code 1..n}: the
     * h-minima (minima at least {@code h} deep, {@code skimage.morphology.h_minima}) when {@code h > 0}, else
     * every regional minimum.
     *
     * @throws IllegalArgumentException if {@code h < 0}
     */
    public static LabelMap autoMarkers(GrayU8 elevation, int h) {
        Mask minima;
        if (h < 0) {
            throw new IllegalArgumentException("the h-minima depth must be >= 0, got " + h);
        } else if (h == 0) {
            minima = MarkerOps.regionalMinima(elevation, Connectivity.EIGHT, null);
        } else {
            GrayU8 inverted = elevation.copy();
            for (int y = 0; y < inverted.height; y++) {
                int row = inverted.startIndex + y * inverted.stride;
                for (int x = 0; x < inverted.width; x++) {
                    inverted.data[row + x] = (byte) (255 - (inverted.data[row + x] & 0xFF));
                }
            }
            minima = MarkerOps.hMaxima(inverted, h, null);
        }
        return ConnectedComponents.label(minima, Connectivity.EIGHT);
    }

    /**
     * The Sobel gradient magnitude {@code round(sqrt(gx^2 + gy^2) / 4)} clipped to 255; the 3x3 kernels weigh 4
     * in each direction, the normalisation of {@code skimage.filters.sobel}. Edge pixels are replicated.
     *
     * @param dst output, or null to allocate
     */
    public static GrayU8 sobelMagnitude(GrayU8 src, GrayU8 dst) {
        Objects.requireNonNull(src, "src");
        int w = src.width;
        int h = src.height;
        if (dst == null) {
            dst = new GrayU8(w, h);
        }
        src.checkSameShape(dst, "output");
        for (int y = 0; y < h; y++) {
            int ym = src.startIndex + Math.max(y - 1, 0) * src.stride;
            int y0 = src.startIndex + y * src.stride;
            int yp = src.startIndex + Math.min(y + 1, h - 1) * src.stride;
            int out = dst.startIndex + y * dst.stride;
            byte[] d = src.data;
            for (int x = 0; x < w; x++) {
                int xm = Math.max(x - 1, 0);
                int xp = Math.min(x + 1, w - 1);
                int gx = ((d[yp + xp] & 0xFF) + 2 * (d[y0 + xp] & 0xFF) + (d[ym + xp] & 0xFF))
                        - ((d[yp + xm] & 0xFF) + 2 * (d[y0 + xm] & 0xFF) + (d[ym + xm] & 0xFF));
                int gy = ((d[yp + xm] & 0xFF) + 2 * (d[yp + x] & 0xFF) + (d[yp + xp] & 0xFF))
                        - ((d[ym + xm] & 0xFF) + 2 * (d[ym + x] & 0xFF) + (d[ym + xp] & 0xFF));
                long v = Math.round(Math.sqrt((double) gx * gx + (double) gy * gy) / 4.0);
                dst.data[out + x] = (byte) Math.min(v, 255);
            }
        }
        return dst;
    }

    /**
     * The k-means labels renumbered so that label 1 is the cluster whose centre is darkest (BT.601 luma for
     * colour features), then upwards; ties keep cluster order. Modifies and returns the segmentation's labels.
     */
    public static LabelMap byBrightness(KMeansSegmentation s, FeatureSpace space) {
        int k = s.clustering().k();
        double[] brightness = new double[k];
        Integer[] order = new Integer[k];
        for (int c = 0; c < k; c++) {
            order[c] = c;
            brightness[c] = switch (space) {
                case GRAY -> s.clustering().center(c, 0);
                case RGB -> 0.299 * s.clustering().center(c, 0) + 0.587 * s.clustering().center(c, 1)
                        + 0.114 * s.clustering().center(c, 2);
                case LAB -> s.clustering().center(c, 0);
            };
        }
        Arrays.sort(order, (a, b) -> Double.compare(brightness[a], brightness[b]));
        int[] newLabel = new int[k + 1];
        for (int rank = 0; rank < k; rank++) {
            newLabel[order[rank] + 1] = rank + 1;
        }
        LabelMap labels = s.labels();
        for (int y = 0; y < labels.height; y++) {
            int row = labels.startIndex + y * labels.stride;
            for (int x = 0; x < labels.width; x++) {
                labels.data[row + x] = newLabel[labels.data[row + x]];
            }
        }
        return labels;
    }

    /**
     * Renumbers the non-zero labels {@code 1..n} in raster order of first appearance, 0 stays 0.
     *
     * @return {@code n}, the number of distinct non-zero labels
     * @throws IllegalArgumentException if a label is negative
     */
    public static int relabel(LabelMap labels) {
        int[] map = new int[labels.maxLabel() + 1];
        int n = 0;
        for (int y = 0; y < labels.height; y++) {
            int row = labels.startIndex + y * labels.stride;
            for (int x = 0; x < labels.width; x++) {
                int v = labels.data[row + x];
                if (v < 0) {
                    throw new IllegalArgumentException("negative label " + v + " at " + x + "," + y);
                }
                if (v != 0) {
                    if (map[v] == 0) {
                        map[v] = ++n;
                    }
                    labels.data[row + x] = map[v];
                }
            }
        }
        return n;
    }

    /**
     * Number of distinct non-zero labels.
     *
     * @throws IllegalArgumentException if a label is negative
     */
    public static int countRegions(LabelMap labels) {
        java.util.BitSet seen = new java.util.BitSet();
        for (int y = 0; y < labels.height; y++) {
            int row = labels.startIndex + y * labels.stride;
            for (int x = 0; x < labels.width; x++) {
                int v = labels.data[row + x];
                if (v < 0) {
                    throw new IllegalArgumentException("negative label " + v + " at " + x + "," + y);
                }
                seen.set(v);
            }
        }
        seen.clear(0);
        return seen.cardinality();
    }

    /** Mask as labels 0 and 1. */
    public static LabelMap maskToLabels(Mask mask) {
        LabelMap out = new LabelMap(mask.width, mask.height);
        for (int y = 0; y < mask.height; y++) {
            int row = mask.startIndex + y * mask.stride;
            for (int x = 0; x < mask.width; x++) {
                out.data[y * out.width + x] = mask.data[row + x] != 0 ? 1 : 0;
            }
        }
        return out;
    }
}
