package org.segmentation.nn.predict;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.PlanarF32;

/**
 * How an image becomes a network's input: decoded to {@code channels} channels scaled to [0, 1] by bit depth
 * ({@link ConvertImage#toUnitPlanar}: 8-bit over 255, 16-bit over 65535; colour to BT.601 gray for one channel,
 * gray replicated for three), then {@code (v - mean[c]) / std[c]} per channel. The identity ({@link #unit}) is
 * what the datasets of this library produce and what every model saved before the normalisation was recorded was
 * trained on.
 *
 * @param channels 1 or 3
 * @param mean per channel, {@code channels} values
 * @param std per channel, {@code channels} finite values > 0
 */
public record InputNormalization(int channels, double[] mean, double[] std) {
    /** @throws IllegalArgumentException naming the value out of range */
    public InputNormalization {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (mean == null || std == null || mean.length != channels || std.length != channels) {
            throw new IllegalArgumentException("mean and std need " + channels + " value(s) each, got "
                    + Arrays.toString(mean) + " and " + Arrays.toString(std));
        }
        mean = mean.clone();
        std = std.clone();
        for (int c = 0; c < channels; c++) {
            if (!Double.isFinite(mean[c]) || !(std[c] > 0) || Double.isInfinite(std[c])) {
                throw new IllegalArgumentException("channel " + c + ": mean must be finite and std finite and > 0, "
                        + "got mean " + mean[c] + ", std " + std[c]);
            }
        }
    }

    /** Intensities in [0, 1] as they are: mean 0, std 1. */
    public static InputNormalization unit(int channels) {
        double[] ones = new double[channels == 3 ? 3 : 1];
        Arrays.fill(ones, 1);
        return new InputNormalization(channels, new double[ones.length], ones);
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }

    /** Whether this is {@link #unit}: applying it changes nothing. */
    public boolean isUnit() {
        for (int c = 0; c < channels; c++) {
            if (mean[c] != 0 || std[c] != 1) {
                return false;
            }
        }
        return true;
    }

    /** A decoded image as the network's input: a new array. */
    public PlanarF32 apply(BufferedImage image) {
        return applyInPlace(ConvertImage.toUnitPlanar(image, channels));
    }

    /**
     * Normalises intensities in [0, 1] into a new image.
     *
     * @throws IllegalArgumentException if the image's channel count is not {@link #channels}
     */
    public PlanarF32 apply(PlanarF32 unitImage) {
        if (unitImage.channels != channels) {
            throw new IllegalArgumentException("the image has " + unitImage.channels + " channel(s), the "
                    + "normalisation " + channels);
        }
        if (isUnit()) {
            return unitImage;
        }
        PlanarF32 out = new PlanarF32(channels, unitImage.width, unitImage.height);
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < out.height; y++) {
                int s = unitImage.startIndex + c * unitImage.planeStride + y * unitImage.stride;
                int d = c * out.planeStride + y * out.stride;
                for (int x = 0; x < out.width; x++) {
                    out.data[d + x] = unitImage.data[s + x];
                }
            }
        }
        return applyInPlace(out);
    }

    private PlanarF32 applyInPlace(PlanarF32 img) {
        if (isUnit()) {
            return img;
        }
        for (int c = 0; c < channels; c++) {
            float m = (float) mean[c];
            float inv = (float) (1 / std[c]);
            for (int y = 0; y < img.height; y++) {
                int row = img.startIndex + c * img.planeStride + y * img.stride;
                for (int x = 0; x < img.width; x++) {
                    img.data[row + x] = (img.data[row + x] - m) * inv;
                }
            }
        }
        return img;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputNormalization n && n.channels == channels && Arrays.equals(n.mean, mean)
                && Arrays.equals(n.std, std);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * channels + Arrays.hashCode(mean)) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "InputNormalization[channels=" + channels + ", mean=" + Arrays.toString(mean) + ", std="
                + Arrays.toString(std) + "]";
    }
}
