package org.segmentation.classic.region;

import java.util.Arrays;
import java.util.Objects;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.RgbU8;

/**
 * Seeded region growing with competing seeds (R. Adams and L. Bischof, "Seeded Region Growing", IEEE PAMI 16(6),
 * 1994). Each labelled seed region keeps a running mean (and, for the Mahalanobis criterion, a covariance). The
 * unlabelled neighbours of the regions wait in one priority queue keyed by their distance to the neighbouring
 * region, computed when they enter the queue; the closest one joins that region, whose statistics are updated, and
 * its own unlabelled neighbours enter the queue. Equal distances leave the queue first in, first out.
 *
 * <p>Labels: the output starts as the seed labels (any positive int); every pixel connected to a seed through
 * pixels of the optional mask joins exactly one region; the other pixels stay 0. Seed pixels outside the mask are
 * ignored. Unlike the original paper, no boundary label is produced. The instance reuses its buffers; not
 * thread-safe.
 */
public final class SeededRegionGrowing {
    private final SrgConfig config;
    private final boolean mahalanobis;

    // Queue: a binary heap on (distance, age) over parallel arrays.
    private double[] qDist = new double[0];
    private long[] qAge = new long[0];
    private int[] qPixel = new int[0];
    private int[] qLabel = new int[0];
    private int qSize;

    /** A region grower with these settings. */
    public SeededRegionGrowing(SrgConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.mahalanobis = config.criterion() == SrgConfig.Criterion.MAHALANOBIS;
    }

    /** The settings. */
    public SrgConfig config() {
        return config;
    }

    /**
     * Grows the seed regions over an 8-bit gray image.
     *
     * @param seeds seed labels, 0 where there is none; same size; not modified
     * @param mask pixels that may be labelled, or null for all; not modified
     * @param dst output labels, or null to allocate
     * @throws IllegalArgumentException if a size differs, a seed label is negative, or there is no seed
     */
    public LabelMap process(GrayU8 image, LabelMap seeds, Mask mask, LabelMap dst) {
        Objects.requireNonNull(image, "image");
        int n = image.width * image.height;
        float[] v = new float[n];
        for (int y = 0; y < image.height; y++) {
            for (int x = 0; x < image.width; x++) {
                v[y * image.width + x] = image.unsafe_get(x, y);
            }
        }
        return grow(image, v, 1, seeds, mask, dst);
    }

    /** Grows the seed regions over an RGB image, comparing colours; see {@link #process(GrayU8, LabelMap, Mask, LabelMap)}. */
    public LabelMap process(RgbU8 image, LabelMap seeds, Mask mask, LabelMap dst) {
        Objects.requireNonNull(image, "image");
        int w = image.width;
        float[] v = new float[w * image.height * 3];
        for (int y = 0; y < image.height; y++) {
            int s = image.startIndex + y * image.stride;
            for (int i = 0; i < 3 * w; i++) {
                v[3 * y * w + i] = image.data[s + i] & 0xFF;
            }
        }
        return grow(image, v, 3, seeds, mask, dst);
    }

