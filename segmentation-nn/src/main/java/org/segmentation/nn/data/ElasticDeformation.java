package org.segmentation.nn.data;

import java.util.random.RandomGenerator;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;

/**
 * The elastic deformation of the U-Net paper (Ronneberger, Fischer and Brox, "U-Net: Convolutional Networks for
 * Biomedical Image Segmentation", MICCAI 2015, section 3.1): random displacement vectors on a coarse grid
 * (3x3 in the paper), each component drawn from a Gaussian of standard deviation {@code sigma} pixels (10 in
 * the paper), are interpolated to a smooth per-pixel displacement field with bicubic (Catmull-Rom)
 * interpolation.
 *
 * <p>Output pixel {@code (x, y)} samples the input at {@code (x + dx(x, y), y + dy(x, y))}: the image with the
 * configured {@link Interpolation}, the target and instance maps with nearest neighbour, so labels are moved
 * and never blended and the output only holds labels present in the input. Positions outside the input are
 * mirrored back (without repeating the edge pixel), as the paper extrapolates its tiles.
 */
public final class ElasticDeformation implements Augmentation {
    /** How the image is resampled; labels always use nearest neighbour. */
    public enum Interpolation {
        /** Linear in x and y: never overshoots the input range. */
        BILINEAR,
        /** Catmull-Rom cubic in x and y: sharper, may overshoot slightly at edges. */
        BICUBIC
    }

    private final int gridSize;
    private final double sigma;
    private final Interpolation interpolation;

    /**
     * @param gridSize control points per axis, spread evenly from the first to the last pixel; at least 2
     * @param sigma standard deviation in pixels of each displacement component at the control points
     * @param interpolation how the image is resampled
     * @throws IllegalArgumentException if {@code gridSize < 2} or {@code sigma} is negative or not finite
     */
    public ElasticDeformation(int gridSize, double sigma, Interpolation interpolation) {
        if (gridSize < 2) {
            throw new IllegalArgumentException("gridSize must be at least 2, got " + gridSize);
        }
        if (!(sigma >= 0 && Double.isFinite(sigma))) {
            throw new IllegalArgumentException("sigma must be finite and non-negative, got " + sigma);
        }
        if (interpolation == null) {
            throw new NullPointerException("interpolation");
        }
        this.gridSize = gridSize;
        this.sigma = sigma;
        this.interpolation = interpolation;
    }

    /** The paper's setting: a 3x3 grid, 10 px standard deviation, bicubic image interpolation. */
    public static ElasticDeformation paperDefault() {
        return new ElasticDeformation(3, 10.0, Interpolation.BICUBIC);
    }

    @Override
    public Sample apply(Sample sample, RandomGenerator rng) {
        int g = gridSize;
        float[] coarseX = new float[g * g];
        float[] coarseY = new float[g * g];
        for (int i = 0; i < g * g; i++) {
            coarseX[i] = (float) (sigma * rng.nextGaussian());
            coarseY[i] = (float) (sigma * rng.nextGaussian());
        }
        int w = sample.width();
        int h = sample.height();
        return warp(sample, denseField(coarseX, g, w, h), denseField(coarseY, g, w, h));
    }

    /**
     * Interpolates a {@code g x g} grid of values (row-major; control point {@code (i, j)} sits at pixel
     * {@code (i*(w-1)/(g-1), j*(h-1)/(g-1))}) to a dense row-major {@code w x h} field with separable Catmull-Rom
     * interpolation, which passes exactly through the control values.
     */
    static float[] denseField(float[] coarse, int g, int w, int h) {
        float[] rows = new float[g * w];
        for (int j = 0; j < g; j++) {
            for (int x = 0; x < w; x++) {
                rows[j * w + x] = cubicAlong(coarse, j * g, 1, g, w == 1 ? 0 : x * (g - 1.0) / (w - 1));
            }
        }
        float[] field = new float[w * h];
        for (int y = 0; y < h; y++) {
            double v = h == 1 ? 0 : y * (g - 1.0) / (h - 1);
            for (int x = 0; x < w; x++) {
                field[y * w + x] = cubicAlong(rows, x, w, g, v);
            }
        }
        return field;
    }

    /** Catmull-Rom through {@code n} values {@code a[start + k*step]} at position {@code u} in [0, n-1]. */
    private static float cubicAlong(float[] a, int start, int step, int n, double u) {
        int i = Math.min((int) Math.floor(u), n - 2);
        double t = u - i;
        double[] wts = catmullRom(t);
        double sum = 0;
        for (int k = -1; k <= 2; k++) {
            int idx = Math.min(Math.max(i + k, 0), n - 1);
            sum += wts[k + 1] * a[start + idx * step];
        }
        return (float) sum;
    }

