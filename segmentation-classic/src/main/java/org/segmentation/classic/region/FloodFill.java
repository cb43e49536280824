package org.segmentation.classic.region;

import java.util.List;
import java.util.Objects;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.RgbU8;

/**
 * Seeded flood fill with a fixed range: from each seed, the connected pixels whose value lies within the tolerance
 * of <em>that seed's</em> value (per channel for RGB, bounds included). The result is the union over the seeds.
 *
 * <p>This is {@code skimage.segmentation.flood(image, seed, tolerance=t, connectivity=1 or 2)} and
 * {@code cv2.floodFill(..., loDiff=t, upDiff=t, flags=4 or 8 | FLOODFILL_FIXED_RANGE)}, which agree with each
 * other. For integer images a fractional tolerance acts as its floor. An optional limiting mask confines the fill
 * to its on pixels (note: the opposite of OpenCV's mask, whose non-zero pixels block). A seed on a pixel that the
 * limiting mask excludes fills nothing. Float images: a NaN seed value is rejected; NaN pixels never join.
 *
 * <p>Method: the pixels within range are marked in one pass, then filled from the seed by a scan-line flood (Heckbert
 * 1990). Reuses its buffers between calls; not thread-safe.
 */
public final class FloodFill {
    private final FloodConfig config;
    private final boolean eight;
    private byte[] work = new byte[0];
    private int[] stack = new int[64];

    /** A flood fill with these settings. */
    public FloodFill(FloodConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.eight = config.connectivity() == Connectivity.EIGHT;
    }

    /** The settings. */
    public FloodConfig config() {
        return config;
    }

    /**
     * Floods an 8-bit image.
     *
     * @param seeds at least one seed inside the image
     * @param limit pixels the fill may reach, or null for all; not modified
     * @param dst output mask, or null to allocate; cleared first
     * @return {@code dst}, on for every filled pixel
     * @throws IllegalArgumentException for no seed, a seed outside the image or a mask of another shape
     */
    public Mask process(GrayU8 image, List<Pixel> seeds, Mask limit, Mask dst) {
        dst = begin(image, seeds, limit, dst);
        checkGray();
        int w = image.width;
        for (Pixel s : seeds) {
            int seed = image.unsafe_get(s.x(), s.y());
            int lo = (int) Math.max(0, Math.ceil(seed - config.tolerance(0)));
            int hi = (int) Math.min(255, Math.floor(seed + config.tolerance(0)));
            byte[] inRange = new byte[256];
            for (int v = lo; v <= hi; v++) {
                inRange[v] = 1;
            }
            byte[] c = work;
            for (int y = 0; y < image.height; y++) {
                int i = image.startIndex + y * image.stride;
                int o = y * w;
                for (int x = 0; x < w; x++) {
                    c[o + x] = inRange[image.data[i + x] & 0xFF];
                }
            }
            finishSeed(s, limit, dst, image.width, image.height);
        }
        return dst;
    }

    /** Floods a 16-bit image; see {@link #process(GrayU8, List, Mask, Mask)}. */
    public Mask process(GrayU16 image, List<Pixel> seeds, Mask limit, Mask dst) {
        dst = begin(image, seeds, limit, dst);
        checkGray();
        int w = image.width;
        for (Pixel s : seeds) {
            int seed = image.unsafe_get(s.x(), s.y());
            int lo = (int) Math.ceil(seed - config.tolerance(0));
            int hi = (int) Math.min(Integer.MAX_VALUE, Math.floor(seed + config.tolerance(0)));
            byte[] c = work;
            for (int y = 0; y < image.height; y++) {
                int i = image.startIndex + y * image.stride;
                int o = y * w;
                for (int x = 0; x < w; x++) {
                    int v = image.data[i + x] & 0xFFFF;
                    c[o + x] = (byte) (v >= lo && v <= hi ? 1 : 0);
                }
            }
            finishSeed(s, limit, dst, image.width, image.height);
        }
        return dst;
    }

    /**
     * Floods a float image; see {@link #process(GrayU8, List, Mask, Mask)}.
     *
     * @throws IllegalArgumentException also when a seed's value is NaN
     */
    public Mask process(GrayF32 image, List<Pixel> seeds, Mask limit, Mask dst) {
        dst = begin(image, seeds, limit, dst);
        checkGray();
        int w = image.width;
        for (Pixel s : seeds) {
            double seed = image.unsafe_get(s.x(), s.y());
            if (Double.isNaN(seed)) {
                throw new IllegalArgumentException("seed " + s + " has value NaN");
            }
            double lo = seed - config.tolerance(0);
            double hi = seed + config.tolerance(0);
            byte[] c = work;
            for (int y = 0; y < image.height; y++) {
                int i = image.startIndex + y * image.stride;
                int o = y * w;
                for (int x = 0; x < w; x++) {
                    float v = image.data[i + x];
                    c[o + x] = (byte) (v >= lo && v <= hi ? 1 : 0);
                }
            }
            finishSeed(s, limit, dst, image.width, image.height);
        }
        return dst;
    }

