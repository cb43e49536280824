package org.segmentation.classic.morphology;

import java.util.Objects;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.Mask;

/**
 * Binary morphology on {@link Mask}s with a {@link Footprint}, as scikit-image's {@code binary_erosion},
 * {@code binary_dilation}, {@code binary_opening}, {@code binary_closing} and SciPy's {@code binary_fill_holes}.
 *
 * <p>Borders: erosion treats pixels outside the image as on and dilation treats them as off, as scikit-image does
 * (so an object touching the border is not eroded from that side). Each row of the footprint is tested in O(1)
 * with row prefix sums, so a call costs {@code O(width * height * (2r+1))}. Output masks may be null (allocated)
 * but must not be the input.
 */
public final class MorphologyOps {
    private MorphologyOps() {
    }

    /** {@code dst(p) = 1} when some footprint pixel around {@code p} is on in {@code src}. */
    public static Mask dilate(Mask src, Footprint fp, Mask dst) {
        return apply(src, fp, dst, false);
    }

    /** {@code dst(p) = 1} when every footprint pixel around {@code p} inside the image is on in {@code src}. */
    public static Mask erode(Mask src, Footprint fp, Mask dst) {
        return apply(src, fp, dst, true);
    }

    /** Erosion then dilation: removes parts narrower than the footprint. */
    public static Mask open(Mask src, Footprint fp, Mask dst) {
        Mask tmp = erode(src, fp, null);
        return dilate(tmp, fp, dst);
    }

    /** Dilation then erosion: closes gaps narrower than the footprint. */
    public static Mask close(Mask src, Footprint fp, Mask dst) {
        Mask tmp = dilate(src, fp, null);
        return erode(tmp, fp, dst);
    }

    /**
     * Fills the holes: off pixels that no 4-connected path of off pixels links to the image border become on
     * ({@code scipy.ndimage.binary_fill_holes} with its default structure).
     */
    public static Mask fillHoles(Mask src, Mask dst) {
        Objects.requireNonNull(src, "src");
        int w = src.width;
        int h = src.height;
        dst = output(src, dst);
        // outside[i] = 1 for off pixels reached from the border.
        byte[] outside = new byte[w * h];
        int[] stack = new int[w * h];
        int top = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if ((x == 0 || y == 0 || x == w - 1 || y == h - 1) && !src.unsafe_get(x, y)) {
                    outside[y * w + x] = 1;
                    stack[top++] = y * w + x;
                }
            }
        }
        while (top > 0) {
            int p = stack[--top];
            int x = p % w;
            int y = p / w;
            if (x > 0) {
                top = visit(src, outside, stack, top, x - 1, y, w);
            }
            if (x < w - 1) {
                top = visit(src, outside, stack, top, x + 1, y, w);
            }
            if (y > 0) {
                top = visit(src, outside, stack, top, x, y - 1, w);
            }
            if (y < h - 1) {
                top = visit(src, outside, stack, top, x, y + 1, w);
            }
        }
        for (int y = 0; y < h; y++) {
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < w; x++) {
                dst.data[d + x] = (byte) (1 - outside[y * w + x]);
            }
        }
        return dst;
    }

    private static int visit(Mask src, byte[] outside, int[] stack, int top, int x, int y, int w) {
        int q = y * w + x;
        if (outside[q] == 0 && !src.unsafe_get(x, y)) {
            outside[q] = 1;
            stack[top++] = q;
        }
        return top;
    }

    private static Mask output(Mask src, Mask dst) {
        if (dst == src) {
            throw new IllegalArgumentException("the output must not be the input mask");
        }
        return ImageBase.output(dst, src.width, src.height, Mask::new);
    }

    private static Mask apply(Mask src, Footprint fp, Mask dst, boolean erode) {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(fp, "footprint");
        int w = src.width;
        int h = src.height;
        dst = output(src, dst);
        // prefix[y*(w+1) + x] = on pixels in row y before column x.
        int[] prefix = new int[h * (w + 1)];
        for (int y = 0; y < h; y++) {
            int s = src.startIndex + y * src.stride;
            int b = y * (w + 1);
            for (int x = 0; x < w; x++) {
                prefix[b + x + 1] = prefix[b + x] + (src.data[s + x] != 0 ? 1 : 0);
            }
        }
        int r = fp.radius();
        for (int y = 0; y < h; y++) {
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < w; x++) {
                boolean result = erode;
                for (int dy = -r; dy <= r; dy++) {
                    int yy = y + dy;
                    if (yy < 0 || yy >= h) {
                        continue;
                    }
                    int hw = fp.halfWidth(dy);
                    int x0 = Math.max(0, x - hw);
                    int x1 = Math.min(w, x + hw + 1);
                    int b = yy * (w + 1);
                    int on = prefix[b + x1] - prefix[b + x0];
                    if (erode ? on < x1 - x0 : on > 0) {
                        result = !erode;
                        break;
                    }
                }
                dst.data[d + x] = (byte) (result ? 1 : 0);
            }
        }
        return dst;
    }
}
