/**
 * Classic segmentation. Sub-packages: {@code threshold} (Otsu, multi-Otsu), {@code region} (seeded flood fill,
 * seeded region growing), {@code watershed} (Meyer watershed, markers, split-touching pipeline), {@code kmeans}
 * (k-means++ / Lloyd on pixel or arbitrary features) and {@code morphology} (binary and gray morphology). Algorithms
 * are small final classes configured by validated records; stateless steps are static {@code ...Ops} classes.
 */
package org.segmentation.classic;
