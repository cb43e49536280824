package org.segmentation.classic.watershed;

import java.util.List;
import java.util.Objects;
import org.segmentation.classic.morphology.Footprint;
import org.segmentation.classic.morphology.GrayMorphologyOps;
import org.segmentation.classic.morphology.MorphologyOps;
import org.segmentation.classic.region.Pixel;
import org.segmentation.classic.threshold.OtsuOps;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.ops.DistanceTransformOps;

/**
 * Splits touching round objects in one call, the classic distance-transform watershed: optionally a top-hat that
 * flattens the background, Otsu threshold (Otsu 1979), fill holes, open with a disk, Euclidean distance transform,
 * one marker per distance peak at least {@code minDistance} apart, then a watershed (Meyer 1994) of the negated
 * distance restricted to the foreground. With background removal, dark objects go through a black top-hat
 * ({@code close(image) - image}), which makes them bright.
 *
 * <p>Labels: objects are {@code 1..count} in raster order of their peak; background 0. Every foreground pixel
 * reached from a peak belongs to that object; a foreground component without a peak of its own (a speck closer than
 * {@code minDistance} to a larger object's peak) stays 0. An empty foreground gives no object; a foreground
 * covering the whole image gives one.
 */
public final class SplitTouching {
    private final SplitConfig config;
    private final Watershed watershed;

    /** A splitter with these settings. */
    public SplitTouching(SplitConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.watershed = new Watershed(WatershedConfig.of(config.connectivity()));
    }

    /** The settings. */
    public SplitConfig config() {
        return config;
    }

    /**
     * Segments the objects of an 8-bit image.
     *
     * @param dst output labels, or null to allocate
     */
    public SplitResult process(GrayU8 image, LabelMap dst) {
        Objects.requireNonNull(image, "image");
        if (config.backgroundRadius() > 0) {
            Footprint disk = Footprint.disk(config.backgroundRadius());
            image = config.brightObjects()
                    ? GrayMorphologyOps.whiteTopHat(image, disk, null)
                    : invert(GrayMorphologyOps.close(image, disk, null), image);
        }
        int t = OtsuOps.threshold(image, null);
        Mask fg = new Mask(image.width, image.height);
        for (int y = 0; y < image.height; y++) {
            for (int x = 0; x < image.width; x++) {
                boolean bright = image.unsafe_get(x, y) > t;
                fg.unsafe_set(x, y, bright == (config.brightObjects() || config.backgroundRadius() > 0));
            }
        }
        Mask filled = MorphologyOps.fillHoles(fg, null);
        Mask clean = config.openingRadius() > 0
                ? MorphologyOps.open(filled, Footprint.disk(config.openingRadius()), null)
                : filled;
        int on = clean.countOn();
        if (on == 0 || on == clean.pixelCount()) {
            // Nothing to split: no object, or a foreground without background (one object, infinite distances).
            LabelMap labels = ImageBase.output(dst, image.width, image.height, LabelMap::new).fill(on == 0 ? 0 : 1);
            return new SplitResult(labels, on == 0 ? 0 : 1, t, clean);
        }
        GrayF32 distance = DistanceTransformOps.edt(clean, null);
        List<Pixel> peaks = MarkerOps.peakLocalMax(distance, config.minDistance(), 0.0, false);
        LabelMap markers = MarkerOps.pointMarkers(peaks, image.width, image.height, null);
        GrayF32 elevation = new GrayF32(image.width, image.height);
        for (int i = 0; i < elevation.data.length; i++) {
            elevation.data[i] = -distance.data[i];
        }
        LabelMap labels = watershed.process(elevation, markers, clean, dst);
        return new SplitResult(labels, peaks.size(), t, clean);
    }

    /** {@code closed - image}: the black top-hat, dark details as bright ones. */
    private static GrayU8 invert(GrayU8 closed, GrayU8 image) {
        GrayU8 out = new GrayU8(image.width, image.height);
        for (int y = 0; y < image.height; y++) {
            for (int x = 0; x < image.width; x++) {
                out.unsafe_set(x, y, closed.unsafe_get(x, y) - image.unsafe_get(x, y));
            }
        }
        return out;
    }
}