    /** Floods an RGB image with a tolerance per channel; see {@link #process(GrayU8, List, Mask, Mask)}. */
    public Mask process(RgbU8 image, List<Pixel> seeds, Mask limit, Mask dst) {
        dst = begin(image, seeds, limit, dst);
        int w = image.width;
        for (Pixel s : seeds) {
            int p = image.index(s.x(), s.y());
            // One 256-entry table per channel, each holding that channel's bit; a pixel joins when all three agree.
            byte[] bits = new byte[3 * 256];
            for (int ch = 0; ch < 3; ch++) {
                int seed = image.data[p + ch] & 0xFF;
                int lo = (int) Math.max(0, Math.ceil(seed - config.tolerance(ch)));
                int hi = (int) Math.min(255, Math.floor(seed + config.tolerance(ch)));
                for (int v = lo; v <= hi; v++) {
                    bits[ch * 256 + v] = 1;
                }
            }
            byte[] c = work;
            for (int y = 0; y < image.height; y++) {
                int i = image.startIndex + y * image.stride;
                int o = y * w;
                for (int x = 0; x < w; x++, i += 3) {
                    c[o + x] = (byte) (bits[image.data[i] & 0xFF] & bits[256 + (image.data[i + 1] & 0xFF)]
                            & bits[512 + (image.data[i + 2] & 0xFF)]);
                }
            }
            finishSeed(s, limit, dst, image.width, image.height);
        }
        return dst;
    }

    private void checkGray() {
        if (config.tolerance().length != 1) {
            throw new IllegalArgumentException("a gray image needs a single tolerance, got "
                    + config.tolerance().length);
        }
    }

    private Mask begin(ImageBase<?> image, List<Pixel> seeds, Mask limit, Mask dst) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(seeds, "seeds");
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("no seed given");
        }
        for (Pixel s : seeds) {
            if (!image.isInBounds(s.x(), s.y())) {
                throw new IllegalArgumentException("seed (" + s.x() + ", " + s.y() + ") is outside the "
                        + image.width + "x" + image.height + " image");
            }
        }
        if (limit != null) {
            image.checkSameShape(limit, "limiting mask");
        }
        int n = image.width * image.height;
        if (work.length < n) {
            work = new byte[n];
        }
        dst = ImageBase.output(dst, image.width, image.height, Mask::new);
        return dst.fill(false);
    }

    /** Applies the limiting mask to the in-range marks, floods from the seed and ORs the fill into {@code dst}. */
    private void finishSeed(Pixel s, Mask limit, Mask dst, int w, int h) {
        byte[] c = work;
        if (limit != null) {
            for (int y = 0; y < h; y++) {
                int m = limit.startIndex + y * limit.stride;
                int o = y * w;
                for (int x = 0; x < w; x++) {
                    c[o + x] &= limit.data[m + x];
                }
            }
        }
        if (c[s.y() * w + s.x()] == 1) {
            scanlineFill(c, w, h, s.x(), s.y());
        }
        for (int y = 0; y < h; y++) {
            int d = dst.startIndex + y * dst.stride;
            int o = y * w;
            for (int x = 0; x < w; x++) {
                dst.data[d + x] |= (byte) (c[o + x] >> 1);
            }
        }
    }

    /**
     * Marks 2 every pixel marked 1 that is connected to {@code (sx, sy)} through pixels marked 1. Each stack entry
     * is the index of one pixel of a run still to be filled.
     */
    private void scanlineFill(byte[] c, int w, int h, int sx, int sy) {
        int top = 0;
        stack[top++] = sy * w + sx;
        int reach = eight ? 1 : 0;
        while (top > 0) {
            int p = stack[--top];
            if (c[p] != 1) {
                continue;
            }
            int y = p / w;
            int row = y * w;
            int x = p - row;
            int xl = x;
            while (xl > 0 && c[row + xl - 1] == 1) {
                xl--;
            }
            int xr = x;
            while (xr < w - 1 && c[row + xr + 1] == 1) {
                xr++;
            }
            for (int k = xl; k <= xr; k++) {
                c[row + k] = 2;
            }
            int lo = Math.max(0, xl - reach);
            int hi = Math.min(w - 1, xr + reach);
            for (int ny = y - 1; ny <= y + 1; ny += 2) {
                if (ny < 0 || ny >= h) {
                    continue;
                }
                int nrow = ny * w;
                boolean inRun = false;
                for (int k = lo; k <= hi; k++) {
                    if (c[nrow + k] == 1) {
                        if (!inRun) {
                            if (top == stack.length) {
                                stack = java.util.Arrays.copyOf(stack, top * 2);
                            }
                            stack[top++] = nrow + k;
                            inRun = true;
                        }
                    } else {
                        inRun = false;
                    }
                }
            }
        }
    }
}
