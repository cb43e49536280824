package org.segmentation.core.visual;

import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.Palette;
import org.segmentation.core.image.RgbU8;
import org.segmentation.core.metrics.Boundaries;
import org.segmentation.core.segment.InstanceSegmentation;

/**
 * Draws segmentations over images for inspection: colour blending of regions and region outlines.
 *
 * <p>Colours: label {@code l} is drawn in {@link Palette#label}{@code (l)} (the VOC colours, then golden-angle
 * hues for instance ids); label 0 (background) is never drawn. A {@link Mask} is drawn as label 1, or in a colour
 * given as {@code 0xRRGGBB}.
 *
 * <p>Blending, per channel, with {@code v} the image value and {@code c} the colour value:
 * {@code out = floor(v + alpha (c - v) + 0.5)}, i.e. {@code (1 - alpha) v + alpha c} rounded half up.
 *
 * <p>Boundaries are the pixels of {@link Boundaries} (a 4-neighbour has another label) that belong to a region
 * (label not 0): each region is outlined on its inside, and where two regions touch both sides are drawn.
 *
 * <p>Every method writes an {@link RgbU8} output following the library's convention: {@code dst} is reshaped to
 * the image's size, or allocated when null. For an {@code RgbU8} image, {@code dst} may be the image itself to draw
 * in place. Saving is done elsewhere (the I/O module's PNG writer).
 */
public final class Overlay {
    /** Pass as the colour to draw each label in its own {@link Palette#label} colour. */
    public static final int LABEL_COLOURS = -1;

    private Overlay() {
    }

    /**
     * Blends each labelled region of {@code labels} in its label's colour onto a gray image.
     *
     * @param alpha weight of the colour, {@code 0} (image unchanged) to {@code 1} (solid colour)
     * @throws IllegalArgumentException if the shapes differ, {@code alpha} is outside {@code [0, 1]}, or a label
     *     is negative
     */
    public static RgbU8 blend(GrayU8 image, LabelMap labels, double alpha, RgbU8 dst) {
        image.checkSameShape(labels, "label image");
        checkAlpha(alpha);
        dst = ConvertImage.grayToRgb(image, dst);
        return blend(dst, labels, alpha, dst);
    }

