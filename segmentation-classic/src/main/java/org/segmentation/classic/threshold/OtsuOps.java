package org.segmentation.classic.threshold;

import java.util.Objects;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.Mask;

/**
 * Binary Otsu thresholding: the threshold that maximises the between-class variance of the histogram.
 *
 * <p>N. Otsu, "A Threshold Selection Method from Gray-Level Histograms", IEEE Trans. Systems, Man, and
 * Cybernetics 9(1), 1979.
 *
 * <p>Conventions, for every pixel type: the foreground is {@code value > threshold}, as OpenCV's
 * {@code THRESH_BINARY}. With a region-of-interest mask, only the pixels that are on in it enter the histogram,
 * and the binary output is 0 outside it. An image (or mask region) of one value {@code v} has threshold
 * {@code v} and an empty foreground, as {@code skimage.filters.threshold_otsu} (OpenCV would give 0). A mask with
 * no pixel on is an {@link IllegalArgumentException}.
 *
 * <ul>
 *   <li>8-bit: 256 bins; the same arithmetic and tie-breaking (first maximum) as OpenCV's
 *       {@code cv2.threshold(img, 0, 255, THRESH_BINARY | THRESH_OTSU)}, so the integer threshold is equal.</li>
 *   <li>16-bit and float: {@code bins} equal bins over {@code [min, max]} of the considered pixels, the threshold
 *       being a bin centre, as {@code threshold_otsu(image, nbins)}. For 16-bit, {@code bins <= 0} means one bin
 *       per integer value, which is what scikit-image does for integer images. Float images with NaN or infinite
 *       values (among the considered pixels) are rejected with an {@link IllegalArgumentException}.</li>
 * </ul>
 */
public final class OtsuOps {
    private OtsuOps() {
    }

    /**
     * Otsu threshold of an 8-bit image, equal to OpenCV's.
     *
     * @param roi pixels to consider, or null for all; not modified
     * @throws IllegalArgumentException if {@code roi} differs in shape or has no pixel on
     */
    public static int threshold(GrayU8 image, Mask roi) {
        Objects.requireNonNull(image, "image");
        return thresholdOfHistogram(ImageHistogram.histogram(image, roi));
    }

    /**
     * Otsu threshold of a 256-bin histogram, with OpenCV's arithmetic: running class probability and mean in
     * double precision, classes with probability below {@code FLT_EPSILON} skipped, first strict maximum kept.
     * A histogram with a single non-empty bin gives that bin.
     *
     * @throws IllegalArgumentException if every count is zero
     */
    public static int thresholdOfHistogram(int[] hist) {
        long total = 0;
        int nonEmpty = 0;
        int only = 0;
        for (int i = 0; i < hist.length; i++) {
            if (hist[i] < 0) {
                throw new IllegalArgumentException("negative count " + hist[i] + " in bin " + i);
            }
            total += hist[i];
            if (hist[i] > 0) {
                nonEmpty++;
                only = i;
            }
        }
        if (total == 0) {
            throw ImageHistogram.emptyRoi();
        }
        if (nonEmpty == 1) {
            return only;
        }
        double scale = 1.0 / total;
        double mu = 0;
        for (int i = 0; i < hist.length; i++) {
            mu += i * (double) hist[i];
        }
        mu *= scale;
        double mu1 = 0;
        double q1 = 0;
        double maxSigma = 0;
        int maxVal = 0;
        final double eps = 1.1920928955078125E-7; // FLT_EPSILON, as OpenCV
        for (int i = 0; i < hist.length; i++) {
            double pi = hist[i] * scale;
            mu1 *= q1;
            q1 += pi;
            double q2 = 1.0 - q1;
            if (Math.min(q1, q2) < eps || Math.max(q1, q2) > 1.0 - eps) {
                continue;
            }
            mu1 = (mu1 + i * pi) / q1;
            double mu2 = (mu - q1 * mu1) / q2;
            double sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
            if (sigma > maxSigma) {
                maxSigma = sigma;
                maxVal = i;
            }
        }
        return maxVal;
    }

