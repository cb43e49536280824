package org.segmentation.nn.detect;

import org.segmentation.core.image.LabelMap;

/**
 * Puts the heads' m×m mask probabilities back into the image, torchvision's {@code paste_masks_in_image}: the mask
 * is zero-padded by one cell and its box enlarged by (m + 2)/m about its centre, the box's corners truncated to
 * integers (toward zero), the padded mask resized bilinearly (half-pixel centres, PyTorch's
 * {@code align_corners=False}) to (y2 − y1 + 1) × (x2 − x1 + 1) pixels and copied into the part of the box inside
 * the image; the rest of the image is 0. {@link #labelMap} thresholds the pasted masks into one instance label map.
 */
public final class MaskPaste {
    private MaskPaste() {
    }

    /**
     * @param mask m·m probabilities, row-major
     * @param boxes the detections' boxes; box {@code index} is pasted
     * @param out receives imH·imW values, row-major, or null for a new array
     * @return out
     */
    public static double[] paste(double[] mask, int m, double[] boxes, int index, int imH, int imW, double[] out) {
        if (mask == null || m <= 0 || mask.length != m * m) {
            throw new IllegalArgumentException("MaskPaste: expected " + m + "x" + m + " mask values, got "
                    + (mask == null ? "null" : mask.length));
        }
        int n = BoxOps.count("MaskPaste boxes", boxes);
        if (index < 0 || index >= n || imH <= 0 || imW <= 0) {
            throw new IllegalArgumentException("MaskPaste: box " + index + " of " + n + " into a " + imH + "x" + imW
                    + " image");
        }
        if (out == null) {
            out = new double[imH * imW];
        } else if (out.length < imH * imW) {
            throw new IllegalArgumentException("MaskPaste out: expected at least " + imH * imW + " values, got "
                    + out.length);
        }
        java.util.Arrays.fill(out, 0, imH * imW, 0);
        // the padded mask, (m+2)x(m+2)
        int pm = m + 2;
        double[] padded = new double[pm * pm];
        for (int y = 0; y < m; y++) {
            System.arraycopy(mask, y * m, padded, (y + 1) * pm + 1, m);
        }
        double scale = (double) pm / m;
        double x1 = boxes[4 * index];
        double y1 = boxes[4 * index + 1];
        double x2 = boxes[4 * index + 2];
        double y2 = boxes[4 * index + 3];
        double wHalf = (x2 - x1) * 0.5 * scale;
        double hHalf = (y2 - y1) * 0.5 * scale;
        double xc = (x2 + x1) * 0.5;
        double yc = (y2 + y1) * 0.5;
        long bx1 = (long) (xc - wHalf);
        long by1 = (long) (yc - hHalf);
        long bx2 = (long) (xc + wHalf);
        long by2 = (long) (yc + hHalf);
        int w = (int) Math.max(bx2 - bx1 + 1, 1);
        int h = (int) Math.max(by2 - by1 + 1, 1);
        long x0 = Math.max(bx1, 0);
        long xe = Math.min(bx2 + 1, imW);
        long y0 = Math.max(by1, 0);
        long ye = Math.min(by2 + 1, imH);
        double sy = (double) pm / h;
        double sx = (double) pm / w;
        for (long y = y0; y < ye; y++) {
            int ry = (int) (y - by1);   // row of the resized mask
            double srcY = Math.max(sy * (ry + 0.5) - 0.5, 0);
            int iy = (int) srcY;
            int dy = iy < pm - 1 ? 1 : 0;
            double ly = Math.min(Math.max(srcY - iy, 0), 1);
            for (long x = x0; x < xe; x++) {
                int rx = (int) (x - bx1);
                double srcX = Math.max(sx * (rx + 0.5) - 0.5, 0);
                int ix = (int) srcX;
                int dx = ix < pm - 1 ? 1 : 0;
                double lx = Math.min(Math.max(srcX - ix, 0), 1);
                double top = (1 - lx) * padded[iy * pm + ix] + lx * padded[iy * pm + ix + dx];
                double bottom = (1 - lx) * padded[(iy + dy) * pm + ix] + lx * padded[(iy + dy) * pm + ix + dx];
                out[(int) (y * imW + x)] = (1 - ly) * top + ly * bottom;
            }
        }
        return out;
    }

    /**
     * One label map of all detections: pixel p gets instance i + 1 (detection i of the given order, usually by
     * descending score) where detection i's pasted mask is above {@code threshold} (torchvision's users take 0.5)
     * and no detection before it claims p; 0 elsewhere.
     *
     * @param masks per detection, m·m probabilities
     * @param boxes the detections' boxes, one per mask
     */
    public static LabelMap labelMap(double[][] masks, int m, double[] boxes, int imH, int imW, double threshold) {
        int n = BoxOps.count("MaskPaste boxes", boxes);
        if (masks == null || masks.length != n) {
            throw new IllegalArgumentException("MaskPaste.labelMap: expected " + n + " masks, one per box, got "
                    + (masks == null ? "null" : masks.length));
        }
        LabelMap labels = new LabelMap(imW, imH);
        double[] pasted = new double[imH * imW];
        for (int i = 0; i < n; i++) {
            paste(masks[i], m, boxes, i, imH, imW, pasted);
            for (int p = 0; p < pasted.length; p++) {
                if (pasted[p] > threshold && labels.data[p] == 0) {
                    labels.data[p] = i + 1;
                }
            }
        }
        return labels;
    }
}
