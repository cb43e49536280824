package org.segmentation.classic.kmeans;

/**
 * Result of {@link KMeans#cluster}.
 *
 * @param assignment cluster {@code 0..k-1} of each point
 * @param centers the {@code k} centres, row-major {@code (k, dim)}
 * @param dim number of features per point
 * @param inertia sum over the points of the squared Euclidean distance to their centre (OpenCV's compactness)
 * @param iterations Lloyd iterations run by the winning attempt
 */
public record KMeansResult(int[] assignment, double[] centers, int dim, double inertia, int iterations) {
    /** Number of clusters. */
    public int k() {
        return centers.length / dim;
    }

    /** Feature {@code j} of centre {@code c}. */
    public double center(int c, int j) {
        return centers[c * dim + j];
    }
}
