package org.segmentation.classic.threshold;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
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
        // Compare as integers: v > t  <=>  v >= floor(t) + 1 for integer v.
        int ti = t >= 255 ? 255 : t < 0 ? -1 : (int) Math.floor(t);
        byte[] s = image.data;
        byte[] d = dst.data;
        int w = image.width;
        for (int y = 0; y < image.height; y++) {
            int i = image.startIndex + y * image.stride;
            int o = dst.startIndex + y * dst.stride;
            if (roi == null) {
                if (ti == 255 || ti < 0) {
                    Arrays.fill(d, o, o + w, (byte) (ti < 0 ? 1 : 0));
                } else {
                    atLeast(s, i, d, o, w, ti + 1);
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

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH = 0x8080808080808080L;

    /**
     * {@code d[o + x] = s[i + x] >= u ? 1 : 0} for {@code x < n}, unsigned, {@code 0 <= u <= 255}: eight pixels per
     * step in one long (SWAR, as in Hacker's Delight, ch. 2). Per byte, {@code (x | 0x80) - (u & 0x7F)} cannot
     * borrow from the next byte and has its top bit set when the low seven bits compare {@code >=}; the top bits of
     * {@code x} and {@code u} decide when they differ.
     */
    private static void atLeast(byte[] s, int i, byte[] d, int o, int n, int u) {
        long uu = (u & 0xFFL) * 0x0101010101010101L;
        long uLow = uu & ~HIGH;
        int x = 0;
        for (; x + 8 <= n; x += 8) {
            long v = (long) LONGS.get(s, i + x);
            long low = (v | HIGH) - uLow;
            long ge = ((v & ~uu) | (~(v ^ uu) & low)) & HIGH;
            LONGS.set(d, o + x, ge >>> 7);
        }
        for (; x < n; x++) {
            d[o + x] = (byte) (((u - 1 - (s[i + x] & 0xFF)) >>> 31));
        }
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