    /** Catmull-Rom (Keys cubic, a = -1/2) weights of the samples at offsets -1, 0, 1, 2 for fraction t. */
    private static double[] catmullRom(double t) {
        double t2 = t * t;
        double t3 = t2 * t;
        return new double[] {
            0.5 * (-t3 + 2 * t2 - t),
            0.5 * (3 * t3 - 5 * t2 + 2),
            0.5 * (-3 * t3 + 4 * t2 + t),
            0.5 * (t3 - t2)};
    }

    /**
     * Resamples a sample along a displacement field: output {@code (x, y)} reads the input at
     * {@code (x + dx[y*w + x], y + dy[y*w + x])}.
     *
     * @throws IllegalArgumentException if a field's length is not the sample's pixel count
     */
    public Sample warp(Sample sample, float[] dx, float[] dy) {
        int w = sample.width();
        int h = sample.height();
        if (dx.length != w * h || dy.length != w * h) {
            throw new IllegalArgumentException("displacement fields have " + dx.length + " and " + dy.length
                    + " values; the sample has " + w + "x" + h + " pixels");
        }
        PlanarF32 src = sample.image();
        PlanarF32 img = new PlanarF32(src.channels, w, h);
        for (int c = 0; c < src.channels; c++) {
            int plane = src.startIndex + c * src.planeStride;
            int out = c * img.planeStride;
            for (int y = 0, i = 0; y < h; y++) {
                for (int x = 0; x < w; x++, i++) {
                    double fx = x + dx[i];
                    double fy = y + dy[i];
                    img.data[out + i] = interpolation == Interpolation.BILINEAR
                            ? bilinear(src, plane, fx, fy) : bicubic(src, plane, fx, fy);
                }
            }
        }
        LabelMap target = nearest(sample.target(), dx, dy);
        LabelMap instances = sample.instances() == null ? null : nearest(sample.instances(), dx, dy);
        return new Sample(img, target, instances);
    }

    private static float bilinear(PlanarF32 src, int plane, double fx, double fy) {
        int x0 = (int) Math.floor(fx);
        int y0 = (int) Math.floor(fy);
        double tx = fx - x0;
        double ty = fy - y0;
        int xa = mirror(x0, src.width);
        int xb = mirror(x0 + 1, src.width);
        int ra = plane + mirror(y0, src.height) * src.stride;
        int rb = plane + mirror(y0 + 1, src.height) * src.stride;
        double top = (1 - tx) * src.data[ra + xa] + tx * src.data[ra + xb];
        double bottom = (1 - tx) * src.data[rb + xa] + tx * src.data[rb + xb];
        return (float) ((1 - ty) * top + ty * bottom);
    }

    private static float bicubic(PlanarF32 src, int plane, double fx, double fy) {
        int x0 = (int) Math.floor(fx);
        int y0 = (int) Math.floor(fy);
        double[] wx = catmullRom(fx - x0);
        double[] wy = catmullRom(fy - y0);
        double sum = 0;
        for (int j = 0; j < 4; j++) {
            int row = plane + mirror(y0 + j - 1, src.height) * src.stride;
            double r = 0;
            for (int i = 0; i < 4; i++) {
                r += wx[i] * src.data[row + mirror(x0 + i - 1, src.width)];
            }
            sum += wy[j] * r;
        }
        return (float) sum;
    }

    private static LabelMap nearest(LabelMap src, float[] dx, float[] dy) {
        int w = src.width;
        int h = src.height;
        LabelMap out = new LabelMap(w, h);
        for (int y = 0, i = 0; y < h; y++) {
            for (int x = 0; x < w; x++, i++) {
                int sx = mirror((int) Math.floor(x + dx[i] + 0.5), w);
                int sy = mirror((int) Math.floor(y + dy[i] + 0.5), h);
                out.data[i] = src.data[src.startIndex + sy * src.stride + sx];
            }
        }
        return out;
    }

    /** Reflects an index into {@code 0..n-1} without repeating the edge: -1 maps to 1, n to n-2. */
    static int mirror(int i, int n) {
        if (n == 1) {
            return 0;
        }
        int period = 2 * (n - 1);
        int m = Math.floorMod(i, period);
        return m < n ? m : period - m;
    }
}
