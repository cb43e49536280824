package org.segmentation.classic.threshold;

import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.Mask;

/**
 * Global thresholding: {@code dst = value > threshold}, and 0 where the optional region-of-interest mask is off.
 * Each method takes an optional output mask (null to allocate) and returns it. A NaN threshold is an
 * {@link IllegalArgumentException}.
 */
public final class ThresholdOps {
    private ThresholdOps() {
    }

    private static void checkThreshold(double t) {
        if (Double.isNaN(t)) {
            throw new IllegalArgumentException("threshold is NaN");
        }
    }

    /** {@code image > t} for an 8-bit image; {@code t} may lie outside 0..255. */
    public static Mask greaterThan(GrayU8 image, double t, Mask roi, Mask dst) {
        checkThreshold(t);
        ImageHistogram.checkRoi(roi, image.width, image.height);
        dst = ImageBase.output(dst, image.width, image.height, Mask::new);
        // Compare as integers: v > t  <=>  v > floor(t)  <=>  floor(t) - v < 0 for integer v; the sign bit of the
        // difference is the output, a branch-free loop without a table that the JIT can vectorise.
        int ti = t >= 255 ? 255 : t < 0 ? -1 : (int) Math.floor(t);
        byte[] s = image.data;
        byte[] d = dst.data;
        for (int y = 0; y < image.height; y++) {
            int i = image.startIndex + y * image.stride;
            int o = dst.startIndex + y * dst.stride;
            int w = image.width;
            if (roi == null) {
                for (int x = 0; x < w; x++) {
                    d[o + x] = (byte) ((ti - (s[i + x] & 0xFF)) >>> 31);
                }
            } else {
                byte[] r = roi.data;
                int m = roi.startIndex + y * roi.stride;
                for (int x = 0; x < w; x++) {
                    d[o + x] = (byte) (((ti - (s[i + x] & 0xFF)) >>> 31) & r[m + x]);
                }
            }
        }
        return dst;
    }

    /** {@code image > t} for a 16-bit image. */
    public static Mask greaterThan(GrayU16 image, double t, Mask roi, Mask dst) {
        checkThreshold(t);
        ImageHistogram.checkRoi(roi, image.width, image.height);
        dst = ImageBase.output(dst, image.width, image.height, Mask::new);
        for (int y = 0; y < image.height; y++) {
            int i = image.startIndex + y * image.stride;
            int o = dst.startIndex + y * dst.stride;
            int m = roi == null ? 0 : roi.startIndex + y * roi.stride;
            for (int x = 0; x < image.width; x++) {
                boolean on = (image.data[i + x] & 0xFFFF) > t && (roi == null || roi.data[m + x] != 0);
                dst.data[o + x] = (byte) (on ? 1 : 0);
            }
        }
        return dst;
    }

    /** {@code image > t} for a float image; NaN compares false, so NaN pixels are off. */
    public static Mask greaterThan(GrayF32 image, double t, Mask roi, Mask dst) {
        checkThreshold(t);
        ImageHistogram.checkRoi(roi, image.width, image.height);
        dst = ImageBase.output(dst, image.width, image.height, Mask::new);
        for (int y = 0; y < image.height; y++) {
            int i = image.startIndex + y * image.stride;
            int o = dst.startIndex + y * dst.stride;
            int m = roi == null ? 0 : roi.startIndex + y * roi.stride;
            for (int x = 0; x < image.width; x++) {
                boolean on = image.data[i + x] > t && (roi == null || roi.data[m + x] != 0);
                dst.data[o + x] = (byte) (on ? 1 : 0);
            }
        }
        return dst;
    }
}
