package org.segmentation.core.metrics;

import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

/**
 * Region boundaries: a pixel is on the boundary when one of its 4-neighbours inside the image has a different
 * label. Both sides of an edge are marked, background included, so boundaries are two pixels thick; the image
 * border is not a boundary. This is {@code skimage.segmentation.find_boundaries(labels, connectivity=1,
 * mode='thick')}. Used by {@link BoundaryF1} and by the overlays in {@code org.segmentation.core.visual}.
 */
public final class Boundaries {
    private Boundaries() {
    }

    /**
     * Boundary pixels of a label image.
     *
     * @param labels not modified
     * @param dst output, or null to allocate
     * @return {@code dst}, 1 on boundary pixels and 0 elsewhere
     */
    public static Mask of(LabelMap labels, Mask dst) {
        int w = labels.width;
        int h = labels.height;
        dst = ImageBase.output(dst, w, h, Mask::new);
        dst.fill(false);
        int[] d = labels.data;
        byte[] out = dst.data;
        for (int y = 0; y < h; y++) {
            int i = labels.startIndex + y * labels.stride;
            int o = dst.startIndex + y * dst.stride;
            boolean hasDown = y + 1 < h;
            for (int x = 0; x < w; x++, i++, o++) {
                int v = d[i];
                if (x + 1 < w && d[i + 1] != v) {
                    out[o] = 1;
                    out[o + 1] = 1;
                }
                if (hasDown && d[i + labels.stride] != v) {
                    out[o] = 1;
                    out[o + dst.stride] = 1;
                }
            }
        }
        return dst;
    }

    /**
     * Boundary pixels of a binary mask: on and off pixels that touch each other.
     *
     * @param mask not modified; must not be the same object as {@code dst}
     * @param dst output, or null to allocate
     * @return {@code dst}
     * @throws IllegalArgumentException if {@code dst == mask}
     */
    public static Mask of(Mask mask, Mask dst) {
        if (dst == mask) {
            throw new IllegalArgumentException("output must not be the input mask");
        }
        int w = mask.width;
        int h = mask.height;
        dst = ImageBase.output(dst, w, h, Mask::new);
        dst.fill(false);
        byte[] d = mask.data;
        byte[] out = dst.data;
        for (int y = 0; y < h; y++) {
            int i = mask.startIndex + y * mask.stride;
            int o = dst.startIndex + y * dst.stride;
            boolean hasDown = y + 1 < h;
            for (int x = 0; x < w; x++, i++, o++) {
                boolean v = d[i] != 0;
                if (x + 1 < w && (d[i + 1] != 0) != v) {
                    out[o] = 1;
                    out[o + 1] = 1;
                }
                if (hasDown && (d[i + mask.stride] != 0) != v) {
                    out[o] = 1;
                    out[o + dst.stride] = 1;
                }
            }
        }
        return dst;
    }
}
