package org.segmentation.core.segment;

import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.image.RgbU8;

/**
 * The image a {@link Segmenter} is asked to segment: the dataset's {@link PlanarF32} (intensities in [0, 1]) and
 * 8-bit gray and RGB views of it for classic algorithms. Each view is converted once, on first use, and shared
 * by every segmenter that runs on this image; all views are read-only.
 *
 * <p>8-bit views round {@code 255 v} and clamp it to 0..255. Gray from three channels is BT.601 luma
 * ({@link ConvertImage#rgbToGray(RgbU8, GrayU8)}); RGB from one channel replicates it. Images with another
 * channel count have only the planar view.
 *
 * <p>The time spent converting is recorded ({@link #conversionNanos()}) so that an evaluation can leave it out of a segmenter's time: otherwise whichever segmenter asks first for a view would pay for everyone.
 * Not thread-safe.
 */
public final class SegmenterInput {
    private final String id;
    private final PlanarF32 image;
    private GrayU8 gray;
    private RgbU8 rgb;
    private long conversionNanos;

    /**
     * @param id a name of the image for messages and reports (file name, or generator and index)
     * @param image intensities in [0, 1]; not modified
     */
    public SegmenterInput(String id, PlanarF32 image) {
        if (id == null || image == null) {
            throw new NullPointerException("a segmenter input needs an id and an image; got id=" + id
                    + ", image=" + image);
        }
        this.id = id;
        this.image = image;
    }

    /**
     * An 8-bit gray image as input: the gray view is {@code image} itself (not copied; it must not change while
     * the input is used), the planar view is {@code v / 255}.
     */
    public static SegmenterInput of(GrayU8 image) {
        SegmenterInput in = new SegmenterInput("image", PlanarF32.wrap(ConvertImage.toF32(image, 1f / 255f,
                null).data, 1, image.width, image.height));
        in.gray = image;
        return in;
    }

    /**
     * An 8-bit RGB image as input: the RGB view is {@code image} itself (not copied; it must not change while
     * the input is used), the planar view is {@code v / 255} per channel.
     */
    public static SegmenterInput of(RgbU8 image) {
        SegmenterInput in = new SegmenterInput("image", ConvertImage.toPlanar(image, 1f / 255f, null));
        in.rgb = image;
        return in;
    }

    /** The image's name in reports. */
    public String id() {
        return id;
    }

    /** The dataset's image, {@code (C, H, W)} with intensities in [0, 1]. */
    public PlanarF32 image() {
        return image;
    }

    /** Width in pixels. */
    public int width() {
        return image.width;
    }

    /** Height in pixels. */
    public int height() {
        return image.height;
    }

    /**
     * An 8-bit gray view, converted on first call.
     *
     * @throws IllegalStateException if the image has neither 1 nor 3 channels
     */
    public GrayU8 gray() {
        if (gray == null) {
            checkChannels();
            RgbU8 source = image.channels == 3 ? rgb() : null;
            long t0 = System.nanoTime();
            gray = source == null ? ConvertImage.toU8(image.channel(0), 255f, null)
                    : ConvertImage.rgbToGray(source, (GrayU8) null);
            conversionNanos += System.nanoTime() - t0;
        }
        return gray;
    }

    /**
     * An 8-bit RGB view, converted on first call.
     *
     * @throws IllegalStateException if the image has neither 1 nor 3 channels
     */
    public RgbU8 rgb() {
        if (rgb == null) {
            checkChannels();
            GrayU8 source = image.channels == 1 ? gray() : null;
            long t0 = System.nanoTime();
            rgb = source == null ? toRgb(image) : ConvertImage.grayToRgb(source, null);
            conversionNanos += System.nanoTime() - t0;
        }
        return rgb;
    }

    /** Total nanoseconds spent so far converting views (each conversion is counted once). */
    public long conversionNanos() {
        return conversionNanos;
    }

    private void checkChannels() {
        if (image.channels != 1 && image.channels != 3) {
            throw new IllegalStateException("image " + id + " has " + image.channels
                    + " channels; 8-bit gray and RGB views need 1 or 3");
        }
    }

    private static RgbU8 toRgb(PlanarF32 src) {
        RgbU8 dst = new RgbU8(src.width, src.height);
        for (int y = 0; y < src.height; y++) {
            int s = src.startIndex + y * src.stride;
            int d = y * dst.stride;
            for (int x = 0; x < src.width; x++, d += 3) {
                for (int c = 0; c < 3; c++) {
                    dst.data[d + c] = (byte) toU8(src.data[s + c * src.planeStride + x]);
                }
            }
        }
        return dst;
    }

    /** {@code round(255 v)} clamped to 0..255, NaN to 0, as {@link ConvertImage#toU8}. */
    private static int toU8(float v) {
        float s = 255f * v;
        return s >= 255f ? 255 : s <= 0f ? 0 : Math.round(s);
    }
}
