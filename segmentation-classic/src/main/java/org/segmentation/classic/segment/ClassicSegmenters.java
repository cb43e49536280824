package org.segmentation.classic.segment;

import java.util.Objects;
import org.segmentation.classic.kmeans.FeatureSpace;
import org.segmentation.classic.kmeans.KMeans;
import org.segmentation.classic.kmeans.KMeansConfig;
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
import org.segmentation.core.label.LabelOps;
import org.segmentation.core.ops.GradientOps;
import org.segmentation.core.segment.Segmenter;
import org.segmentation.core.segment.SegmenterRegistry;

/**
 * The classic algorithms as {@link Segmenter}s, each made from its config: thresholds and k-means give classes or a
 * foreground, the watersheds give instances. Every one reads the 8-bit gray view of its input except k-means, which
 * reads the RGB view.
 *
 * <pre>{@code
 * Segmenter split = ClassicSegmenters.splitTouching(new SplitConfig());
 * LabelMap coins = split.segment(ImageFiles.readGrayU8(Path.of("coins.png")));   // 24 objects
 * }</pre>
 */
public final class ClassicSegmenters {
    /** Otsu's threshold; foreground above it. */
    public static final String OTSU = "otsu";
    /** Multi-Otsu, classes ordered by intensity. */
    public static final String MULTI_OTSU = "multi-otsu";
    /** k-means on RGB, clusters ordered by brightness. */
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

    /**
     * The built-in segmenters by name, in the order an evaluation runs them by default: the
     * {@link org.segmentation.core.segment.Baselines}, then the five classic algorithms with their default settings.
     */
    public static SegmenterRegistry registry() {
        return registerAll(new SegmenterRegistry().registerBaselines());
    }

    /** Registers the five classic segmenters under their names, with their default settings. */
    public static SegmenterRegistry registerAll(SegmenterRegistry registry) {
        return registry
                .register(OTSU, "foreground above Otsu's threshold of the gray image", ClassicSegmenters::otsu)
                .register(MULTI_OTSU, CLASSES + " multi-Otsu classes, darkest = 0", () -> multiOtsu(CLASSES))
                .register(KMEANS, "k-means on RGB (k=" + CLASSES + ", seed 0), clusters ordered darkest = 0",
                        () -> kmeans(KMeansConfig.of(CLASSES).withSeed(0)))
                .register(WATERSHED, "watershed of the Sobel magnitude from h-minima (h=" + DEFAULT_H
                        + ") inside the Otsu foreground", () -> watershed(DEFAULT_H))
                .register(SPLIT_TOUCHING, "Otsu + distance-transform peaks + watershed (default SplitConfig)",
                        () -> splitTouching(new SplitConfig()));
    }

    /** Otsu's threshold of the gray view; output {@link Segmenter.Output#FOREGROUND}, labels 0 and 1. */
    public static Segmenter otsu() {
        return Segmenter.of(OTSU, Segmenter.Output.FOREGROUND,
                input -> LabelOps.fromMask(OtsuOps.binarize(input.gray(), null, null).mask(), null));
    }

    /**
     * Multi-Otsu classes {@code 0..classes-1} of the gray view (darkest 0); output {@link Segmenter.Output#CLASSES}.
     *
     * @throws IllegalArgumentException if {@code classes} is not in {@link MultiOtsuOps#MIN_CLASSES}..{@link
     *     MultiOtsuOps#MAX_CLASSES}
     */
    public static Segmenter multiOtsu(int classes) {
        if (classes < MultiOtsuOps.MIN_CLASSES || classes > MultiOtsuOps.MAX_CLASSES) {
            throw new IllegalArgumentException("multi-Otsu takes " + MultiOtsuOps.MIN_CLASSES + ".."
                    + MultiOtsuOps.MAX_CLASSES + " classes, got " + classes);
        }
        return Segmenter.of(MULTI_OTSU, Segmenter.Output.CLASSES, input -> {
            LabelMap labels = MultiOtsuOps.segment(input.gray(), classes, null).labels();
            for (int i = 0; i < labels.data.length; i++) {
                labels.data[i]--;
            }
            return labels;
        });
    }

    /**
     * k-means of the RGB view with the config's k, attempts and seed, clusters renumbered {@code 0..k-1} by the
     * luma of their centres (darkest 0, {@link org.segmentation.classic.kmeans.KMeansSegmentation#labelsByBrightness});
     * output {@link Segmenter.Output#CLASSES}.
     */
    public static Segmenter kmeans(KMeansConfig config) {
        KMeans kmeans = new KMeans(Objects.requireNonNull(config, "config"));
        return Segmenter.of(KMEANS, Segmenter.Output.CLASSES, input -> {
            LabelMap labels = kmeans.segment(input.rgb(), FeatureSpace.RGB, 0.0, null)
                    .labelsByBrightness(FeatureSpace.RGB);
            for (int i = 0; i < labels.data.length; i++) {
                labels.data[i]--;
            }
            return labels;
        });
    }

    /**
     * {@link #sobelWatershed} 4-connected inside the Otsu foreground of the gray view; output
     * {@link Segmenter.Output#INSTANCES}.
     *
     * @throws IllegalArgumentException if {@code h < 0}
     */
    public static Segmenter watershed(int h) {
        if (h < 0) {
            throw new IllegalArgumentException("the h-minima depth must be >= 0, got " + h);
        }
        return Segmenter.of(WATERSHED, Segmenter.Output.INSTANCES, input -> {
            GrayU8 gray = input.gray();
            return sobelWatershed(gray, h, Connectivity.FOUR, OtsuOps.binarize(gray, null, null).mask());
        });
    }

    /** {@link SplitTouching} of the gray view; output {@link Segmenter.Output#INSTANCES}. */
    public static Segmenter splitTouching(SplitConfig config) {
        SplitTouching split = new SplitTouching(Objects.requireNonNull(config, "config"));
        return Segmenter.of(SPLIT_TOUCHING, Segmenter.Output.INSTANCES,
                input -> split.process(input.gray(), null).labels());
    }

    /**
     * Watershed of the Sobel magnitude of {@code gray} ({@link GradientOps#sobelMagnitude}) from its h-minima
     * ({@link MarkerOps#minimaMarkers}), restricted to {@code foreground} when given (markers outside it are
     * dropped), labels renumbered {@code 1..n} in raster order of first appearance ({@link LabelOps#relabel}).
     *
     * @param foreground pixels that may be labelled, or null for all
     * @throws IllegalArgumentException if {@code h < 0}
     */
    public static LabelMap sobelWatershed(GrayU8 gray, int h, Connectivity connectivity, Mask foreground) {
        GrayU8 elevation = GradientOps.sobelMagnitude(gray, null);
        LabelMap markers = MarkerOps.minimaMarkers(elevation, h);
        LabelMap labels = new Watershed(WatershedConfig.of(connectivity)).process(elevation, markers, foreground,
                null);
        LabelOps.relabel(labels);
        return labels;
    }
}
