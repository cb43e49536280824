package org.segmentation.classic.kmeans;

import org.segmentation.core.image.LabelMap;

/**
 * Result of {@link KMeans#segment}.
 *
 * @param labels cluster of each pixel plus one: {@code 1..k} (0 is never used, as no pixel is background)
 * @param clustering the clustering of the pixel features, whose centres are in feature units (colour features
 *     first, then {@code x*w, y*w} when a spatial weight {@code w} was given)
 */
public record KMeansSegmentation(LabelMap labels, KMeansResult clustering) {
}
