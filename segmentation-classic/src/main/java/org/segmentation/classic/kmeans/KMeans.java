package org.segmentation.classic.kmeans;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.image.RgbU8;

/**
 * k-means clustering: k-means++ seeding (D. Arthur and S. Vassilvitskii, "k-means++: The Advantages of Careful
 * Seeding", SODA 2007), then Lloyd iterations until no centre moves more than {@code epsilon} or
 * {@code maxIterations} is reached; {@code attempts} independent restarts, keeping the lowest inertia (the first
 * on ties). A cluster left empty by an iteration is re-seeded with the point farthest from its own centre (taken
 * from a cluster of at least two points), as OpenCV does.
 *
 * <p>Determinism: one {@link Random} seeded with {@code seed} drives every attempt, and the points are processed in
 * fixed blocks whose partial sums are combined in block order, so the result depends on the seed and the input
 * only, not on {@code parallelism} (the number of threads assigning points to centres, a pool created per call).
 *
 * <p>Input: any {@code (n, dim)} feature matrix ({@link #cluster}), or an image's pixel colours, optionally with
 * their coordinates times a spatial weight ({@link #segment}). Features must be finite; NaN or infinite values are
 * rejected. Not thread-safe.
 */
public final class KMeans {
    /** Points per block: the unit of parallel work and of deterministic summation. */
    private static final int BLOCK = 8192;

    private final KMeansConfig config;

    /** k-means with these settings. */
    public KMeans(KMeansConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** The settings. */
    public KMeansConfig config() {
        return config;
    }

    /**
     * Clusters an RGB image's pixels by colour, and by position if {@code spatialWeight > 0}.
     *
     * @param space colour features
     * @param spatialWeight factor applied to the pixel coordinates {@code (x, y)} appended as two more features;
     *     0 for colour only
     * @param dst output labels (cluster + 1, so 1..k), or null to allocate
     * @throws IllegalArgumentException if {@code k} exceeds the pixel count or the weight is negative or not finite
     */
    public KMeansSegmentation segment(RgbU8 image, FeatureSpace space, double spatialWeight, LabelMap dst) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(space, "space");
        checkWeight(spatialWeight);
        int w = image.width;
        int h = image.height;
        int colour = space == FeatureSpace.GRAY ? 1 : 3;
        int dim = colour + (spatialWeight > 0 ? 2 : 0);
        float[] f = new float[w * h * dim];
        PlanarF32 lab = space == FeatureSpace.LAB ? ConvertImage.rgbToLab(image, null) : null;
        for (int y = 0; y < h; y++) {
            int s = image.startIndex + y * image.stride;
            for (int x = 0; x < w; x++, s += 3) {
                int o = (y * w + x) * dim;
                int r = image.data[s] & 0xFF;
                int g = image.data[s + 1] & 0xFF;
                int b = image.data[s + 2] & 0xFF;
                switch (space) {
                    case GRAY -> f[o] = ConvertImage.luma(r, g, b);
                    case RGB -> {
                        f[o] = r;
                        f[o + 1] = g;
                        f[o + 2] = b;
                    }
                    case LAB -> {
                        for (int c = 0; c < 3; c++) {
                            f[o + c] = lab.data[c * lab.planeStride + y * lab.stride + x];
                        }
                    }
                    default -> throw new AssertionError(space);
                }
                if (spatialWeight > 0) {
                    f[o + colour] = (float) (x * spatialWeight);
                    f[o + colour + 1] = (float) (y * spatialWeight);
                }
            }
        }
        return toSegmentation(cluster(f, w * h, dim), w, h, dst);
    }

