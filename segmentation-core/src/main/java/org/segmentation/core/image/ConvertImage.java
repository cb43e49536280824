package org.segmentation.core.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;

/**
 * Conversions between pixel types and to and from {@link BufferedImage}.
 *
 * <p>Every method takes an optional output: when it is {@code null} a new image is allocated, otherwise it is
 * reshaped if needed, filled and returned. Inputs are never modified.
 */
public final class ConvertImage {
    /*
     * RGB to gray uses ITU-R BT.601 luma, Y = 0.299 R + 0.587 G + 0.114 B. For 8-bit images the weights are the
     * 14-bit fixed-point values OpenCV's cvtColor uses (4899, 9617, 1868; they sum to 2^14) with round-half-up,
     * so the result equals cv2.cvtColor(img, COLOR_RGB2GRAY) exactly.
     */
    private static final int R2Y = 4899;
    private static final int G2Y = 9617;
    private static final int B2Y = 1868;
    private static final int Y_SHIFT = 14;

    /* sRGB (D65) to CIE XYZ, and the D65 reference white; the values scikit-image's rgb2lab uses. */
    private static final double[] XYZ_FROM_RGB = {
        0.412453, 0.357580, 0.180423,
        0.212671, 0.715160, 0.072169,
        0.019334, 0.119193, 0.950227};
    private static final double XN = 0.95047;
    private static final double YN = 1.0;
    private static final double ZN = 1.08883;

    private ConvertImage() {
    }

    /** Gray value of one 8-bit RGB triple with the BT.601 fixed-point weights (see the class comment). */
    public static int luma(int r, int g, int b) {
        return (r * R2Y + g * G2Y + b * B2Y + (1 << (Y_SHIFT - 1))) >> Y_SHIFT;
    }

