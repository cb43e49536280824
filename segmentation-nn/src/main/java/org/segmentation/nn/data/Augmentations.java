package org.segmentation.nn.data;

import java.util.random.RandomGenerator;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;

/**
 * The standard augmentations: geometric ones move image, target and instance map together; intensity ones
 * change only the image. Combine them with {@link AugmentationPipeline}; the elastic deformation of the U-Net
 * paper is {@link ElasticDeformation}.
 *
 * <p>The geometric augmentations, contrast and gamma have deterministic counterparts taking the drawn
 * parameters, used by the random ones and by tests. Intensity augmentations assume images scaled to [0, 1] and do not clip their output, except
 * {@link #gamma} which needs non-negative input.
 */
public final class Augmentations {
    private Augmentations() {
    }

    // ------------------------------------------------------------------------------------------ geometric

    /** Mirrors left-right. Not random by itself: give it a probability in a pipeline. */
    public static Augmentation flipHorizontal() {
        return (s, rng) -> flip(s, true);
    }

    /** Mirrors top-bottom. Not random by itself: give it a probability in a pipeline. */
    public static Augmentation flipVertical() {
        return (s, rng) -> flip(s, false);
    }

    /** Rotates by 90, 180 or 270 degrees, each equally likely. A non-square sample swaps its width and height. */
    public static Augmentation rotate90() {
        return (s, rng) -> rotate90(s, 1 + rng.nextInt(3));
    }

