package org.segmentation.nn.detect;

import java.util.Arrays;

/**
 * Anchor boxes for each level of a feature pyramid, torchvision's {@code AnchorGenerator}: at every cell of a
 * level's (gridH, gridW) feature map, one box per (aspect ratio, size) pair, centred on the cell's top-left
 * corner in image pixels. The stride of a level is {@code imageH / gridH} and {@code imageW / gridW} in integer
 * division, as in torchvision.
 *
 * <p>For size s and ratio r (height/width), the base box is (−w/2, −h/2, w/2, h/2) rounded half to even, with
 * h = s·sqrt(r) and w = s/sqrt(r) computed in float32 in torchvision's order, so the corners are the same
 * integers. Anchors are listed cell by cell (row-major over the grid), and within a cell ratio-major, size-minor;
 * the levels follow one another.
 *
 * @param sizes per level, the anchor sizes (square-root of the area at ratio 1) in pixels, each positive
 * @param ratios per level, the aspect ratios height/width, each positive; as many levels as {@code sizes}
 */
public record AnchorGenerator(double[][] sizes, double[][] ratios) {
    public AnchorGenerator {
        if (sizes == null || ratios == null || sizes.length == 0 || sizes.length != ratios.length) {
            throw new IllegalArgumentException("AnchorGenerator: expected sizes and ratios for the same number (>= 1)"
                    + " of levels, got " + (sizes == null ? "null" : sizes.length) + " and "
                    + (ratios == null ? "null" : ratios.length));
        }
        sizes = deepCopy(sizes);
        ratios = deepCopy(ratios);
        for (int l = 0; l < sizes.length; l++) {
            requirePositive("sizes", l, sizes[l]);
            requirePositive("ratios", l, ratios[l]);
        }
    }

    /** torchvision's Mask R-CNN default: sizes 32, 64, 128, 256, 512 on five levels, ratios 0.5, 1, 2 on each. */
    public static AnchorGenerator torchvisionDefault() {
        return uniformRatios(new double[] {32, 64, 128, 256, 512}, new double[] {0.5, 1, 2});
    }

    /**
     * For small objects (cells, items of a few tens of pixels): sizes 8, 16, 32, 64, 128 on five levels, ratios
     * 0.5, 1, 2 on each.
     */
    public static AnchorGenerator small() {
        return uniformRatios(new double[] {8, 16, 32, 64, 128}, new double[] {0.5, 1, 2});
    }

    /** One size per level, the same ratios on every level. */
    public static AnchorGenerator uniformRatios(double[] sizePerLevel, double[] ratios) {
        double[][] s = new double[sizePerLevel.length][];
        double[][] r = new double[sizePerLevel.length][];
        for (int l = 0; l < s.length; l++) {
            s[l] = new double[] {sizePerLevel[l]};
            r[l] = ratios.clone();
        }
        return new AnchorGenerator(s, r);
    }

    public int levels() {
        return sizes.length;
    }

    /** Anchors per feature-map cell at a level: ratios × sizes. */
    public int anchorsPerCell(int level) {
        return sizes[level].length * ratios[level].length;
    }

    /**
     * The base anchors of a level, centred on (0, 0): ratio-major, size-minor, 4 values each.
     */
    public double[] cellAnchors(int level) {
        double[] s = sizes[level];
        double[] r = ratios[level];
        double[] out = new double[4 * s.length * r.length];
        int k = 0;
        for (double ratio : r) {
            float hRatio = (float) Math.sqrt((float) ratio);
            float wRatio = 1f / hRatio;
            for (double size : s) {
                float ws = wRatio * (float) size;
                float hs = hRatio * (float) size;
                out[k++] = Math.rint(-ws / 2f);
                out[k++] = Math.rint(-hs / 2f);
                out[k++] = Math.rint(ws / 2f);
                out[k++] = Math.rint(hs / 2f);
            }
        }
        return out;
    }

    /**
     * The anchors of every level for an image of the given size whose feature maps have the given sizes.
     *
     * @param gridH per level, the feature map's height, between 1 and imageH
     * @param gridW per level, the feature map's width, between 1 and imageW
     * @return per level, gridH·gridW·{@link #anchorsPerCell} boxes
     */
    public double[][] anchors(int imageH, int imageW, int[] gridH, int[] gridW) {
        if (gridH == null || gridW == null || gridH.length != levels() || gridW.length != levels()) {
            throw new IllegalArgumentException("AnchorGenerator: expected " + levels() + " feature map sizes, got "
                    + (gridH == null ? "null" : gridH.length) + " heights and "
                    + (gridW == null ? "null" : gridW.length) + " widths");
        }
        double[][] out = new double[levels()][];
        for (int l = 0; l < levels(); l++) {
            if (gridH[l] < 1 || gridW[l] < 1 || gridH[l] > imageH || gridW[l] > imageW) {
                throw new IllegalArgumentException("AnchorGenerator: level " + l + " feature map " + gridH[l] + "x"
                        + gridW[l] + " must be between 1x1 and the image size " + imageH + "x" + imageW);
            }
            int strideY = imageH / gridH[l];
            int strideX = imageW / gridW[l];
            double[] base = cellAnchors(l);
            double[] a = new double[gridH[l] * gridW[l] * base.length];
            int k = 0;
            for (int y = 0; y < gridH[l]; y++) {
                for (int x = 0; x < gridW[l]; x++) {
                    double sx = (double) x * strideX;
                    double sy = (double) y * strideY;
                    for (int b = 0; b < base.length; b += 4) {
                        a[k++] = sx + base[b];
                        a[k++] = sy + base[b + 1];
                        a[k++] = sx + base[b + 2];
                        a[k++] = sy + base[b + 3];
                    }
                }
            }
            out[l] = a;
        }
        return out;
    }

    /** The levels' anchors of {@link #anchors} one after the other, as torchvision returns them. */
    public static double[] concat(double[][] perLevel) {
        int n = 0;
        for (double[] a : perLevel) {
            n += a.length;
        }
        double[] out = new double[n];
        int at = 0;
        for (double[] a : perLevel) {
            System.arraycopy(a, 0, out, at, a.length);
            at += a.length;
        }
        return out;
    }

    @Override
    public double[][] sizes() {
        return deepCopy(sizes);
    }

    @Override
    public double[][] ratios() {
        return deepCopy(ratios);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AnchorGenerator g && Arrays.deepEquals(sizes, g.sizes)
                && Arrays.deepEquals(ratios, g.ratios);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.deepHashCode(sizes) + Arrays.deepHashCode(ratios);
    }

    @Override
    public String toString() {
        return "AnchorGenerator[sizes=" + Arrays.deepToString(sizes) + ", ratios=" + Arrays.deepToString(ratios)
                + "]";
    }

    private static void requirePositive(String what, int level, double[] v) {
        if (v == null || v.length == 0) {
            throw new IllegalArgumentException("AnchorGenerator: level " + level + " has no " + what);
        }
        for (double x : v) {
            if (!(x > 0) || !Double.isFinite(x)) {
                throw new IllegalArgumentException("AnchorGenerator: level " + level + " " + what
                        + " must be positive and finite, got " + Arrays.toString(v));
            }
        }
    }

    private static double[][] deepCopy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i] == null ? null : a[i].clone();
        }
        return c;
    }
}