    /** RGB to 8-bit gray, BT.601 weights, equal to OpenCV's {@code COLOR_RGB2GRAY}. */
    public static GrayU8 rgbToGray(RgbU8 src, GrayU8 dst) {
        dst = ImageBase.output(dst, src.width, src.height, GrayU8::new);
        for (int y = 0; y < src.height; y++) {
            int s = src.startIndex + y * src.stride;
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < src.width; x++, s += 3) {
                dst.data[d + x] = (byte) luma(src.data[s] & 0xFF, src.data[s + 1] & 0xFF, src.data[s + 2] & 0xFF);
            }
        }
        return dst;
    }

    /** RGB to float gray, {@code Y = 0.299 R + 0.587 G + 0.114 B}, in 0..255 (not rescaled). */
    public static GrayF32 rgbToGray(RgbU8 src, GrayF32 dst) {
        dst = ImageBase.output(dst, src.width, src.height, GrayF32::new);
        for (int y = 0; y < src.height; y++) {
            int s = src.startIndex + y * src.stride;
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < src.width; x++, s += 3) {
                dst.data[d + x] = 0.299f * (src.data[s] & 0xFF) + 0.587f * (src.data[s + 1] & 0xFF)
                        + 0.114f * (src.data[s + 2] & 0xFF);
            }
        }
        return dst;
    }

    /** Gray to RGB by copying the value into all three channels. */
    public static RgbU8 grayToRgb(GrayU8 src, RgbU8 dst) {
        dst = ImageBase.output(dst, src.width, src.height, RgbU8::new);
        for (int y = 0; y < src.height; y++) {
            int s = src.startIndex + y * src.stride;
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < src.width; x++, d += 3) {
                byte v = src.data[s + x];
                dst.data[d] = v;
                dst.data[d + 1] = v;
                dst.data[d + 2] = v;
            }
        }
        return dst;
    }

    /** 8-bit to float, {@code out = scale * in}: use {@code 1/255f} for [0, 1], {@code 1f} to keep 0..255. */
    public static GrayF32 toF32(GrayU8 src, float scale, GrayF32 dst) {
        dst = ImageBase.output(dst, src.width, src.height, GrayF32::new);
        for (int y = 0; y < src.height; y++) {
            int s = src.startIndex + y * src.stride;
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < src.width; x++) {
                dst.data[d + x] = scale * (src.data[s + x] & 0xFF);
            }
        }
        return dst;
    }

    /** 16-bit to float, {@code out = scale * in}: use {@code 1/65535f} for [0, 1], {@code 1f} to keep 0..65535. */
    public static GrayF32 toF32(GrayU16 src, float scale, GrayF32 dst) {
        dst = ImageBase.output(dst, src.width, src.height, GrayF32::new);
        for (int y = 0; y < src.height; y++) {
            int s = src.startIndex + y * src.stride;
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < src.width; x++) {
                dst.data[d + x] = scale * (src.data[s + x] & 0xFFFF);
            }
        }
        return dst;
    }

    /**
     * Float to 8-bit: {@code round(scale * in)} clamped to 0..255; NaN becomes 0. Use {@code 255f} for [0, 1]
     * input.
     */
    public static GrayU8 toU8(GrayF32 src, float scale, GrayU8 dst) {
        dst = ImageBase.output(dst, src.width, src.height, GrayU8::new);
        for (int y = 0; y < src.height; y++) {
            int s = src.startIndex + y * src.stride;
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < src.width; x++) {
                float v = scale * src.data[s + x];
                // NaN fails both comparisons and Math.round(NaN) is 0.
                dst.data[d + x] = (byte) (v >= 255f ? 255 : v <= 0f ? 0 : Math.round(v));
            }
        }
        return dst;
    }

    /** 8-bit RGB to a 3-channel planar float image, {@code out = scale * in}, channel order R, G, B. */
    public static PlanarF32 toPlanar(RgbU8 src, float scale, PlanarF32 dst) {
        dst = reusePlanar(dst, 3, src.width, src.height);
        for (int y = 0; y < src.height; y++) {
            int s = src.startIndex + y * src.stride;
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < src.width; x++, s += 3) {
                dst.data[d + x] = scale * (src.data[s] & 0xFF);
                dst.data[d + dst.planeStride + x] = scale * (src.data[s + 1] & 0xFF);
                dst.data[d + 2 * dst.planeStride + x] = scale * (src.data[s + 2] & 0xFF);
            }
        }
        return dst;
    }

    /**
     * sRGB to CIE L*a*b* under the D65 illuminant (2° observer), as scikit-image's {@code rgb2lab}: channel 0 is
     * L* in [0, 100], channels 1 and 2 are a* and b* (about -128..127).
     *
     * <p>Steps: scale to [0, 1], undo the sRGB gamma, multiply by the sRGB-to-XYZ matrix, divide by the D65 white
     * (0.95047, 1, 1.08883), then apply the CIE 1976 cube-root function with its linear segment below
     * (6/29)^3.
     */
    public static PlanarF32 rgbToLab(RgbU8 src, PlanarF32 dst) {
        dst = reusePlanar(dst, 3, src.width, src.height);
        double[] linear = new double[256];
        for (int v = 0; v < 256; v++) {
            double c = v / 255.0;
            linear[v] = c > 0.04045 ? Math.pow((c + 0.055) / 1.055, 2.4) : c / 12.92;
        }
        for (int y = 0; y < src.height; y++) {
            int s = src.startIndex + y * src.stride;
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < src.width; x++, s += 3) {
                double r = linear[src.data[s] & 0xFF];
                double g = linear[src.data[s + 1] & 0xFF];
                double b = linear[src.data[s + 2] & 0xFF];
                double fx = labF((XYZ_FROM_RGB[0] * r + XYZ_FROM_RGB[1] * g + XYZ_FROM_RGB[2] * b) / XN);
                double fy = labF((XYZ_FROM_RGB[3] * r + XYZ_FROM_RGB[4] * g + XYZ_FROM_RGB[5] * b) / YN);
                double fz = labF((XYZ_FROM_RGB[6] * r + XYZ_FROM_RGB[7] * g + XYZ_FROM_RGB[8] * b) / ZN);
                dst.data[d + x] = (float) (116.0 * fy - 16.0);
                dst.data[d + dst.planeStride + x] = (float) (500.0 * (fx - fy));
                dst.data[d + 2 * dst.planeStride + x] = (float) (200.0 * (fy - fz));
            }
        }
        return dst;
    }

    private static double labF(double t) {
        return t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16.0 / 116.0;
    }

    // ---------------------------------------------------------------- BufferedImage

    /**
     * Any {@link BufferedImage} to 8-bit RGB. Gray images are replicated into the three channels, palette images
     * are expanded through their palette, alpha is dropped (not composited), and samples deeper than 8 bits are
     * rounded to 8 ({@code round(v*255/max)}). Signed and floating-point samples are mapped as described at
     * {@link #toGrayU8}.
     *
     * @throws IllegalArgumentException if a floating-point sample is not a finite number in [0, 1]
     */
    public static RgbU8 toRgb(BufferedImage src, RgbU8 dst) {
        dst = ImageBase.output(dst, src.getWidth(), src.getHeight(), RgbU8::new);
        Raster raster = src.getRaster();
        ColorModel cm = src.getColorModel();
        if (!(cm instanceof IndexColorModel) && raster.getNumBands() <= 2) {
            GrayU8 gray = toGrayU8(src, null);
            return grayToRgb(gray, dst);
        }
        int w = src.getWidth();
        if (!(cm instanceof IndexColorModel) && !isUnsignedInteger(raster)) {
            double[] unit = new double[w];
            for (int y = 0; y < src.getHeight(); y++) {
                int d = dst.startIndex + y * dst.stride;
                for (int c = 0; c < 3; c++) {
                    unitRow(raster, y, c, unit);
                    for (int x = 0; x < w; x++) {
                        dst.data[d + 3 * x + c] = (byte) Math.round(unit[x] * 255);
                    }
                }
            }
            return dst;
        }
        int[] row = new int[w];
        for (int y = 0; y < src.getHeight(); y++) {
            src.getRGB(0, y, w, 1, row, 0, w);
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < w; x++, d += 3) {
                int p = row[x];
                dst.data[d] = (byte) (p >>> 16);
                dst.data[d + 1] = (byte) (p >>> 8);
                dst.data[d + 2] = (byte) p;
            }
        }
        return dst;
    }

    /**
     * Any {@link BufferedImage} to 8-bit gray. A single-band gray image is read from its raster without colour
     * management (Java's {@code getRGB} would apply a gamma to gray images); samples of other depths are scaled
     * to 0..255 with rounding. Colour and palette images go through {@link #luma}.
     *
     * <p>Signed integer samples (16- or 32-bit TIFF) map their whole range linearly onto 0..255, keeping their
     * order (-32768 black, 32767 white). Floating-point samples are intensities in [0, 1] (the scikit-image and
     * tifffile convention) and become {@code round(255 v)}.
     *
     * @throws IllegalArgumentException if a floating-point sample is not a finite number in [0, 1]
     */
    public static GrayU8 toGrayU8(BufferedImage src, GrayU8 dst) {
        int w = src.getWidth();
        int h = src.getHeight();
        dst = ImageBase.output(dst, w, h, GrayU8::new);
        Raster raster = src.getRaster();
        if (src.getColorModel() instanceof IndexColorModel || raster.getNumBands() > 2) {
            RgbU8 rgb = toRgb(src, null);
            return rgbToGray(rgb, dst);
        }
        if (!isUnsignedInteger(raster)) {
            double[] unit = new double[w];
            for (int y = 0; y < h; y++) {
                unitRow(raster, y, 0, unit);
                int d = dst.startIndex + y * dst.stride;
                for (int x = 0; x < w; x++) {
                    dst.data[d + x] = (byte) Math.round(unit[x] * 255);
                }
            }
            return dst;
        }
        int bits = raster.getSampleModel().getSampleSize(0);
        long max = (1L << bits) - 1;
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < w; x++) {
                dst.data[d + x] = (byte) (bits == 8 ? row[x] : (int) ((row[x] * 255L + max / 2) / max));
            }
        }
        return dst;
    }

    /**
     * A single-band {@link BufferedImage} to 16-bit gray with its raw sample values, not rescaled: an 8-bit file
     * gives 0..255, a 16-bit file 0..65535. Colour images are converted to 8-bit gray first (see
     * {@link #toGrayU8}). Signed samples are shifted by 32768 (16-bit) so that their order is kept; 32-bit signed
     * samples keep their top 16 bits after the same shift; floating-point samples in [0, 1] become
     * {@code round(65535 v)}.
     *
     * @throws IllegalArgumentException if a floating-point sample is not a finite number in [0, 1]
     */
    public static GrayU16 toGrayU16(BufferedImage src, GrayU16 dst) {
        int w = src.getWidth();
        int h = src.getHeight();
        dst = ImageBase.output(dst, w, h, GrayU16::new);
        Raster raster = src.getRaster();
        if (src.getColorModel() instanceof IndexColorModel || raster.getNumBands() > 2) {
            GrayU8 gray = toGrayU8(src, null);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    dst.data[dst.startIndex + y * dst.stride + x] = (short) gray.unsafe_get(x, y);
                }
            }
            return dst;
        }
        if (!isUnsignedInteger(raster)) {
            double[] unit = new double[w];
            for (int y = 0; y < h; y++) {
                unitRow(raster, y, 0, unit);
                int d = dst.startIndex + y * dst.stride;
                for (int x = 0; x < w; x++) {
                    dst.data[d + x] = (short) Math.round(unit[x] * 65535);
                }
            }
            return dst;
        }
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < w; x++) {
                dst.data[d + x] = (short) row[x];
            }
        }
        return dst;
    }

    /**
     * True when the raster holds unsigned integer samples (8- or 16-bit, or fewer bits): the only kind whose raw
     * value is its intensity. Signed 16- and 32-bit and floating-point samples, which TIFF files may hold, go
     * through {@link #unitRow}.
     */
    private static boolean isUnsignedInteger(Raster raster) {
        int type = raster.getTransferType();
        // Packed pixels (TYPE_INT_RGB) travel as ints too, but their samples are 8-bit fields.
        return type == DataBuffer.TYPE_BYTE || type == DataBuffer.TYPE_USHORT
                || (type == DataBuffer.TYPE_INT && raster.getSampleModel().getSampleSize(0) < 32);
    }

    /**
     * Row {@code y} of one band of a raster with signed or floating-point samples, as intensities in [0, 1]. Signed
     * integers map their whole range linearly, so order is kept: {@code (v - MIN) / (MAX - MIN)} (for 16 bits,
     * -32768 is black and 32767 white). Floating-point samples are taken as intensities in [0, 1], the
     * convention of scikit-image and tifffile; there is no natural range to rescale others from, so a sample
     * outside [0, 1], NaN or infinite is refused rather than clipped.
     *
     * @throws IllegalArgumentException naming the pixel and value of the first float sample that is not a
     *     finite number in [0, 1]
     */
    private static void unitRow(Raster raster, int y, int band, double[] unit) {
        int w = raster.getWidth();
        int type = raster.getTransferType();
        raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, band, unit);
        if (type == DataBuffer.TYPE_FLOAT || type == DataBuffer.TYPE_DOUBLE) {
            for (int x = 0; x < w; x++) {
                double v = unit[x];
                if (!(v >= 0 && v <= 1)) {
                    throw new IllegalArgumentException("floating-point sample " + v + " at (" + x + ", " + y
                            + ") is not in [0, 1]; float images must hold intensities in [0, 1]"
                            + (Double.isFinite(v) ? " (rescale it, or save it as 8- or 16-bit integers)" : ""));
                }
            }
            return;
        }
        double min = type == DataBuffer.TYPE_SHORT ? Short.MIN_VALUE : Integer.MIN_VALUE;
        double range = type == DataBuffer.TYPE_SHORT ? 65535.0 : 4294967295.0;
        for (int x = 0; x < w; x++) {
            unit[x] = (unit[x] - min) / range;
        }
    }

    /** 8-bit gray to a {@code TYPE_BYTE_GRAY} image, values copied exactly. */
    public static BufferedImage toBufferedImage(GrayU8 src) {
        BufferedImage out = new BufferedImage(src.width, src.height, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = out.getRaster();
        int[] row = new int[src.width];
        for (int y = 0; y < src.height; y++) {
            int s = src.startIndex + y * src.stride;
            for (int x = 0; x < src.width; x++) {
                row[x] = src.data[s + x] & 0xFF;
            }
            raster.setSamples(0, y, src.width, 1, 0, row);
        }
        return out;
    }

    /** 16-bit gray to a {@code TYPE_USHORT_GRAY} image, values copied exactly. */
    public static BufferedImage toBufferedImage(GrayU16 src) {
        BufferedImage out = new BufferedImage(src.width, src.height, BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster raster = out.getRaster();
        int[] row = new int[src.width];
        for (int y = 0; y < src.height; y++) {
            int s = src.startIndex + y * src.stride;
            for (int x = 0; x < src.width; x++) {
                row[x] = src.data[s + x] & 0xFFFF;
            }
            raster.setSamples(0, y, src.width, 1, 0, row);
        }
        return out;
    }

    /** 8-bit RGB to a {@code TYPE_INT_RGB} image. */
    public static BufferedImage toBufferedImage(RgbU8 src) {
        BufferedImage out = new BufferedImage(src.width, src.height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[src.width];
        for (int y = 0; y < src.height; y++) {
            int s = src.startIndex + y * src.stride;
            for (int x = 0; x < src.width; x++, s += 3) {
                row[x] = (src.data[s] & 0xFF) << 16 | (src.data[s + 1] & 0xFF) << 8 | (src.data[s + 2] & 0xFF);
            }
            out.setRGB(0, y, src.width, 1, row, 0, src.width);
        }
        return out;
    }

    /**
     * A decoded image as intensities in [0, 1] with {@code channels} channels, the input a network sees: 8-bit
     * samples over 255, 16-bit gray over 65535, signed and floating-point gray as at {@link #toGrayU8} but
     * without rounding. One channel converts colour to gray (BT.601 luma) and keeps a
     * 16-bit gray image's precision; three replicate gray into R, G and B (16-bit gray rounded to 8 bits first).
     *
     * @throws IllegalArgumentException if {@code channels} is neither 1 nor 3, or a floating-point sample is not
     *     a finite number in [0, 1]
     */
    public static PlanarF32 toUnitPlanar(BufferedImage src, int channels) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        PlanarF32 out = new PlanarF32(channels, src.getWidth(), src.getHeight());
        if (channels == 1) {
            Raster raster = src.getRaster();
            boolean gray = !(src.getColorModel() instanceof IndexColorModel) && raster.getNumBands() <= 2;
            if (gray && !isUnsignedInteger(raster)) {
                double[] unit = new double[src.getWidth()];
                for (int y = 0; y < src.getHeight(); y++) {
                    unitRow(raster, y, 0, unit);
                    int d = out.startIndex + y * out.stride;
                    for (int x = 0; x < unit.length; x++) {
                        out.data[d + x] = (float) unit[x];
                    }
                }
            } else if (isGray16(src)) {
                toF32(toGrayU16(src, null), 1f / 65535f, out.channel(0));
            } else {
                toF32(toGrayU8(src, null), 1f / 255f, out.channel(0));
            }
        } else {
            toPlanar(toRgb(src, null), 1f / 255f, out);
        }
        return out;
    }

    /** True when {@code image} stores 16-bit samples in a single gray band. */
    public static boolean isGray16(BufferedImage image) {
        Raster r = image.getRaster();
        return !(image.getColorModel() instanceof IndexColorModel) && r.getNumBands() <= 2
                && r.getTransferType() == DataBuffer.TYPE_USHORT;
    }

    private static PlanarF32 reusePlanar(PlanarF32 dst, int channels, int w, int h) {
        if (dst != null && dst.channels != channels) {
            throw new IllegalArgumentException("output has " + dst.channels + " channels, expected " + channels);
        }
        return ImageBase.output(dst, w, h, (ww, hh) -> new PlanarF32(channels, ww, hh));
    }
}
