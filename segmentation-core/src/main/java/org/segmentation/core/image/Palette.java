package org.segmentation.core.image;

/**
 * Colours for labels, as {@code 0xRRGGBB}.
 *
 * <p>{@link #voc} is the PASCAL VOC colour map (label 0 black, 1 dark red, 2 dark green, ...; 255 is (224, 224,
 * 192), the VOC "void" colour): each label's bits are spread over the colour channels from the most significant
 * bit down, so nearby labels get very different colours. It is the standard palette for indexed label PNGs.
 */
public final class Palette {
    private static final int[] VOC = new int[256];

    static {
        for (int label = 0; label < 256; label++) {
            int r = 0;
            int g = 0;
            int b = 0;
            int c = label;
            for (int j = 7; j >= 0; j--) {
                r |= (c & 1) << j;
                g |= ((c >> 1) & 1) << j;
                b |= ((c >> 2) & 1) << j;
                c >>= 3;
            }
            VOC[label] = r << 16 | g << 8 | b;
        }
    }

    private Palette() {
    }

    /**
     * The VOC colour of {@code label}.
     *
     * @throws IllegalArgumentException unless {@code 0 <= label <= 255}
     */
    public static int voc(int label) {
        if (label < 0 || label > 255) {
            throw new IllegalArgumentException("VOC palette label must be in 0..255, got " + label);
        }
        return VOC[label];
    }

    /** The 256 VOC colours, a fresh copy. */
    public static int[] vocTable() {
        return VOC.clone();
    }

    /**
     * A colour for any label, 0 black: labels 1..255 take the VOC colours; larger labels (instance ids) step
     * around the hue circle by the golden angle at full saturation, so consecutive ids never look alike.
     *
     * @throws IllegalArgumentException if {@code label < 0}
     */
    public static int label(int label) {
        if (label < 0) {
            throw new IllegalArgumentException("label must be non-negative, got " + label);
        }
        if (label < 256) {
            return VOC[label];
        }
        float hue = (float) ((label * 0.6180339887498949) % 1.0);
        return java.awt.Color.HSBtoRGB(hue, 0.85f, 0.95f) & 0xFFFFFF;
    }
}
