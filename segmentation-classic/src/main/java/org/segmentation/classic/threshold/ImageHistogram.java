package org.segmentation.classic.threshold;

import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.Mask;

/**
 * Histograms for thresholding, optionally restricted to the pixels that are on in a region-of-interest mask.
 * Package-private: the public entry points are {@link OtsuOps} and {@link MultiOtsuOps}.
 */
final class ImageHistogram {
    private ImageHistogram() {
    }

    static void checkRoi(Mask roi, int w, int h) {
        if (roi != null && (roi.width != w || roi.height != h)) {
            throw new IllegalArgumentException("mask is " + roi.width + "x" + roi.height + " but the image is "
                    + w + "x" + h);
        }
    }

    static IllegalArgumentException emptyRoi() {
        return new IllegalArgumentException("the mask has no pixel on: there is nothing to threshold");
    }

    /**
     * 256-bin histogram of an 8-bit image. Four sub-histograms take consecutive pixels in turn and are summed at
     * the end: smooth images repeat a value many times in a row, and one histogram would make each increment wait
     * for the store of the previous one to the same bin.
     */
    static int[] histogram(GrayU8 image, Mask roi) {
        checkRoi(image, roi);
        int[] h4 = new int[4 * 256];
        byte[] d = image.data;
        int w = image.width;
        for (int y = 0; y < image.height; y++) {
            int i = image.startIndex + y * image.stride;
            int end = i + w;
            if (roi == null) {
                for (; i + 7 < end; i += 8) {
                    h4[d[i] & 0xFF]++;
                    h4[256 + (d[i + 1] & 0xFF)]++;
                    h4[512 + (d[i + 2] & 0xFF)]++;
                    h4[768 + (d[i + 3] & 0xFF)]++;
                    h4[d[i + 4] & 0xFF]++;
                    h4[256 + (d[i + 5] & 0xFF)]++;
                    h4[512 + (d[i + 6] & 0xFF)]++;
                    h4[768 + (d[i + 7] & 0xFF)]++;
                }
                for (; i + 3 < end; i += 4) {
                    h4[d[i] & 0xFF]++;
                    h4[256 + (d[i + 1] & 0xFF)]++;
                    h4[512 + (d[i + 2] & 0xFF)]++;
                    h4[768 + (d[i + 3] & 0xFF)]++;
                }
                for (; i < end; i++) {
                    h4[d[i] & 0xFF]++;
                }
            } else {
                byte[] r = roi.data;
                int m = roi.startIndex + y * roi.stride - i;
                for (; i + 3 < end; i += 4) {
                    // add 1 for a non-zero roi byte instead of branching on it: (r | -r) < 0 exactly when r != 0
                    h4[d[i] & 0xFF] += on(r[m + i]);
                    h4[256 + (d[i + 1] & 0xFF)] += on(r[m + i + 1]);
                    h4[512 + (d[i + 2] & 0xFF)] += on(r[m + i + 2]);
                    h4[768 + (d[i + 3] & 0xFF)] += on(r[m + i + 3]);
                }
                for (; i < end; i++) {
                    h4[d[i] & 0xFF] += on(r[m + i]);
                }
            }
        }
        int[] h = new int[256];
        for (int v = 0; v < 256; v++) {
            h[v] = h4[v] + h4[256 + v] + h4[512 + v] + h4[768 + v];
        }
        return h;
    }

    private static int on(byte r) {
        return (r | -r) >>> 31;
    }

    private static void checkRoi(GrayU8 image, Mask roi) {
        checkRoi(roi, image.width, image.height);
    }

    /** {min, max} of the image (over the mask), or null when the mask has no pixel on. */
    static int[] range(GrayU16 image, Mask roi) {
        checkRoi(roi, image.width, image.height);
        int min = Integer.MAX_VALUE;
        int max = Integer.MIN_VALUE;
        for (int y = 0; y < image.height; y++) {
            int i = image.startIndex + y * image.stride;
            int m = roi == null ? 0 : roi.startIndex + y * roi.stride;
            for (int x = 0; x < image.width; x++) {
                if (roi == null || roi.data[m + x] != 0) {
                    int v = image.data[i + x] & 0xFFFF;
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        return min > max ? null : new int[] {min, max};
    }

    /**
     * {min, max} of a float image (over the mask), or null when the mask has no pixel on.
     *
     * @throws IllegalArgumentException naming the pixel if a considered value is NaN or infinite
     */
    static float[] range(GrayF32 image, Mask roi) {
        checkRoi(roi, image.width, image.height);
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        boolean any = false;
        for (int y = 0; y < image.height; y++) {
            int i = image.startIndex + y * image.stride;
            int m = roi == null ? 0 : roi.startIndex + y * roi.stride;
            for (int x = 0; x < image.width; x++) {
                if (roi == null || roi.data[m + x] != 0) {
                    float v = image.data[i + x];
                    if (!Float.isFinite(v)) {
                        throw new IllegalArgumentException("pixel (" + x + ", " + y + ") is " + v
                                + ": thresholds need finite values");
                    }
                    any = true;
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        return any ? new float[] {min, max} : null;
    }

    /**
     * Counts of {@code bins} equal bins over {@code [min, max]} (the last bin closed), over the mask's pixels.
     * Values must lie in the range (see {@link #range(GrayF32, Mask)}).
     */
    static long[] binned(GrayF32 image, Mask roi, int bins, double min, double max) {
        long[] counts = new long[bins];
        double scale = bins / (max - min);
        for (int y = 0; y < image.height; y++) {
            int i = image.startIndex + y * image.stride;
            int m = roi == null ? 0 : roi.startIndex + y * roi.stride;
            for (int x = 0; x < image.width; x++) {
                if (roi == null || roi.data[m + x] != 0) {
                    counts[Math.min(bins - 1, (int) ((image.data[i + x] - min) * scale))]++;
                }
            }
        }
        return counts;
    }
}