    /**
     * Blends each labelled region in its label's colour onto a colour image.
     *
     * @throws IllegalArgumentException if the shapes differ, {@code alpha} is outside {@code [0, 1]}, or a label
     *     is negative
     */
    public static RgbU8 blend(RgbU8 image, LabelMap labels, double alpha, RgbU8 dst) {
        image.checkSameShape(labels, "label image");
        checkAlpha(alpha);
        dst = copy(image, dst);
        int lastLabel = 0;
        int colour = 0;
        for (int y = 0; y < labels.height; y++) {
            int li = labels.startIndex + y * labels.stride;
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < labels.width; x++, d += 3) {
                int l = labels.data[li + x];
                if (l == 0) {
                    continue;
                }
                if (l != lastLabel) {
                    colour = labelColour(l, x, y);
                    lastLabel = l;
                }
                blendPixel(dst.data, d, colour, alpha);
            }
        }
        return dst;
    }

    /**
     * Blends the on pixels of a mask in colour {@code rgb} onto a gray image.
     *
     * @param rgb {@code 0xRRGGBB}, or {@link #LABEL_COLOURS} for the colour of label 1
     * @throws IllegalArgumentException if the shapes differ, {@code alpha} is outside {@code [0, 1]}, or the
     *     colour is invalid
     */
    public static RgbU8 blend(GrayU8 image, Mask mask, int rgb, double alpha, RgbU8 dst) {
        image.checkSameShape(mask, "mask");
        checkAlpha(alpha);
        dst = ConvertImage.grayToRgb(image, dst);
        return blend(dst, mask, rgb, alpha, dst);
    }

    /**
     * Blends the on pixels of a mask in colour {@code rgb} onto a colour image.
     *
     * @param rgb {@code 0xRRGGBB}, or {@link #LABEL_COLOURS} for the colour of label 1
     * @throws IllegalArgumentException if the shapes differ, {@code alpha} is outside {@code [0, 1]}, or the
     *     colour is invalid
     */
    public static RgbU8 blend(RgbU8 image, Mask mask, int rgb, double alpha, RgbU8 dst) {
        image.checkSameShape(mask, "mask");
        checkAlpha(alpha);
        int colour = maskColour(rgb);
        dst = copy(image, dst);
        for (int y = 0; y < mask.height; y++) {
            int mi = mask.startIndex + y * mask.stride;
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < mask.width; x++, d += 3) {
                if (mask.data[mi + x] != 0) {
                    blendPixel(dst.data, d, colour, alpha);
                }
            }
        }
        return dst;
    }

    /**
     * Draws region boundaries of {@code labels} onto a gray image.
     *
     * @param rgb {@code 0xRRGGBB} for every boundary, or {@link #LABEL_COLOURS} for each region's own colour
     * @throws IllegalArgumentException if the shapes differ, the colour is invalid, or a label is negative
     */
    public static RgbU8 boundaries(GrayU8 image, LabelMap labels, int rgb, RgbU8 dst) {
        image.checkSameShape(labels, "label image");
        dst = ConvertImage.grayToRgb(image, dst);
        return boundaries(dst, labels, rgb, dst);
    }

    /**
     * Draws region boundaries of {@code labels} onto a colour image.
     *
     * @param rgb {@code 0xRRGGBB} for every boundary, or {@link #LABEL_COLOURS} for each region's own colour
     * @throws IllegalArgumentException if the shapes differ, the colour is invalid, or a label is negative
     */
    public static RgbU8 boundaries(RgbU8 image, LabelMap labels, int rgb, RgbU8 dst) {
        image.checkSameShape(labels, "label image");
        checkColour(rgb);
        Mask edge = Boundaries.of(labels, null);
        dst = copy(image, dst);
        int lastLabel = 0;
        int colour = 0;
        for (int y = 0; y < labels.height; y++) {
            int li = labels.startIndex + y * labels.stride;
            int e = y * edge.width;
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < labels.width; x++, d += 3) {
                int l = labels.data[li + x];
                if (l == 0) {
                    continue;
                }
                if (l != lastLabel) {
                    int own = labelColour(l, x, y);
                    colour = rgb == LABEL_COLOURS ? own : rgb;
                    lastLabel = l;
                }
                if (edge.data[e + x] != 0) {
                    setPixel(dst.data, d, colour);
                }
            }
        }
        return dst;
    }

    /**
     * Outlines the on regions of a mask (on pixels with an off 4-neighbour) onto a gray image.
     *
     * @param rgb {@code 0xRRGGBB}, or {@link #LABEL_COLOURS} for the colour of label 1
     * @throws IllegalArgumentException if the shapes differ or the colour is invalid
     */
    public static RgbU8 boundaries(GrayU8 image, Mask mask, int rgb, RgbU8 dst) {
        image.checkSameShape(mask, "mask");
        dst = ConvertImage.grayToRgb(image, dst);
        return boundaries(dst, mask, rgb, dst);
    }

    /**
     * Outlines the on regions of a mask onto a colour image.
     *
     * @param rgb {@code 0xRRGGBB}, or {@link #LABEL_COLOURS} for the colour of label 1
     * @throws IllegalArgumentException if the shapes differ or the colour is invalid
     */
    public static RgbU8 boundaries(RgbU8 image, Mask mask, int rgb, RgbU8 dst) {
        image.checkSameShape(mask, "mask");
        int colour = maskColour(rgb);
        Mask edge = Boundaries.of(mask, null);
        dst = copy(image, dst);
        for (int y = 0; y < mask.height; y++) {
            int mi = mask.startIndex + y * mask.stride;
            int e = y * edge.width;
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < mask.width; x++, d += 3) {
                if (mask.data[mi + x] != 0 && edge.data[e + x] != 0) {
                    setPixel(dst.data, d, colour);
                }
            }
        }
        return dst;
    }

    /**
     * Draws detected instances onto a colour image: each instance's pixels blended in its label's colour (as
     * {@link #blend(RgbU8, LabelMap, double, RgbU8)}), then its box outlined one pixel wide in its class's colour
     * ({@link Palette#label} of the class), the box's corners rounded to pixels and clipped to the image.
     *
     * @throws IllegalArgumentException if the shapes differ or {@code alpha} is outside {@code [0, 1]}
     */
    public static RgbU8 instances(RgbU8 image, InstanceSegmentation instances, double alpha, RgbU8 dst) {
        dst = blend(image, instances.labels(), alpha, dst);
        double[] b = instances.boxes();
        for (int i = 0; i < instances.size(); i++) {
            int colour = Palette.label(instances.classes()[i]);
            int x1 = clamp((int) Math.round(b[4 * i]), dst.width - 1);
            int y1 = clamp((int) Math.round(b[4 * i + 1]), dst.height - 1);
            int x2 = clamp((int) Math.round(b[4 * i + 2]) - 1, dst.width - 1);
            int y2 = clamp((int) Math.round(b[4 * i + 3]) - 1, dst.height - 1);
            for (int x = x1; x <= x2; x++) {
                setPixel(dst.data, dst.startIndex + y1 * dst.stride + 3 * x, colour);
                setPixel(dst.data, dst.startIndex + y2 * dst.stride + 3 * x, colour);
            }
            for (int y = y1; y <= y2; y++) {
                setPixel(dst.data, dst.startIndex + y * dst.stride + 3 * x1, colour);
                setPixel(dst.data, dst.startIndex + y * dst.stride + 3 * x2, colour);
            }
        }
        return dst;
    }

    /** Detected instances drawn onto a gray image; see {@link #instances(RgbU8, InstanceSegmentation, double, RgbU8)}. */
    public static RgbU8 instances(GrayU8 image, InstanceSegmentation instances, double alpha, RgbU8 dst) {
        image.checkSameShape(instances.labels(), "label image");
        dst = ConvertImage.grayToRgb(image, dst);
        return instances(dst, instances, alpha, dst);
    }

    private static int clamp(int v, int max) {
        return Math.max(0, Math.min(max, v));
    }

    /** {@code dst} shaped like {@code image} and holding its pixels; nothing to copy when drawing in place. */
    private static RgbU8 copy(RgbU8 image, RgbU8 dst) {
        if (dst == image) {
            return dst;
        }
        dst = ImageBase.output(dst, image.width, image.height, RgbU8::new);
        return image.copyTo(dst);
    }

    private static void blendPixel(byte[] data, int i, int colour, double alpha) {
        for (int c = 0; c < 3; c++) {
            int v = data[i + c] & 0xFF;
            int target = (colour >>> (16 - 8 * c)) & 0xFF;
            data[i + c] = (byte) (int) (v + alpha * (target - v) + 0.5);
        }
    }

    private static void setPixel(byte[] data, int i, int colour) {
        data[i] = (byte) (colour >>> 16);
        data[i + 1] = (byte) (colour >>> 8);
        data[i + 2] = (byte) colour;
    }

    private static int labelColour(int label, int x, int y) {
        if (label < 0) {
            throw new IllegalArgumentException("negative label " + label + " at (" + x + ", " + y + ")");
        }
        return Palette.label(label);
    }

    private static int maskColour(int rgb) {
        checkColour(rgb);
        return rgb == LABEL_COLOURS ? Palette.label(1) : rgb;
    }

    private static void checkColour(int rgb) {
        if (rgb != LABEL_COLOURS && (rgb & ~0xFFFFFF) != 0) {
            throw new IllegalArgumentException(String.format(
                    "colour must be 0xRRGGBB or LABEL_COLOURS, got 0x%X", rgb));
        }
    }

    private static void checkAlpha(double alpha) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        }
    }
}
