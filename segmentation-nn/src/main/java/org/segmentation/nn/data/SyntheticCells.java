package org.segmentation.nn.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.PlanarF32;

/**
 * Synthetic fluorescence-like images of touching cells, the test problem of the U-Net's instance-separation
 * task: textured ellipses, many touching or overlapping a neighbour, under blur, noise and uneven
 * illumination, with exact ground truth.
 *
 * <p>Where ellipses overlap, a pixel belongs to the cell in whose ellipse it lies deepest (smallest normalised
 * radius), so overlapping cells meet along a shared border instead of merging; every cell is one 4-connected
 * region. The outputs are an instance map (0 background, cells 1..n), the foreground mask, and the 3-class
 * target {@link #BACKGROUND}, {@link #INTERIOR}, {@link #BOUNDARY} of {@link #threeClassTarget}. A seed
 * determines everything.
 */
public final class SyntheticCells {
    /** 3-class target label of pixels outside every cell. */
    public static final int BACKGROUND = 0;
    /** 3-class target label of cell pixels whose four neighbours belong to the same cell. */
    public static final int INTERIOR = 1;
    /** 3-class target label of cell pixels with a four-neighbour in another cell or the background. */
    public static final int BOUNDARY = 2;

    /**
     * Generator settings.
     *
     * @param width image width in pixels
     * @param height image height in pixels
     * @param minCells fewest cells attempted (placement may drop a cell that finds no free spot)
     * @param maxCells most cells attempted
     * @param touchingFraction probability that a cell is placed against an already placed one, in [0, 1]
     * @param blurSigma standard deviation in pixels of the Gaussian blur, 0 for none
     * @param noiseSigma standard deviation of the additive Gaussian noise, on the [0, 1] intensity scale
     * @param illumination strength of the smooth illumination gradient, in [0, 1): intensities are multiplied
     *     by a linear ramp between {@code 1 - illumination} and {@code 1 + illumination}
     */
    public record Config(int width, int height, int minCells, int maxCells, double touchingFraction,
            double blurSigma, double noiseSigma, double illumination) {
        /** @throws IllegalArgumentException if a value is out of range (the message names it) */
        public Config {
            ImageBase.checkedSize(width, height, 1);
            if (width < 16 || height < 16) {
                throw new IllegalArgumentException("images must be at least 16x16, got " + width + "x" + height);
            }
            if (minCells < 1 || maxCells < minCells) {
                throw new IllegalArgumentException("need 1 <= minCells <= maxCells, got " + minCells + ".."
                        + maxCells);
            }
            if (!(touchingFraction >= 0 && touchingFraction <= 1)) {
                throw new IllegalArgumentException("touchingFraction must be in [0, 1], got " + touchingFraction);
            }
            if (!(blurSigma >= 0 && blurSigma < 50) || !(noiseSigma >= 0 && noiseSigma < 1)) {
                throw new IllegalArgumentException("blurSigma must be in [0, 50) and noiseSigma in [0, 1), got "
                        + blurSigma + " and " + noiseSigma);
            }
            if (!(illumination >= 0 && illumination < 1)) {
                throw new IllegalArgumentException("illumination must be in [0, 1), got " + illumination);
            }
        }

        /** 128x128 images with 5 to 20 cells, half placed touching, blur 1 px, noise 0.03, illumination 0.3. */
        public static Config defaults() {
            return new Config(128, 128, 5, 20, 0.5, 1.0, 0.03, 0.3);
        }
    }

    /**
     * One generated image and its ground truth.
     *
     * @param image one channel, intensities in [0, 1]
     * @param instances 0 background, cells 1..{@code count}
     * @param foreground the pixels of all cells
     * @param threeClass {@link #BACKGROUND}, {@link #INTERIOR} or {@link #BOUNDARY} per pixel
     * @param count number of cells
     */
    public record Cells(PlanarF32 image, LabelMap instances, Mask foreground, LabelMap threeClass, int count) {
        /** The image with the 3-class target and the instance map, for training. */
        public Sample toSample() {
            return new Sample(image, threeClass, instances);
        }

