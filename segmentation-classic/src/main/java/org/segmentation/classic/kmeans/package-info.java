/**
 * k-means clustering of pixel colours (gray, RGB, L*a*b*, optionally with position) or of any feature matrix
 * ({@link org.segmentation.classic.kmeans.KMeans}).
 */
package org.segmentation.classic.kmeans;