    private LabelMap grow(ImageBase<?> image, float[] v, int dim, LabelMap seeds, Mask mask, LabelMap dst) {
        Objects.requireNonNull(seeds, "seeds");
        image.checkSameShape(seeds, "seed map");
        if (mask != null) {
            image.checkSameShape(mask, "mask");
        }
        int w = image.width;
        int h = image.height;
        int n = w * h;
        int[] out = new int[n];
        byte[] allowed = new byte[n];
        int maxLabel = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int l = seeds.unsafe_get(x, y);
                if (l < 0) {
                    throw new IllegalArgumentException("seed label " + l + " at (" + x + ", " + y + ") is negative");
                }
                boolean in = mask == null || mask.unsafe_get(x, y);
                allowed[y * w + x] = (byte) (in ? 1 : 0);
                if (in && l > 0) {
                    out[y * w + x] = l;
                    maxLabel = Math.max(maxLabel, l);
                }
            }
        }
        if (maxLabel == 0) {
            throw new IllegalArgumentException("no seed: the seed map has no positive label inside the mask");
        }
        Regions regions = new Regions(maxLabel, dim, config.regularization());
        for (int p = 0; p < n; p++) {
            if (out[p] != 0) {
                regions.add(out[p], v, p);
            }
        }
        Connectivity c = config.connectivity();
        int k = c.size();
        qSize = 0;
        long age = 0;
        for (int p = 0; p < n; p++) {
            if (out[p] != 0) {
                age = pushNeighbours(p, out[p], w, h, c, k, out, allowed, v, dim, regions, age);
            }
        }
        while (qSize > 0) {
            int p = qPixel[0];
            int l = qLabel[0];
            pop();
            if (out[p] != 0) {
                continue;
            }
            out[p] = l;
            regions.add(l, v, p);
            age = pushNeighbours(p, l, w, h, c, k, out, allowed, v, dim, regions, age);
        }
        dst = ImageBase.output(dst, w, h, LabelMap::new);
        for (int y = 0; y < h; y++) {
            System.arraycopy(out, y * w, dst.data, dst.startIndex + y * dst.stride, w);
        }
        return dst;
    }

    private long pushNeighbours(int p, int l, int w, int h, Connectivity c, int k, int[] out, byte[] allowed,
            float[] v, int dim, Regions regions, long age) {
        int x = p % w;
        int y = p / w;
        for (int i = 0; i < k; i++) {
            int xx = x + c.dx(i);
            int yy = y + c.dy(i);
            if (xx < 0 || yy < 0 || xx >= w || yy >= h) {
                continue;
            }
            int q = yy * w + xx;
            if (out[q] != 0 || allowed[q] == 0) {
                continue;
            }
            double d = mahalanobis ? regions.mahalanobis(l, v, q) : regions.euclidean(l, v, q);
            push(d, age++, q, l);
        }
        return age;
    }

    private void push(double d, long age, int p, int l) {
        if (qSize == qDist.length) {
            int cap = Math.max(1024, qDist.length * 2);
            qDist = Arrays.copyOf(qDist, cap);
            qAge = Arrays.copyOf(qAge, cap);
            qPixel = Arrays.copyOf(qPixel, cap);
            qLabel = Arrays.copyOf(qLabel, cap);
        }
        int child = qSize++;
        while (child > 0) {
            int parent = (child - 1) >>> 1;
            if (d < qDist[parent] || (d == qDist[parent] && age < qAge[parent])) {
                qDist[child] = qDist[parent];
                qAge[child] = qAge[parent];
                qPixel[child] = qPixel[parent];
                qLabel[child] = qLabel[parent];
                child = parent;
            } else {
                break;
            }
        }
        qDist[child] = d;
        qAge[child] = age;
        qPixel[child] = p;
        qLabel[child] = l;
    }

    private void pop() {
        int size = --qSize;
        if (size == 0) {
            return;
        }
        double d = qDist[size];
        long a = qAge[size];
        int p = qPixel[size];
        int l = qLabel[size];
        int i = 0;
        while (true) {
            int left = 2 * i + 1;
            if (left >= size) {
                break;
            }
            int best = left;
            int right = left + 1;
            if (right < size && (qDist[right] < qDist[left]
                    || (qDist[right] == qDist[left] && qAge[right] < qAge[left]))) {
                best = right;
            }
            if (qDist[best] < d || (qDist[best] == d && qAge[best] < a)) {
                qDist[i] = qDist[best];
                qAge[i] = qAge[best];
                qPixel[i] = qPixel[best];
                qLabel[i] = qLabel[best];
                i = best;
            } else {
                break;
            }
        }
        qDist[i] = d;
        qAge[i] = a;
        qPixel[i] = p;
        qLabel[i] = l;
    }

    /** Running statistics of every region: count, sums, sums of products, and a cached inverse covariance. */
    private static final class Regions {
        final int dim;
        final double lambda;
        final long[] count;
        final double[] sum;
        final double[] sum2;
        final double[] inverse;
        final boolean[] fresh;
        final DMatrixRMaj cov;
        final DMatrixRMaj inv;

        Regions(int maxLabel, int dim, double lambda) {
            this.dim = dim;
            this.lambda = lambda;
            count = new long[maxLabel + 1];
            sum = new double[(maxLabel + 1) * dim];
            sum2 = new double[(maxLabel + 1) * dim * dim];
            inverse = new double[(maxLabel + 1) * dim * dim];
            fresh = new boolean[maxLabel + 1];
            cov = new DMatrixRMaj(dim, dim);
            inv = new DMatrixRMaj(dim, dim);
        }

        void add(int l, float[] v, int p) {
            count[l]++;
            for (int a = 0; a < dim; a++) {
                double va = v[p * dim + a];
                sum[l * dim + a] += va;
                for (int b = 0; b < dim; b++) {
                    sum2[(l * dim + a) * dim + b] += va * v[p * dim + b];
                }
            }
            fresh[l] = false;
        }

        double euclidean(int l, float[] v, int p) {
            double d = 0;
            for (int a = 0; a < dim; a++) {
                double t = v[p * dim + a] - sum[l * dim + a] / count[l];
                d += t * t;
            }
            return Math.sqrt(d);
        }

        double mahalanobis(int l, float[] v, int p) {
            if (!fresh[l]) {
                // S = E[v v^T] - m m^T + lambda I, inverted with EJML.
                double nInv = 1.0 / count[l];
                for (int a = 0; a < dim; a++) {
                    for (int b = 0; b < dim; b++) {
                        double s = sum2[(l * dim + a) * dim + b] * nInv
                                - sum[l * dim + a] * nInv * sum[l * dim + b] * nInv;
                        cov.set(a, b, s + (a == b ? lambda : 0));
                    }
                }
                if (!CommonOps_DDRM.invert(cov, inv)) {
                    throw new IllegalStateException("singular region covariance despite regularization");
                }
                System.arraycopy(inv.data, 0, inverse, l * dim * dim, dim * dim);
                fresh[l] = true;
            }
            double q = 0;
            for (int a = 0; a < dim; a++) {
                double da = v[p * dim + a] - sum[l * dim + a] / count[l];
                for (int b = 0; b < dim; b++) {
                    double db = v[p * dim + b] - sum[l * dim + b] / count[l];
                    q += da * inverse[(l * dim + a) * dim + b] * db;
                }
            }
            return Math.sqrt(Math.max(0, q));
        }
    }
}