        /** The image with a 2-class target (background 0, cell 1) and the instance map, for instance models. */
        public Sample toInstanceSample() {
            LabelMap cell = new LabelMap(instances.width, instances.height);
            for (int y = 0; y < instances.height; y++) {
                for (int x = 0; x < instances.width; x++) {
                    cell.unsafe_set(x, y, instances.unsafe_get(x, y) > 0 ? 1 : 0);
                }
            }
            return new Sample(image, cell, instances);
        }
    }

    private final Config config;

    /** A generator with the given settings. */
    public SyntheticCells(Config config) {
        this.config = config;
    }

    /** The settings. */
    public Config config() {
        return config;
    }

    /** {@code n} images, image {@code i} generated from seed {@code (seed, i)}, as a 3-class dataset. */
    public InMemoryDataset dataset(int n, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("dataset size must be at least 1, got " + n);
        }
        List<Sample> samples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            samples.add(generate(seed, i).toSample());
        }
        return new InMemoryDataset(samples, 3);
    }

    /**
     * The images of {@link #dataset dataset(n, seed)} as a 2-class instance dataset (background, cell; each cell
     * its own instance), what a Mask R-CNN trains on.
     */
    public InMemoryDataset instanceDataset(int n, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("dataset size must be at least 1, got " + n);
        }
        List<Sample> samples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            samples.add(generate(seed, i).toInstanceSample());
        }
        return new InMemoryDataset(samples, 2);
    }

    /**
     * Image {@code i} of {@link #dataset dataset(n, seed)}, with its instances, for scoring a model trained or
     * validated on that dataset.
     */
    public Cells generate(long seed, int i) {
        return generate(Seeds.mix(seed, i));
    }

    /** One image; the same seed always gives the same image. */
    public Cells generate(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int w = config.width();
        int h = config.height();
        int n = config.minCells() + rng.nextInt(config.maxCells() - config.minCells() + 1);
        double rMin = 0.04 * Math.min(w, h);
        double rMax = 0.09 * Math.min(w, h);

        List<double[]> cells = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            double a = rMin + rng.nextDouble() * (rMax - rMin);
            double b = a * (0.6 + 0.4 * rng.nextDouble());
            double theta = rng.nextDouble() * Math.PI;
            for (int attempt = 0; attempt < 50; attempt++) {
                double cx;
                double cy;
                if (!cells.isEmpty() && rng.nextDouble() < config.touchingFraction()) {
                    // Against a placed cell: centre distance a bit below the sum of mean radii, so they overlap.
                    double[] other = cells.get(rng.nextInt(cells.size()));
                    double phi = rng.nextDouble() * 2 * Math.PI;
                    double dist = (0.5 * (a + b) + 0.5 * (other[2] + other[3])) * (0.75 + 0.2 * rng.nextDouble());
                    cx = other[0] + dist * Math.cos(phi);
                    cy = other[1] + dist * Math.sin(phi);
                } else {
                    cx = a + rng.nextDouble() * (w - 2 * a);
                    cy = a + rng.nextDouble() * (h - 2 * a);
                }
                if (cx < b || cy < b || cx > w - 1 - b || cy > h - 1 - b || insideAny(cells, cx, cy, 1.1)) {
                    continue;
                }
                // {centre x, centre y, semi-axis a, semi-axis b, brightness, cos(theta), sin(theta)}
                cells.add(new double[] {cx, cy, a, b, 0.45 + 0.4 * rng.nextDouble(), Math.cos(theta),
                    Math.sin(theta)});
                break;
            }
        }

        // Owner of each pixel: the cell with the smallest normalised radius r <= 1.
        float[] best = new float[w * h];
        int[] owner = new int[w * h];
        Arrays.fill(best, Float.MAX_VALUE);
        for (int k = 0; k < cells.size(); k++) {
            double[] c = cells.get(k);
            int x0 = Math.max(0, (int) Math.floor(c[0] - c[2]));
            int x1 = Math.min(w - 1, (int) Math.ceil(c[0] + c[2]));
            int y0 = Math.max(0, (int) Math.floor(c[1] - c[2]));
            int y1 = Math.min(h - 1, (int) Math.ceil(c[1] + c[2]));
            for (int y = y0; y <= y1; y++) {
                for (int x = x0; x <= x1; x++) {
                    float r = (float) normalisedRadius(c, x, y);
                    int i = y * w + x;
                    if (r <= 1f && r < best[i]) {
                        best[i] = r;
                        owner[i] = k + 1;
                    }
                }
            }
        }
        keepLargestComponents(owner, w, h, cells.size());
        // Cells that lost every pixel to deeper neighbours are dropped; the rest are numbered 1..count.
        int[] newId = new int[cells.size() + 1];
        for (int v : owner) {
            newId[v] = v == 0 ? 0 : 1;
        }
        int count = 0;
        for (int k = 1; k <= cells.size(); k++) {
            newId[k] = newId[k] == 0 ? 0 : ++count;
        }
        LabelMap instances = new LabelMap(w, h);
        Mask foreground = new Mask(w, h);
        for (int i = 0; i < w * h; i++) {
            instances.data[i] = newId[owner[i]];
            foreground.data[i] = (byte) (owner[i] != 0 ? 1 : 0);
        }
        LabelMap threeClass = threeClassTarget(instances, null);

        PlanarF32 image = new PlanarF32(1, w, h);
        render(image.data, w, h, cells, owner, best, rng);
        return new Cells(image, instances, foreground, threeClass, count);
    }

    /**
     * Where three or more ellipses overlap, the deepest-owner rule can cut a cell in pieces (about 0.2% of cells
     * at the defaults); the smaller pieces become background so that every instance is 4-connected.
     */
    private static void keepLargestComponents(int[] owner, int w, int h, int numCells) {
        int[] component = new int[w * h];
        int[] queue = new int[w * h];
        int[] bestSize = new int[numCells + 1];
        int[] bestComponent = new int[numCells + 1];
        int next = 0;
        for (int start = 0; start < w * h; start++) {
            int id = owner[start];
            if (id == 0 || component[start] != 0) {
                continue;
            }
            int label = ++next;
            int head = 0;
            int tail = 0;
            queue[tail++] = start;
            component[start] = label;
            while (head < tail) {
                int p = queue[head++];
                int x = p % w;
                int y = p / w;
                if (x > 0 && owner[p - 1] == id && component[p - 1] == 0) {
                    component[p - 1] = label;
                    queue[tail++] = p - 1;
                }
                if (x < w - 1 && owner[p + 1] == id && component[p + 1] == 0) {
                    component[p + 1] = label;
                    queue[tail++] = p + 1;
                }
                if (y > 0 && owner[p - w] == id && component[p - w] == 0) {
                    component[p - w] = label;
                    queue[tail++] = p - w;
                }
                if (y < h - 1 && owner[p + w] == id && component[p + w] == 0) {
                    component[p + w] = label;
                    queue[tail++] = p + w;
                }
            }
            if (tail > bestSize[id]) {
                bestSize[id] = tail;
                bestComponent[id] = label;
            }
        }
        for (int i = 0; i < w * h; i++) {
            if (owner[i] != 0 && component[i] != bestComponent[owner[i]]) {
                owner[i] = 0;
            }
        }
    }

    private static boolean insideAny(List<double[]> cells, double x, double y, double margin) {
        for (double[] c : cells) {
            if (normalisedRadius(c, x, y) < margin) {
                return true;
            }
        }
        return false;
    }

    /** {@code sqrt((u/a)^2 + (v/b)^2)} for the offset {@code (u, v)} of {@code (x, y)} in the cell's axes. */
    private static double normalisedRadius(double[] c, double x, double y) {
        double dx = x - c[0];
        double dy = y - c[1];
        double cos = c[5];
        double sin = c[6];
        double u = (dx * cos + dy * sin) / c[2];
        double v = (-dx * sin + dy * cos) / c[3];
        return Math.sqrt(u * u + v * v);
    }

    private void render(float[] img, int w, int h, List<double[]> cells, int[] owner, float[] radius,
            SplittableRandom rng) {
        // Granular texture: value noise on a 4-pixel lattice, bilinearly interpolated.
        int step = 4;
        int gw = w / step + 2;
        int gh = h / step + 2;
        float[] lattice = new float[gw * gh];
        for (int i = 0; i < lattice.length; i++) {
            lattice[i] = (float) (rng.nextDouble() - 0.5);
        }
        double background = 0.08 + 0.06 * rng.nextDouble();
        double gx = 2 * rng.nextDouble() - 1;
        double gy = 2 * rng.nextDouble() - 1;
        double norm = Math.max(1e-9, Math.abs(gx) + Math.abs(gy));
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                double v = background;
                if (owner[i] != 0) {
                    double[] c = cells.get(owner[i] - 1);
                    double r = radius[i];
                    double fx = (double) x / step;
                    double fy = (double) y / step;
                    int lx = (int) fx;
                    int ly = (int) fy;
                    double tx = fx - lx;
                    double ty = fy - ly;
                    double tex = (1 - ty) * ((1 - tx) * lattice[ly * gw + lx] + tx * lattice[ly * gw + lx + 1])
                            + ty * ((1 - tx) * lattice[(ly + 1) * gw + lx] + tx * lattice[(ly + 1) * gw + lx + 1]);
                    // A darker nucleus, a brighter membrane near the rim, and the granular texture.
                    double shade = r < 0.45 ? 0.7 : r > 0.85 ? 1.15 : 1.0;
                    v = c[4] * shade * (1 + 0.35 * tex);
                }
                double ramp = (gx * ((double) x / (w - 1) - 0.5) + gy * ((double) y / (h - 1) - 0.5)) / norm;
                img[i] = (float) (v * (1 + 2 * config.illumination() * ramp));
            }
        }
        if (config.blurSigma() > 0) {
            gaussianBlur(img, w, h, config.blurSigma());
        }
        for (int i = 0; i < img.length; i++) {
            double v = img[i] + config.noiseSigma() * rng.nextGaussian();
            img[i] = (float) Math.min(1.0, Math.max(0.0, v));
        }
    }

    /** Separable Gaussian blur in place, truncated at 3 sigma, mirrored at the borders. */
    private static void gaussianBlur(float[] img, int w, int h, double sigma) {
        int radius = (int) Math.ceil(3 * sigma);
        double[] kernel = new double[2 * radius + 1];
        double sum = 0;
        for (int k = -radius; k <= radius; k++) {
            kernel[k + radius] = Math.exp(-0.5 * k * k / (sigma * sigma));
            sum += kernel[k + radius];
        }
        for (int k = 0; k < kernel.length; k++) {
            kernel[k] /= sum;
        }
        float[] tmp = new float[img.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double acc = 0;
                for (int k = -radius; k <= radius; k++) {
                    acc += kernel[k + radius] * img[y * w + ElasticDeformation.mirror(x + k, w)];
                }
                tmp[y * w + x] = (float) acc;
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double acc = 0;
                for (int k = -radius; k <= radius; k++) {
                    acc += kernel[k + radius] * tmp[ElasticDeformation.mirror(y + k, h) * w + x];
                }
                img[y * w + x] = (float) acc;
            }
        }
    }

    /**
     * The 3-class target of an instance map, the usual way to let a semantic network separate touching
     * objects: {@link #BACKGROUND} where the instance is 0, {@link #BOUNDARY} on instance pixels with a
     * four-neighbour inside the image that has another label (another instance or the background), and
     * {@link #INTERIOR} on the other instance pixels. The image border is not a boundary. Interiors of two
     * different instances are therefore never 8-adjacent.
     *
     * @param dst output, reshaped if needed, or {@code null}
     * @return {@code dst} or a new map
     */
    public static LabelMap threeClassTarget(LabelMap instances, LabelMap dst) {
        int w = instances.width;
        int h = instances.height;
        dst = ImageBase.output(dst, w, h, LabelMap::new);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = instances.unsafe_get(x, y);
                int out = BACKGROUND;
                if (v != 0) {
                    boolean edge = (x > 0 && instances.unsafe_get(x - 1, y) != v)
                            || (x < w - 1 && instances.unsafe_get(x + 1, y) != v)
                            || (y > 0 && instances.unsafe_get(x, y - 1) != v)
                            || (y < h - 1 && instances.unsafe_get(x, y + 1) != v);
                    out = edge ? BOUNDARY : INTERIOR;
                }
                dst.unsafe_set(x, y, out);
            }
        }
        return dst;
    }
}
