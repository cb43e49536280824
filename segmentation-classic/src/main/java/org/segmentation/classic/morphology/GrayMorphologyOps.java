package org.segmentation.classic.morphology;

import java.util.Arrays;
import java.util.Objects;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;

/**
 * Grayscale morphology of 8-bit images with a {@link Footprint}: erosion (minimum over the footprint), dilation
 * (maximum), opening, closing and white top-hat, as {@code skimage.morphology.erosion}, ... and
 * {@code white_tophat} for symmetric footprints.
 *
 * <p>Border: the image is extended by reflection ({@code d c b a | a b c d | d c b a}), SciPy's default
 * {@code mode='reflect'} that scikit-image inherits. Each footprint row is a sliding minimum or maximum computed
 * in O(1) per pixel (M. van Herk, Pattern Recognition Letters 13, 1992; J. Gil and M. Werman, IEEE PAMI 15, 1993),
 * so a call costs {@code O(width * height * (2r+1))}. Outputs may be null (allocated) but not the input.
 */
public final class GrayMorphologyOps {
    private GrayMorphologyOps() {
    }

    /** Minimum over the footprint. */
    public static GrayU8 erode(GrayU8 src, Footprint fp, GrayU8 dst) {
        return apply(src, fp, dst, true);
    }

    /** Maximum over the footprint. */
    public static GrayU8 dilate(GrayU8 src, Footprint fp, GrayU8 dst) {
        return apply(src, fp, dst, false);
    }

    /** Erosion then dilation. */
    public static GrayU8 open(GrayU8 src, Footprint fp, GrayU8 dst) {
        return dilate(erode(src, fp, null), fp, dst);
    }

    /** Dilation then erosion. */
    public static GrayU8 close(GrayU8 src, Footprint fp, GrayU8 dst) {
        return erode(dilate(src, fp, null), fp, dst);
    }

    /**
     * {@code src - open(src)}: the bright details smaller than the footprint, with the slowly varying background
     * removed.
     */
    public static GrayU8 whiteTopHat(GrayU8 src, Footprint fp, GrayU8 dst) {
        GrayU8 opened = open(src, fp, null);
        dst = output(src, dst);
        for (int y = 0; y < src.height; y++) {
            for (int x = 0; x < src.width; x++) {
                dst.unsafe_set(x, y, src.unsafe_get(x, y) - opened.unsafe_get(x, y));
            }
        }
        return dst;
    }

    private static GrayU8 output(GrayU8 src, GrayU8 dst) {
        if (dst == src) {
            throw new IllegalArgumentException("the output must not be the input image");
        }
        return ImageBase.output(dst, src.width, src.height, GrayU8::new);
    }

    private static int reflect(int i, int n) {
        // Half-sample symmetric extension, repeated for footprints larger than the image.
        int period = 2 * n;
        i %= period;
        if (i < 0) {
            i += period;
        }
        return i < n ? i : period - 1 - i;
    }

    private static GrayU8 apply(GrayU8 src, Footprint fp, GrayU8 dst, boolean min) {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(fp, "footprint");
        dst = output(src, dst);
        int w = src.width;
        int h = src.height;
        int r = fp.radius();
        int maxHw = 0;
        for (int dy = -r; dy <= r; dy++) {
            maxHw = Math.max(maxHw, fp.halfWidth(dy));
        }
        // Padded copy: rows -r..h-1+r, columns -maxHw..w-1+maxHw, by reflection.
        int pw = w + 2 * maxHw;
        int ph = h + 2 * r;
        int[] pad = new int[pw * ph];
        for (int y = 0; y < ph; y++) {
            int sy = reflect(y - r, h);
            for (int x = 0; x < pw; x++) {
                pad[y * pw + x] = src.unsafe_get(reflect(x - maxHw, w), sy);
            }
        }
        int[] acc = new int[w * h];
        Arrays.fill(acc, min ? 255 : 0);
        int[] line = new int[w];
        int[] g = new int[pw];
        int[] hh = new int[pw];
        boolean[] done = new boolean[maxHw + 1];
        for (int dy0 = -r; dy0 <= r; dy0++) {
            int hw = fp.halfWidth(dy0);
            if (done[hw]) {
                continue;
            }
            done[hw] = true;
            // Every footprint row with this half-width reads the same horizontal extremum of a padded row.
            for (int py = 0; py < ph; py++) {
                slidingExtremum(pad, py * pw, pw, hw, maxHw, w, min, g, hh, line);
                for (int dy = -r; dy <= r; dy++) {
                    if (fp.halfWidth(dy) != hw) {
                        continue;
                    }
                    int y = py - r - dy;
                    if (y < 0 || y >= h) {
                        continue;
                    }
                    int o = y * w;
                    if (min) {
                        for (int x = 0; x < w; x++) {
                            acc[o + x] = Math.min(acc[o + x], line[x]);
                        }
                    } else {
                        for (int x = 0; x < w; x++) {
                            acc[o + x] = Math.max(acc[o + x], line[x]);
                        }
                    }
                }
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                dst.unsafe_set(x, y, acc[y * w + x]);
            }
        }
        return dst;
    }

    /**
     * {@code line[x]} = extremum of {@code pad[row + maxHw + x - hw .. row + maxHw + x + hw]} for {@code x < w}:
     * van Herk / Gil-Werman with blocks of {@code 2hw+1}: a forward running extremum {@code g} within each block,
     * a backward one {@code hh}, and the window's extremum is that of {@code hh} at its start and {@code g} at its
     * end.
     */
    private static void slidingExtremum(int[] pad, int row, int pw, int hw, int maxHw, int w, boolean min,
            int[] g, int[] hh, int[] line) {
        int k = 2 * hw + 1;
        for (int i = 0; i < pw; i++) {
            int v = pad[row + i];
            g[i] = i % k == 0 ? v : (min ? Math.min(g[i - 1], v) : Math.max(g[i - 1], v));
        }
        for (int i = pw - 1; i >= 0; i--) {
            int v = pad[row + i];
            hh[i] = (i + 1) % k == 0 || i == pw - 1 ? v : (min ? Math.min(hh[i + 1], v) : Math.max(hh[i + 1], v));
        }
        for (int x = 0; x < w; x++) {
            int a = maxHw + x - hw;
            int b = maxHw + x + hw;
            line[x] = min ? Math.min(hh[a], g[b]) : Math.max(hh[a], g[b]);
        }
    }
}