    /**
     * Clusters an 8-bit gray image's pixels by value, and by position if {@code spatialWeight > 0}; see
     * {@link #segment(RgbU8, FeatureSpace, double, LabelMap)}.
     */
    public KMeansSegmentation segment(GrayU8 image, double spatialWeight, LabelMap dst) {
        Objects.requireNonNull(image, "image");
        checkWeight(spatialWeight);
        int w = image.width;
        int h = image.height;
        int dim = spatialWeight > 0 ? 3 : 1;
        float[] f = new float[w * h * dim];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * dim;
                f[o] = image.unsafe_get(x, y);
                if (spatialWeight > 0) {
                    f[o + 1] = (float) (x * spatialWeight);
                    f[o + 2] = (float) (y * spatialWeight);
                }
            }
        }
        return toSegmentation(cluster(f, w * h, dim), w, h, dst);
    }

    private static void checkWeight(double spatialWeight) {
        if (!(spatialWeight >= 0) || Double.isInfinite(spatialWeight)) {
            throw new IllegalArgumentException("spatialWeight must be finite and >= 0, got " + spatialWeight);
        }
    }

    private static KMeansSegmentation toSegmentation(KMeansResult r, int w, int h, LabelMap dst) {
        dst = ImageBase.output(dst, w, h, LabelMap::new);
        int[] a = r.assignment();
        for (int y = 0; y < h; y++) {
            int d = dst.startIndex + y * dst.stride;
            for (int x = 0; x < w; x++) {
                dst.data[d + x] = a[y * w + x] + 1;
            }
        }
        return new KMeansSegmentation(dst, r);
    }

    /**
     * Clusters {@code n} points of {@code dim} features stored row-major in {@code x} (point {@code i} is
     * {@code x[i*dim .. i*dim+dim-1]}).
     *
     * @param x the features; not modified
     * @throws IllegalArgumentException if {@code n < 1}, {@code dim < 1}, the array is too short, {@code k > n}, or
     *     a feature is NaN or infinite
     */
    public KMeansResult cluster(float[] x, int n, int dim) {
        Objects.requireNonNull(x, "x");
        if (n < 1 || dim < 1) {
            throw new IllegalArgumentException("need n >= 1 points of dim >= 1 features, got n=" + n + ", dim=" + dim);
        }
        if ((long) n * dim > x.length) {
            throw new IllegalArgumentException("array of length " + x.length + " is too short for " + n + " x "
                    + dim);
        }
        int k = config.k();
        if (k > n) {
            throw new IllegalArgumentException("k=" + k + " exceeds the number of points " + n);
        }
        for (int i = 0; i < n * dim; i++) {
            if (!Float.isFinite(x[i])) {
                throw new IllegalArgumentException("feature " + i % dim + " of point " + i / dim + " is " + x[i]);
            }
        }
        Random rnd = new Random(config.seed());
        ForkJoinPool pool = config.parallelism() > 1 ? new ForkJoinPool(config.parallelism()) : null;
        try {
            Work work = new Work(x, n, dim, k, pool, config.parallelism());
            KMeansResult best = null;
            for (int a = 0; a < config.attempts(); a++) {
                KMeansResult r = attempt(work, rnd);
                if (best == null || r.inertia() < best.inertia()) {
                    best = r;
                }
            }
            return best;
        } finally {
            if (pool != null) {
                pool.shutdown();
            }
        }
    }

    private KMeansResult attempt(Work wk, Random rnd) {
        return refine(wk, seedPlusPlus(wk, rnd));
    }

    /** Lloyd iterations from given centres; package-private so that tests can start from a chosen state. */
    KMeansResult refine(float[] x, int n, int dim, double[] initial) {
        return refine(new Work(x, n, dim, initial.length / dim, null, 1), initial.clone());
    }

    private KMeansResult refine(Work wk, double[] centers) {
        int k = wk.k;
        int dim = wk.dim;
        double[] next = new double[k * dim];
        int iterations = 0;
        while (iterations < config.maxIterations()) {
            wk.assign(centers);
            iterations++;
            reseedEmpty(wk);
            for (int c = 0; c < k; c++) {
                for (int j = 0; j < dim; j++) {
                    next[c * dim + j] = wk.sums[c * dim + j] / wk.counts[c];
                }
            }
            double shift = 0;
            for (int c = 0; c < k; c++) {
                double d = 0;
                for (int j = 0; j < dim; j++) {
                    double t = next[c * dim + j] - centers[c * dim + j];
                    d += t * t;
                }
                shift = Math.max(shift, d);
            }
            double[] t = centers;
            centers = next;
            next = t;
            if (Math.sqrt(shift) <= config.epsilon()) {
                break;
            }
        }
        wk.assign(centers);
        return new KMeansResult(wk.labels.clone(), centers.clone(), dim, wk.inertia, iterations);
    }

    /** Candidates drawn per new centre by the greedy k-means++ seeding; OpenCV draws 3 as well. */
    private static final int SEED_TRIALS = 3;

    /**
     * Greedy k-means++: the first centre uniform, then for each next centre {@value #SEED_TRIALS} candidates drawn
     * with probability proportional to D^2 (squared distance to the nearest centre so far), keeping the one that
     * lowers the total D^2 most (the variant of Arthur and Vassilvitskii's Section 6 that OpenCV uses).
     */
    private static double[] seedPlusPlus(Work wk, Random rnd) {
        int n = wk.n;
        int dim = wk.dim;
        float[] x = wk.x;
        double[] centers = new double[wk.k * dim];
        double[] d2 = new double[n];
        double[] trial = new double[n];
        double[] bestTrial = new double[n];
        int first = rnd.nextInt(n);
        copyPoint(x, first, dim, centers, 0);
        double total = distances(x, n, dim, first, null, d2);
        for (int c = 1; c < wk.k; c++) {
            int pick = -1;
            double pickTotal = Double.POSITIVE_INFINITY;
            for (int t = 0; t < SEED_TRIALS; t++) {
                int cand;
                if (total > 0) {
                    double r = rnd.nextDouble() * total;
                    cand = n - 1;
                    double acc = 0;
                    for (int i = 0; i < n; i++) {
                        acc += d2[i];
                        if (acc > r) {
                            cand = i;
                            break;
                        }
                    }
                } else {
                    cand = rnd.nextInt(n); // every point coincides with a centre: any choice is as good
                }
                double candTotal = distances(x, n, dim, cand, d2, trial);
                if (candTotal < pickTotal) {
                    pickTotal = candTotal;
                    pick = cand;
                    double[] tmp = bestTrial;
                    bestTrial = trial;
                    trial = tmp;
                }
            }
            copyPoint(x, pick, dim, centers, c);
            System.arraycopy(bestTrial, 0, d2, 0, n);
            total = pickTotal;
        }
        return centers;
    }

    /** {@code out[i] = min(prev[i], |x_i - x_p|^2)} ({@code prev} null for none); returns the sum. */
    private static double distances(float[] x, int n, int dim, int p, double[] prev, double[] out) {
        double total = 0;
        int pb = p * dim;
        for (int i = 0; i < n; i++) {
            int base = i * dim;
            double d = 0;
            for (int j = 0; j < dim; j++) {
                double t = x[base + j] - x[pb + j];
                d += t * t;
            }
            if (prev != null && prev[i] < d) {
                d = prev[i];
            }
            out[i] = d;
            total += d;
        }
        return total;
    }

    private static void copyPoint(float[] x, int p, int dim, double[] centers, int c) {
        for (int j = 0; j < dim; j++) {
            centers[c * dim + j] = x[p * dim + j];
        }
    }

    /** Gives each empty cluster the point farthest from its centre, taken from a cluster with two or more. */
    private static void reseedEmpty(Work wk) {
        int dim = wk.dim;
        for (int c = 0; c < wk.k; c++) {
            if (wk.counts[c] > 0) {
                continue;
            }
            int far = -1;
            double farD = -1;
            for (int i = 0; i < wk.n; i++) {
                if (wk.dist[i] > farD && wk.counts[wk.labels[i]] > 1) {
                    farD = wk.dist[i];
                    far = i;
                }
            }
            // k <= n guarantees a cluster with two points while one is empty.
            int old = wk.labels[far];
            for (int j = 0; j < dim; j++) {
                double v = wk.x[far * dim + j];
                wk.sums[old * dim + j] -= v;
                wk.sums[c * dim + j] = v;
            }
            wk.counts[old]--;
            wk.counts[c] = 1;
            wk.labels[far] = c;
            wk.inertia -= wk.dist[far];
            wk.dist[far] = 0;
        }
    }

    /** Buffers of one clustering and the blocked, optionally parallel, assignment step. */
    private static final class Work {
        final float[] x;
        final int n;
        final int dim;
        final int k;
        final ForkJoinPool pool;
        final int threads;
        final int blocks;
        final int[] labels;
        final double[] dist;
        final double[] sums;
        final long[] counts;
        final double[][] blockSums;
        final long[][] blockCounts;
        final double[] blockInertia;
        double inertia;

        Work(float[] x, int n, int dim, int k, ForkJoinPool pool, int threads) {
            this.x = x;
            this.n = n;
            this.dim = dim;
            this.k = k;
            this.pool = pool;
            this.threads = threads;
            this.blocks = (n + BLOCK - 1) / BLOCK;
            labels = new int[n];
            dist = new double[n];
            sums = new double[k * dim];
            counts = new long[k];
            blockSums = new double[blocks][k * dim];
            blockCounts = new long[blocks][k];
            blockInertia = new double[blocks];
        }

        /** Nearest centre of every point (lowest index on ties), and per-cluster sums, counts and the inertia. */
        void assign(double[] centers) {
            if (pool == null || blocks == 1) {
                for (int b = 0; b < blocks; b++) {
                    assignBlock(b, centers);
                }
            } else {
                List<Callable<Void>> tasks = new ArrayList<>();
                int per = (blocks + threads - 1) / threads;
                for (int b0 = 0; b0 < blocks; b0 += per) {
                    int from = b0;
                    int to = Math.min(blocks, b0 + per);
                    tasks.add(() -> {
                        for (int b = from; b < to; b++) {
                            assignBlock(b, centers);
                        }
                        return null;
                    });
                }
                try {
                    for (Future<Void> f : pool.invokeAll(tasks)) {
                        f.get();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while assigning points", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("assignment failed", e.getCause());
                }
            }
            Arrays.fill(sums, 0);
            Arrays.fill(counts, 0);
            inertia = 0;
            for (int b = 0; b < blocks; b++) {
                for (int i = 0; i < sums.length; i++) {
                    sums[i] += blockSums[b][i];
                }
                for (int c = 0; c < k; c++) {
                    counts[c] += blockCounts[b][c];
                }
                inertia += blockInertia[b];
            }
        }

        private void assignBlock(int b, double[] centers) {
            double[] s = blockSums[b];
            long[] cnt = blockCounts[b];
            Arrays.fill(s, 0);
            Arrays.fill(cnt, 0);
            int end = Math.min(n, (b + 1) * BLOCK);
            double in;
            if (dim == 3) {
                in = assign3(b * BLOCK, end, centers, s, cnt);
            } else if (dim == 1) {
                in = assign1(b * BLOCK, end, centers, s, cnt);
            } else {
                in = assignAny(b * BLOCK, end, centers, s, cnt);
            }
            blockInertia[b] = in;
        }

        /** Colour features: the distance unrolled over three channels. */
        private double assign3(int from, int end, double[] centers, double[] s, long[] cnt) {
            double in = 0;
            for (int i = from; i < end; i++) {
                int base = 3 * i;
                double x0 = x[base];
                double x1 = x[base + 1];
                double x2 = x[base + 2];
                double best = Double.POSITIVE_INFINITY;
                int bc = 0;
                for (int c = 0, cb = 0; c < k; c++, cb += 3) {
                    double t0 = x0 - centers[cb];
                    double t1 = x1 - centers[cb + 1];
                    double t2 = x2 - centers[cb + 2];
                    double d = t0 * t0 + t1 * t1 + t2 * t2;
                    if (d < best) {
                        best = d;
                        bc = c;
                    }
                }
                labels[i] = bc;
                dist[i] = best;
                in += best;
                cnt[bc]++;
                s[3 * bc] += x0;
                s[3 * bc + 1] += x1;
                s[3 * bc + 2] += x2;
            }
            return in;
        }

        /** Gray features. */
        private double assign1(int from, int end, double[] centers, double[] s, long[] cnt) {
            double in = 0;
            for (int i = from; i < end; i++) {
                double x0 = x[i];
                double best = Double.POSITIVE_INFINITY;
                int bc = 0;
                for (int c = 0; c < k; c++) {
                    double t = x0 - centers[c];
                    double d = t * t;
                    if (d < best) {
                        best = d;
                        bc = c;
                    }
                }
                labels[i] = bc;
                dist[i] = best;
                in += best;
                cnt[bc]++;
                s[bc] += x0;
            }
            return in;
        }

        private double assignAny(int from, int end, double[] centers, double[] s, long[] cnt) {
            double in = 0;
            for (int i = from; i < end; i++) {
                int base = i * dim;
                double best = Double.POSITIVE_INFINITY;
                int bc = 0;
                for (int c = 0; c < k; c++) {
                    int cb = c * dim;
                    double d = 0;
                    for (int j = 0; j < dim; j++) {
                        double t = x[base + j] - centers[cb + j];
                        d += t * t;
                    }
                    if (d < best) {
                        best = d;
                        bc = c;
                    }
                }
                labels[i] = bc;
                dist[i] = best;
                in += best;
                cnt[bc]++;
                int sb = bc * dim;
                for (int j = 0; j < dim; j++) {
                    s[sb + j] += x[base + j];
                }
            }
            return in;
        }
    }
}
