package org.segmentation.core.ops;

import java.util.Objects;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;

/** Image gradients. */
public final class GradientOps {
    private GradientOps() {
    }

    /**
     * The Sobel gradient magnitude {@code round(sqrt(gx^2 + gy^2) / 4)} clipped to 255. The 3x3 kernels
     * {@code [1 2 1]^T [-1 0 1]} and its transpose weigh 4 on each side; dividing by 4 is the normalisation of
     * {@code skimage.filters.sobel}, under which a ramp rising {@code s} per pixel has magnitude {@code 2s}. Edge
     * pixels are replicated.
     *
     * @param src the image; not modified
     * @param dst output, reshaped to {@code src}'s size if needed, or null to allocate; must not be {@code src}
     * @return the magnitude
     * @throws IllegalArgumentException if {@code dst} is {@code src}
     */
    public static GrayU8 sobelMagnitude(GrayU8 src, GrayU8 dst) {
        Objects.requireNonNull(src, "src");
        if (dst == src) {
            throw new IllegalArgumentException("sobelMagnitude cannot write into its input");
        }
        int w = src.width;
        int h = src.height;
        dst = ImageBase.output(dst, w, h, GrayU8::new);
        byte[] d = src.data;
        for (int y = 0; y < h; y++) {
            int ym = src.startIndex + Math.max(y - 1, 0) * src.stride;
            int y0 = src.startIndex + y * src.stride;
            int yp = src.startIndex + Math.min(y + 1, h - 1) * src.stride;
            int out = dst.startIndex + y * dst.stride;
            for (int x = 0; x < w; x++) {
                int xm = Math.max(x - 1, 0);
                int xp = Math.min(x + 1, w - 1);
                int gx = ((d[yp + xp] & 0xFF) + 2 * (d[y0 + xp] & 0xFF) + (d[ym + xp] & 0xFF))
                        - ((d[yp + xm] & 0xFF) + 2 * (d[y0 + xm] & 0xFF) + (d[ym + xm] & 0xFF));
                int gy = ((d[yp + xm] & 0xFF) + 2 * (d[yp + x] & 0xFF) + (d[yp + xp] & 0xFF))
                        - ((d[ym + xm] & 0xFF) + 2 * (d[ym + x] & 0xFF) + (d[ym + xp] & 0xFF));
                long v = Math.round(Math.sqrt((double) gx * gx + (double) gy * gy) / 4.0);
                dst.data[out + x] = (byte) Math.min(v, 255);
            }
        }
        return dst;
    }
}
