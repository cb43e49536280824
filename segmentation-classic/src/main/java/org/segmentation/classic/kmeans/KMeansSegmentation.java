package org.segmentation.classic.kmeans;

import java.util.Arrays;
import org.segmentation.core.image.LabelMap;

/**
 * Result of {@link KMeans#segment}.
 *
 * @param labels cluster of each pixel plus one: {@code 1..k} (0 is never used, as no pixel is background)
 * @param clustering the clustering of the pixel features, whose centres are in feature units (colour features
 *     first, then {@code x*w, y*w} when a spatial weight {@code w} was given)
 */
public record KMeansSegmentation(LabelMap labels, KMeansResult clustering) {
    /**
     * Renumbers {@link #labels()} so that label 1 is the cluster whose centre is darkest, then upwards: the
     * brightness is the first feature for {@link FeatureSpace#GRAY} and L* for {@link FeatureSpace#LAB}, BT.601
     * luma of the centre for {@link FeatureSpace#RGB}; ties keep cluster order. Cluster ids then mean the same
     * thing from image to image, which a class-map evaluation needs.
     *
     * @param space the feature space the clustering was computed in
     * @return {@link #labels()}, modified in place
     */
    public LabelMap labelsByBrightness(FeatureSpace space) {
        int k = clustering.k();
        double[] brightness = new double[k];
        Integer[] order = new Integer[k];
        for (int c = 0; c < k; c++) {
            order[c] = c;
            brightness[c] = switch (space) {
                case GRAY, LAB -> clustering.center(c, 0);
                case RGB -> 0.299 * clustering.center(c, 0) + 0.587 * clustering.center(c, 1)
                        + 0.114 * clustering.center(c, 2);
            };
        }
        Arrays.sort(order, (a, b) -> Double.compare(brightness[a], brightness[b]));
        int[] newLabel = new int[k + 1];
        for (int rank = 0; rank < k; rank++) {
            newLabel[order[rank] + 1] = rank + 1;
        }
        for (int y = 0; y < labels.height; y++) {
            int row = labels.startIndex + y * labels.stride;
            for (int x = 0; x < labels.width; x++) {
                labels.data[row + x] = newLabel[labels.data[row + x]];
            }
        }
        return labels;
    }
}
