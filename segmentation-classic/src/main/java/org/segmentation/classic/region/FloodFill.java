package org.segmentation.classic.region;

import java.util.Arrays;
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
 * <p>Method: a scan-line flood from each seed (Heckbert 1990) that tests a pixel's range, limiting mask and
 * visited mark only when it reaches it, so the cost grows with the filled area and its border, not with the image
 * (only clearing {@code dst} touches every pixel). Reuses its buffers between calls; not thread-safe.
 */
public final class FloodFill {
    private static final int U8 = 0;
    private static final int U16 = 1;
    private static final int F32 = 2;
    private static final int RGB = 3;

    private final FloodConfig config;
    private final boolean eight;
    /** Visited marks of the current seed, row-major with stride = width; all zero between seeds. */
    private byte[] work = new byte[0];
    private int[] stack = new int[6 * 64];
    /** Runs filled by the current seed: (y, first x, last x) triples. */
    private int[] runs = new int[96];
    private int runCount;

    // The image and range of the current seed: one array set, chosen by kind.
    private int kind;
    private byte[] u8;
    private short[] u16;
    private float[] f32;
    private final byte[] table = new byte[3 * 256];
    private int lo;
    private int hi;
    private double dlo;
    private double dhi;
    private int imgStart;
    private int imgStride;
    private byte[] lim;
    private int limStart;
    private int limStride;

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
        kind = U8;
        u8 = image.data;
        try {
            for (Pixel s : seeds) {
                int seed = image.unsafe_get(s.x(), s.y());
                int a = (int) Math.max(0, Math.ceil(seed - config.tolerance(0)));
                int b = (int) Math.min(255, Math.floor(seed + config.tolerance(0)));
                Arrays.fill(table, 0, 256, (byte) 0);
                for (int v = a; v <= b; v++) {
                    table[v] = 1;
                }
                fillSeed(s, dst, image.width, image.height);
            }
        } finally {
            release();
        }
        return dst;
    }

    /** Floods a 16-bit image; see {@link #process(GrayU8, List, Mask, Mask)}. */
    public Mask process(GrayU16 image, List<Pixel> seeds, Mask limit, Mask dst) {
        dst = begin(image, seeds, limit, dst);
        checkGray();
        kind = U16;
        u16 = image.data;
        try {
            for (Pixel s : seeds) {
                int seed = image.unsafe_get(s.x(), s.y());
                lo = (int) Math.ceil(seed - config.tolerance(0));
                hi = (int) Math.min(Integer.MAX_VALUE, Math.floor(seed + config.tolerance(0)));
                fillSeed(s, dst, image.width, image.height);
            }
        } finally {
            release();
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
        for (Pixel s : seeds) {
            if (Float.isNaN(image.unsafe_get(s.x(), s.y()))) {
                throw new IllegalArgumentException("seed " + s + " has value NaN");
            }
        }
        kind = F32;
        f32 = image.data;
        try {
            for (Pixel s : seeds) {
                double seed = image.unsafe_get(s.x(), s.y());
                dlo = seed - config.tolerance(0);
                dhi = seed + config.tolerance(0);
                fillSeed(s, dst, image.width, image.height);
            }
        } finally {
            release();
        }
        return dst;
    }

    /** Floods an RGB image with a tolerance per channel; see {@link #process(GrayU8, List, Mask, Mask)}. */
    public Mask process(RgbU8 image, List<Pixel> seeds, Mask limit, Mask dst) {
        dst = begin(image, seeds, limit, dst);
        kind = RGB;
        u8 = image.data;
        try {
            for (Pixel s : seeds) {
                int p = image.index(s.x(), s.y());
                // One 256-entry table per channel, each holding that channel's bit; a pixel joins when all three agree.
                Arrays.fill(table, (byte) 0);
                for (int ch = 0; ch < 3; ch++) {
                    int seed = image.data[p + ch] & 0xFF;
                    int a = (int) Math.max(0, Math.ceil(seed - config.tolerance(ch)));
                    int b = (int) Math.min(255, Math.floor(seed + config.tolerance(ch)));
                    for (int v = a; v <= b; v++) {
                        table[ch * 256 + v] = 1;
                    }
                }
                fillSeed(s, dst, image.width, image.height);
            }
        } finally {
            release();
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
        imgStart = image.startIndex;
        imgStride = image.stride;
        lim = limit == null ? null : limit.data;
        limStart = limit == null ? 0 : limit.startIndex;
        limStride = limit == null ? 0 : limit.stride;
        return dst.fill(false);
    }

    /** Drops the references to the caller's arrays so that this object does not keep them alive. */
    private void release() {
        u8 = null;
        u16 = null;
        f32 = null;
        lim = null;
    }

    /**
     * Whether pixel {@code x} of the row whose work, limit and image offsets are given may join the current fill:
     * not yet filled, inside the limiting mask and within range.
     */
    private boolean open(int wr, int lr, int ir, int x) {
        if (work[wr + x] != 0 || (lim != null && lim[lr + x] == 0)) {
            return false;
        }
        switch (kind) {
            case U8:
                return table[u8[ir + x] & 0xFF] != 0;
            case U16: {
                int v = u16[ir + x] & 0xFFFF;
                return v >= lo && v <= hi;
            }
            case F32: {
                float v = f32[ir + x];
                return v >= dlo && v <= dhi;
            }
            default: {
                int i = ir + 3 * x;
                return (table[u8[i] & 0xFF] & table[256 + (u8[i + 1] & 0xFF)] & table[512 + (u8[i + 2] & 0xFF)]) != 0;
            }
        }
    }

    /**
     * Floods from one seed by scan lines (Heckbert, "A Seed Fill Algorithm", Graphics Gems 1990), then sets the
     * filled runs in {@code dst} and clears their visited marks. A stack entry {@code (y, dy, x1, x2, pl, pr)} asks
     * to scan row {@code y} over {@code [x1, x2]}; its parent is the filled run {@code [pl, pr]} of row
     * {@code y - dy}. Each run found is filled, continues in direction {@code dy}, and turns back towards the
     * parent's row only over the parts of its neighbourhood that lie outside the parent run, so that a pixel is
     * tested about once rather than once per neighbouring run.
     */
    private void fillSeed(Pixel s, Mask dst, int w, int h) {
        int reach = eight ? 1 : 0;
        runCount = 0;
        int sy = s.y();
        int wr = sy * w;
        int lr = limStart + sy * limStride;
        int ir = imgStart + sy * imgStride;
        if (open(wr, lr, ir, s.x())) {
            int l = s.x();
            while (l > 0 && open(wr, lr, ir, l - 1)) {
                l--;
            }
            int r = right(wr, lr, ir, s.x(), w);
            fillRun(sy, l, r, w);
            int top = 0;
            top = push(top, sy + 1, 1, l - reach, r + reach, l, r, h);
            top = push(top, sy - 1, -1, l - reach, r + reach, l, r, h);
            while (top > 0) {
                top -= 6;
                int[] st = stack;
                int y = st[top];
                int dy = st[top + 1];
                int x = Math.max(0, st[top + 2]);
                int x2 = Math.min(w - 1, st[top + 3]);
                int pl = st[top + 4];
                int pr = st[top + 5];
                wr = y * w;
                lr = limStart + y * limStride;
                ir = imgStart + y * imgStride;
                while (x <= x2) {
                    if (!open(wr, lr, ir, x)) {
                        x++;
                        continue;
                    }
                    l = x;
                    while (l > 0 && open(wr, lr, ir, l - 1)) {
                        l--;
                    }
                    r = right(wr, lr, ir, x, w);
                    fillRun(y, l, r, w);
                    top = push(top, y + dy, dy, l - reach, r + reach, l, r, h);
                    if (l - reach < pl) {
                        top = push(top, y - dy, -dy, l - reach, pl - 1, l, r, h);
                    }
                    if (r + reach > pr) {
                        top = push(top, y - dy, -dy, pr + 1, r + reach, l, r, h);
                    }
                    x = r + 2;
                }
            }
        }
        byte[] c = work;
        for (int k = 0; k < runCount; k += 3) {
            int y = runs[k];
            int xl = runs[k + 1];
            int xr = runs[k + 2];
            int d = dst.startIndex + y * dst.stride;
            Arrays.fill(dst.data, d + xl, d + xr + 1, (byte) 1);
            Arrays.fill(c, y * w + xl, y * w + xr + 1, (byte) 0);
        }
    }

    /**
     * The last pixel of the open run that starts at the open pixel {@code x}. Most of the tests happen here, so the
     * common case, an 8-bit image without a limiting mask, gets a loop of its own.
     */
    private int right(int wr, int lr, int ir, int x, int w) {
        if (kind == U8 && lim == null) {
            byte[] c = work;
            byte[] d = u8;
            byte[] t = table;
            while (x < w - 1 && c[wr + x + 1] == 0 && t[d[ir + x + 1] & 0xFF] != 0) {
                x++;
            }
            return x;
        }
        while (x < w - 1 && open(wr, lr, ir, x + 1)) {
            x++;
        }
        return x;
    }

    /** Marks the run {@code [xl, xr]} of row {@code y} visited and records it. */
    private void fillRun(int y, int xl, int xr, int w) {
        Arrays.fill(work, y * w + xl, y * w + xr + 1, (byte) 1);
        if (runCount + 3 > runs.length) {
            runs = Arrays.copyOf(runs, runs.length * 2);
        }
        runs[runCount++] = y;
        runs[runCount++] = xl;
        runs[runCount++] = xr;
    }

    /** Pushes a scan of row {@code y} unless the row lies outside the image; returns the new top. */
    private int push(int top, int y, int dy, int x1, int x2, int pl, int pr, int h) {
        if (y < 0 || y >= h) {
            return top;
        }
        if (top + 6 > stack.length) {
            stack = Arrays.copyOf(stack, stack.length * 2);
        }
        int[] st = stack;
        st[top] = y;
        st[top + 1] = dy;
        st[top + 2] = x1;
        st[top + 3] = x2;
        st[top + 4] = pl;
        st[top + 5] = pr;
        return top + 6;
    }
}