    /**
     * Brings every sample to {@code width x height}: along each axis a larger sample is cropped at a uniformly
     * random offset, a smaller one is placed at a uniformly random offset in a padded canvas. Padding takes
     * {@code padValue} in the image, {@code padLabel} in the target (use the ignore label so padding does not
     * count, or 0 for background) and 0 in the instance map.
     *
     * @throws IllegalArgumentException if the size is not positive
     */
    public static Augmentation cropOrPad(int width, int height, float padValue, int padLabel) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("crop size must be positive, got " + width + "x" + height);
        }
        return (s, rng) -> {
            int x0 = randomOrigin(s.width(), width, rng);
            int y0 = randomOrigin(s.height(), height, rng);
            return window(s, x0, y0, width, height, padValue, padLabel);
        };
    }

    /** Window origin along one axis: inside the source when cropping, negative (a margin) when padding. */
    private static int randomOrigin(int src, int out, RandomGenerator rng) {
        if (src > out) {
            return rng.nextInt(src - out + 1);
        }
        if (src < out) {
            return -rng.nextInt(out - src + 1);
        }
        return 0;
    }

    /** The sample mirrored left-right ({@code horizontal}) or top-bottom. */
    public static Sample flip(Sample s, boolean horizontal) {
        int w = s.width();
        int h = s.height();
        return horizontal ? remap(s, w, h, -1, 0, w - 1, 0, 1, 0, 0f, 0)
                : remap(s, w, h, 1, 0, 0, 0, -1, h - 1, 0f, 0);
    }

    /**
     * The sample rotated counterclockwise by {@code quarterTurns * 90} degrees, as NumPy's {@code rot90}: output
     * pixel {@code (x, y)} of one quarter turn is input pixel {@code (W-1-y, x)}.
     */
    public static Sample rotate90(Sample s, int quarterTurns) {
        int w = s.width();
        int h = s.height();
        switch (Math.floorMod(quarterTurns, 4)) {
            case 1:
                return remap(s, h, w, 0, -1, w - 1, 1, 0, 0, 0f, 0);
            case 2:
                return remap(s, w, h, -1, 0, w - 1, 0, -1, h - 1, 0f, 0);
            case 3:
                return remap(s, h, w, 0, 1, 0, -1, 0, h - 1, 0f, 0);
            default:
                return s;
        }
    }

    /**
     * The {@code width x height} window whose top-left corner is input pixel {@code (x0, y0)}; the origin may be
     * negative and the window may extend past the input, where it is padded as in {@link #cropOrPad}.
     */
    public static Sample window(Sample s, int x0, int y0, int width, int height, float padValue, int padLabel) {
        return remap(s, width, height, 1, 0, x0, 0, 1, y0, padValue, padLabel);
    }

    /**
     * Output pixel {@code (x, y)} takes input pixel {@code (m00*x + m01*y + t0, m10*x + m11*y + t1)}, or the pad
     * value when that lies outside the input. Covers flips, quarter turns and crops with one loop.
     */
    private static Sample remap(Sample s, int outW, int outH, int m00, int m01, int t0, int m10, int m11, int t1,
            float padValue, int padLabel) {
        PlanarF32 src = s.image();
        PlanarF32 img = new PlanarF32(src.channels, outW, outH);
        for (int c = 0; c < src.channels; c++) {
            int srcPlane = src.startIndex + c * src.planeStride;
            int dstPlane = c * img.planeStride;
            for (int y = 0; y < outH; y++) {
                for (int x = 0; x < outW; x++) {
                    int sx = m00 * x + m01 * y + t0;
                    int sy = m10 * x + m11 * y + t1;
                    img.data[dstPlane + y * outW + x] = sx >= 0 && sx < src.width && sy >= 0 && sy < src.height
                            ? src.data[srcPlane + sy * src.stride + sx] : padValue;
                }
            }
        }
        LabelMap target = remap(s.target(), outW, outH, m00, m01, t0, m10, m11, t1, padLabel);
        LabelMap instances = s.instances() == null ? null
                : remap(s.instances(), outW, outH, m00, m01, t0, m10, m11, t1, 0);
        return new Sample(img, target, instances);
    }

    private static LabelMap remap(LabelMap src, int outW, int outH, int m00, int m01, int t0, int m10, int m11,
            int t1, int pad) {
        LabelMap out = new LabelMap(outW, outH);
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                int sx = m00 * x + m01 * y + t0;
                int sy = m10 * x + m11 * y + t1;
                out.data[y * outW + x] = sx >= 0 && sx < src.width && sy >= 0 && sy < src.height
                        ? src.data[src.startIndex + sy * src.stride + sx] : pad;
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ intensity

    /**
     * Adds one offset, uniform in {@code [-maxDelta, maxDelta]}, to every pixel.
     *
     * @throws IllegalArgumentException if {@code maxDelta} is negative or not finite
     */
    public static Augmentation brightness(double maxDelta) {
        checkNonNegative("maxDelta", maxDelta);
        return (s, rng) -> {
            float delta = (float) ((2 * rng.nextDouble() - 1) * maxDelta);
            PlanarF32 img = s.image().copy();
            for (int i = 0; i < img.data.length; i++) {
                img.data[i] += delta;
            }
            return new Sample(img, s.target(), s.instances());
        };
    }

    /**
     * Scales each channel's deviation from its mean by one factor uniform in {@code [1-maxChange, 1+maxChange]}:
     * {@code out = mean + f*(in - mean)}.
     *
     * @throws IllegalArgumentException unless {@code 0 <= maxChange <= 1}
     */
    public static Augmentation contrast(double maxChange) {
        if (!(maxChange >= 0 && maxChange <= 1)) {
            throw new IllegalArgumentException("maxChange must be in [0, 1], got " + maxChange);
        }
        return (s, rng) -> contrast(s, (float) (1 + (2 * rng.nextDouble() - 1) * maxChange));
    }

    /** The sample with each channel's contrast scaled by {@code factor} around the channel mean. */
    public static Sample contrast(Sample s, float factor) {
        PlanarF32 img = s.image().copy();
        int n = img.width * img.height;
        for (int c = 0; c < img.channels; c++) {
            int p = c * img.planeStride;
            double sum = 0;
            for (int i = p; i < p + n; i++) {
                sum += img.data[i];
            }
            float mean = (float) (sum / n);
            for (int i = p; i < p + n; i++) {
                img.data[i] = mean + factor * (img.data[i] - mean);
            }
        }
        return new Sample(img, s.target(), s.instances());
    }

    /**
     * Raises every pixel to a power {@code g} drawn log-uniformly from {@code [1/maxGamma, maxGamma]}, so that
     * darkening and brightening are equally likely. Negative pixels become 0 first (a power of a negative number
     * is undefined); values in [0, 1] stay in [0, 1].
     *
     * @throws IllegalArgumentException if {@code maxGamma < 1} or is not finite
     */
    public static Augmentation gamma(double maxGamma) {
        if (!(maxGamma >= 1 && Double.isFinite(maxGamma))) {
            throw new IllegalArgumentException("maxGamma must be a finite value >= 1, got " + maxGamma);
        }
        double logMax = Math.log(maxGamma);
        return (s, rng) -> gamma(s, Math.exp((2 * rng.nextDouble() - 1) * logMax));
    }

    /** The sample with every pixel {@code v} replaced by {@code max(v, 0)^g}. */
    public static Sample gamma(Sample s, double g) {
        PlanarF32 img = s.image().copy();
        for (int i = 0; i < img.data.length; i++) {
            img.data[i] = (float) Math.pow(Math.max(img.data[i], 0f), g);
        }
        return new Sample(img, s.target(), s.instances());
    }

    /**
     * Adds independent Gaussian noise of standard deviation {@code sigma} to every pixel.
     *
     * @throws IllegalArgumentException if {@code sigma} is negative or not finite
     */
    public static Augmentation gaussianNoise(double sigma) {
        checkNonNegative("sigma", sigma);
        return (s, rng) -> {
            PlanarF32 img = s.image().copy();
            for (int i = 0; i < img.data.length; i++) {
                img.data[i] += (float) (sigma * rng.nextGaussian());
            }
            return new Sample(img, s.target(), s.instances());
        };
    }

    private static void checkNonNegative(String name, double value) {
        if (!(value >= 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException(name + " must be finite and non-negative, got " + value);
        }
    }
}
