package org.segmentation.classic.kmeans;

/**
 * Settings of {@link KMeans}.
 *
 * @param k number of clusters, {@code >= 1} (and at most the number of points, checked when clustering)
 * @param maxIterations Lloyd iterations per attempt at most, {@code >= 1}; default 100
 * @param epsilon stop an attempt once no centre moves farther than this (Euclidean, feature units), {@code >= 0};
 *     default 1e-3. OpenCV's {@code TERM_CRITERIA_EPS} has the same meaning.
 * @param attempts independent restarts, each seeded by k-means++; the one of lowest inertia wins; {@code >= 1};
 *     default 3
 * @param seed seed of the random generator: the same seed (and input) gives the same result, whatever the
 *     parallelism; default 0
 * @param parallelism threads used to assign points to centres, {@code >= 1}; default 1
 */
public record KMeansConfig(int k, int maxIterations, double epsilon, int attempts, long seed, int parallelism) {
    /** Validates. */
    public KMeansConfig {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        if (maxIterations < 1) {
            throw new IllegalArgumentException("maxIterations must be >= 1, got " + maxIterations);
        }
        if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be finite and >= 0, got " + epsilon);
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be >= 1, got " + attempts);
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be >= 1, got " + parallelism);
        }
    }

    /** {@code k} clusters with the defaults: 100 iterations, epsilon 1e-3, 3 attempts, seed 0, one thread. */
    public static KMeansConfig of(int k) {
        return new KMeansConfig(k, 100, 1e-3, 3, 0L, 1);
    }

    /** A copy with another seed. */
    public KMeansConfig withSeed(long newSeed) {
        return new KMeansConfig(k, maxIterations, epsilon, attempts, newSeed, parallelism);
    }

    /** A copy with another parallelism. */
    public KMeansConfig withParallelism(int threads) {
        return new KMeansConfig(k, maxIterations, epsilon, attempts, seed, threads);
    }
}
