package org.segmentation.nn.detect;

/**
 * The feature-pyramid level a region is pooled from, eq. (1) of Lin et al., Feature Pyramid Networks (2017), as
 * torchvision's {@code LevelMapper}: level = floor(canonicalLevel + log2(sqrt(area) / canonicalScale) + eps),
 * clamped to [kMin, kMax], returned relative to kMin (0 is the finest level). With the canonical 224 pixels at
 * level 4, a 112-pixel box goes to level 3 and a 448-pixel box to level 5.
 *
 * @param kMin the finest level (2 for a stride-4 map), at most kMax
 * @param kMax the coarsest level
 * @param canonicalScale the box size, in pixels, that maps to canonicalLevel; torchvision's 224
 * @param canonicalLevel torchvision's 4
 * @param eps added before the floor so that a size exactly at a power of two is not lost to rounding; 1e-6
 */
public record LevelMapper(int kMin, int kMax, double canonicalScale, double canonicalLevel, double eps) {
    public LevelMapper {
        if (kMin > kMax) {
            throw new IllegalArgumentException("LevelMapper: kMin " + kMin + " > kMax " + kMax);
        }
        if (!(canonicalScale > 0) || !Double.isFinite(canonicalScale) || !Double.isFinite(canonicalLevel)
                || !Double.isFinite(eps)) {
            throw new IllegalArgumentException("LevelMapper: expected a positive canonical scale and finite level"
                    + " and eps, got " + canonicalScale + ", " + canonicalLevel + ", " + eps);
        }
    }

    /** torchvision's defaults: canonical scale 224 at level 4, eps 1e-6. */
    public LevelMapper(int kMin, int kMax) {
        this(kMin, kMax, 224, 4, 1e-6);
    }

    /**
     * The mapper for feature maps of the given scales (feature cells per image pixel, such as 1/4 … 1/32), as
     * torchvision's {@code MultiScaleRoIAlign} sets it up: kMin = −log2 of the first scale, kMax = −log2 of the
     * last, each rounded to an integer.
     */
    public static LevelMapper forScales(double[] scales) {
        if (scales == null || scales.length == 0) {
            throw new IllegalArgumentException("LevelMapper.forScales: expected at least one scale");
        }
        for (double s : scales) {
            if (!(s > 0) || !Double.isFinite(s)) {
                throw new IllegalArgumentException("LevelMapper.forScales: scales must be positive, got " + s);
            }
        }
        return new LevelMapper((int) Math.rint(-log2(scales[0])), (int) Math.rint(-log2(scales[scales.length - 1])));
    }

    /**
     * The scale of a feature map of {@code featureSize} cells over an image of {@code imageSize} pixels, rounded to
     * a power of two as in torchvision's {@code MultiScaleRoIAlign} (which looks at the height only): 2^round(
     * log2(featureSize / imageSize)), ties to even.
     */
    public static double inferScale(int featureSize, int imageSize) {
        if (featureSize <= 0 || imageSize <= 0) {
            throw new IllegalArgumentException("LevelMapper.inferScale: sizes must be positive, got feature "
                    + featureSize + " image " + imageSize);
        }
        return Math.pow(2, Math.rint(log2((double) featureSize / imageSize)));
    }

    /** Number of levels, kMax − kMin + 1. */
    public int levels() {
        return kMax - kMin + 1;
    }

    /**
     * @param boxes n boxes (x1, y1, x2, y2) in image pixels
     * @return per box, its level minus kMin, in [0, levels())
     */
    public int[] levels(double[] boxes) {
        int n = BoxOps.count("LevelMapper boxes", boxes);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            double s = Math.sqrt(BoxOps.area(boxes, i));
            double level = Math.floor(canonicalLevel + log2(s / canonicalScale) + eps);
            // a degenerate box (s = 0) gives −inf and goes to the finest level, as torchvision's clamp does
            out[i] = (int) (Math.min(Math.max(Double.isNaN(level) ? kMin : level, kMin), kMax) - kMin);
        }
        return out;
    }

    /** log2, exact at powers of two (where a box size on a level boundary lands). */
    static double log2(double v) {
        if (v > 0 && Double.isFinite(v) && v >= Double.MIN_NORMAL) {
            int e = Math.getExponent(v);
            if (v == Math.scalb(1.0, e)) {
                return e;
            }
        }
        return Math.log(v) / Math.log(2);
    }
}
