package org.segmentation.classic.kmeans;

/** Colour features of a pixel for {@link KMeans#segment}. */
public enum FeatureSpace {
    /** One feature: the BT.601 luma, 0..255 (OpenCV's RGB to gray). */
    GRAY,
    /** Three features: red, green, blue, 0..255. */
    RGB,
    /** Three features: CIE L*a*b* under D65, as scikit-image's {@code rgb2lab}. */
    LAB
}