    /**
     * Otsu threshold of a 16-bit image over {@code [min, max]} of the considered pixels.
     *
     * @param bins number of equal bins, or {@code <= 0} for one bin per integer value (scikit-image's choice)
     * @param roi pixels to consider, or null for all; not modified
     * @throws IllegalArgumentException if {@code roi} differs in shape or has no pixel on
     */
    public static double threshold(GrayU16 image, int bins, Mask roi) {
        Objects.requireNonNull(image, "image");
        int[] r = ImageHistogram.range(image, roi);
        if (r == null) {
            throw ImageHistogram.emptyRoi();
        }
        int min = r[0];
        int max = r[1];
        if (min == max) {
            return min;
        }
        int n = bins <= 0 ? max - min + 1 : bins;
        long[] counts = new long[n];
        double scale = bins <= 0 ? 1.0 : n / (double) (max - min);
        for (int y = 0; y < image.height; y++) {
            int i = image.startIndex + y * image.stride;
            int m = roi == null ? 0 : roi.startIndex + y * roi.stride;
            for (int x = 0; x < image.width; x++) {
                if (roi == null || roi.data[m + x] != 0) {
                    int v = (image.data[i + x] & 0xFFFF) - min;
                    counts[bins <= 0 ? v : Math.min(n - 1, (int) (v * scale))]++;
                }
            }
        }
        double[] centers = new double[n];
        for (int b = 0; b < n; b++) {
            centers[b] = bins <= 0 ? min + b : min + (b + 0.5) * (max - min) / n;
        }
        return centers[maxVarianceIndex(counts, centers)];
    }

    /**
     * Otsu threshold of a float image with {@code bins} equal bins over {@code [min, max]} of the considered
     * pixels; the result is a bin centre, as {@code skimage.filters.threshold_otsu(image, nbins=bins)}.
     *
     * @param roi pixels to consider, or null for all; not modified
     * @throws IllegalArgumentException if {@code bins < 2}, {@code roi} differs in shape or has no pixel on, or a
     *     considered value is NaN or infinite
     */
    public static double threshold(GrayF32 image, int bins, Mask roi) {
        Objects.requireNonNull(image, "image");
        if (bins < 2) {
            throw new IllegalArgumentException("bins must be at least 2, got " + bins);
        }
        float[] r = ImageHistogram.range(image, roi);
        if (r == null) {
            throw ImageHistogram.emptyRoi();
        }
        double min = r[0];
        double max = r[1];
        if (min == max) {
            return min;
        }
        long[] counts = ImageHistogram.binned(image, roi, bins, min, max);
        double[] centers = new double[bins];
        for (int b = 0; b < bins; b++) {
            centers[b] = min + (b + 0.5) * (max - min) / bins;
        }
        return centers[maxVarianceIndex(counts, centers)];
    }

    /**
     * Index {@code i} maximising {@code w1(i) w2(i+1) (m1(i) - m2(i+1))^2}, where class 1 is bins {@code 0..i} and
     * class 2 the rest (scikit-image's formulation; the first maximum wins).
     */
    static int maxVarianceIndex(long[] counts, double[] centers) {
        int n = counts.length;
        double totalW = 0;
        double totalM = 0;
        for (int b = 0; b < n; b++) {
            totalW += counts[b];
            totalM += counts[b] * centers[b];
        }
        double w1 = 0;
        double s1 = 0;
        double best = Double.NEGATIVE_INFINITY;
        int bestIndex = 0;
        for (int i = 0; i < n - 1; i++) {
            w1 += counts[i];
            s1 += counts[i] * centers[i];
            double w2 = totalW - w1;
            if (w1 == 0 || w2 == 0) {
                continue;
            }
            double d = s1 / w1 - (totalM - s1) / w2;
            double v = w1 * w2 * d * d;
            if (v > best) {
                best = v;
                bestIndex = i;
            }
        }
        return bestIndex;
    }

    /** Binarises an 8-bit image at its Otsu threshold. @param dst output mask, or null to allocate */
    public static ThresholdResult binarize(GrayU8 image, Mask roi, Mask dst) {
        int t = threshold(image, roi);
        return new ThresholdResult(t, ThresholdOps.greaterThan(image, t, roi, dst));
    }

    /** Binarises a 16-bit image at its Otsu threshold; see {@link #threshold(GrayU16, int, Mask)}. */
    public static ThresholdResult binarize(GrayU16 image, int bins, Mask roi, Mask dst) {
        double t = threshold(image, bins, roi);
        return new ThresholdResult(t, ThresholdOps.greaterThan(image, t, roi, dst));
    }

    /** Binarises a float image at its Otsu threshold; see {@link #threshold(GrayF32, int, Mask)}. */
    public static ThresholdResult binarize(GrayF32 image, int bins, Mask roi, Mask dst) {
        double t = threshold(image, bins, roi);
        return new ThresholdResult(t, ThresholdOps.greaterThan(image, t, roi, dst));
    }
}
