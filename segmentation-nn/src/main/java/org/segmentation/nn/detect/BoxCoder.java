package org.segmentation.nn.detect;

/**
 * Encodes a box relative to a reference box as (dx, dy, dw, dh) and decodes it back, the parameterisation of
 * Girshick et al. (R-CNN, 2014) with torchvision's {@code BoxCoder} conventions: for a reference box of width w,
 * height h and centre (cx, cy) and a target of w', h', (cx', cy'),
 * <pre>
 *   dx = wx·(cx' − cx)/w,   dy = wy·(cy' − cy)/h,   dw = ww·log(w'/w),   dh = wh·log(h'/h)
 * </pre>
 * with centres at x1 + 0.5·w. Decoding divides by the weights, clamps dw and dh from above at {@code clip}
 * (default log(1000/16), so that exp cannot overflow) and returns corners centre ± 0.5·size.
 *
 * <p>torchvision uses weights (1, 1, 1, 1) in the RPN ({@link #RPN}) and (10, 10, 5, 5) in the box head
 * ({@link #ROI_HEADS}). Values are computed in double precision in the same order of operations as torchvision.
 *
 * @param wx weight of dx, positive
 * @param wy weight of dy, positive
 * @param ww weight of dw, positive
 * @param wh weight of dh, positive
 * @param clip upper bound on dw/ww and dh/wh when decoding
 */
public record BoxCoder(double wx, double wy, double ww, double wh, double clip) {
    /** torchvision's default clamp, log(1000/16). */
    public static final double DEFAULT_CLIP = Math.log(1000.0 / 16);
    /** The RPN's coder: weights (1, 1, 1, 1). */
    public static final BoxCoder RPN = new BoxCoder(1, 1, 1, 1);
    /** The box head's coder: weights (10, 10, 5, 5). */
    public static final BoxCoder ROI_HEADS = new BoxCoder(10, 10, 5, 5);

    public BoxCoder {
        if (!(wx > 0 && wy > 0 && ww > 0 && wh > 0) || !Double.isFinite(wx + wy + ww + wh)) {
            throw new IllegalArgumentException("BoxCoder weights must be positive and finite, got (" + wx + ", " + wy
                    + ", " + ww + ", " + wh + ")");
        }
        if (Double.isNaN(clip)) {
            throw new IllegalArgumentException("BoxCoder clip must not be NaN");
        }
    }

    /** Weights (wx, wy, ww, wh) with the default clamp log(1000/16). */
    public BoxCoder(double wx, double wy, double ww, double wh) {
        this(wx, wy, ww, wh, DEFAULT_CLIP);
    }

    /**
     * The deltas that take each reference box to its target box; torchvision's {@code encode_single(targets,
     * references)}. Boxes of zero width or height give infinite or NaN deltas, as in torchvision; callers pass
     * anchors and proposals of positive size.
     *
     * @param targets n boxes, the matched ground truth
     * @param references n boxes, the anchors or proposals
     * @param out receives 4n deltas (dx, dy, dw, dh) per box, or null for a new array
     * @return out
     */
    public double[] encode(double[] targets, double[] references, double[] out) {
        int n = BoxOps.count("BoxCoder.encode targets", targets);
        int m = BoxOps.count("BoxCoder.encode references", references);
        if (n != m) {
            throw new IllegalArgumentException("BoxCoder.encode: " + n + " targets for " + m + " references");
        }
        out = output("BoxCoder.encode out", out, 4 * n);
        for (int i = 0; i < n; i++) {
            int b = 4 * i;
            double exW = references[b + 2] - references[b];
            double exH = references[b + 3] - references[b + 1];
            double exX = references[b] + 0.5 * exW;
            double exY = references[b + 1] + 0.5 * exH;
            double gtW = targets[b + 2] - targets[b];
            double gtH = targets[b + 3] - targets[b + 1];
            double gtX = targets[b] + 0.5 * gtW;
            double gtY = targets[b + 1] + 0.5 * gtH;
            out[b] = wx * (gtX - exX) / exW;
            out[b + 1] = wy * (gtY - exY) / exH;
            out[b + 2] = ww * Math.log(gtW / exW);
            out[b + 3] = wh * Math.log(gtH / exH);
        }
        return out;
    }

    /**
     * Applies deltas to reference boxes; torchvision's {@code decode_single}. Each reference box may carry k sets
     * of deltas (one per class in the box head), giving k boxes.
     *
     * @param deltas n·k·4 values, row i holding k groups (dx, dy, dw, dh)
     * @param references n boxes
     * @param out receives n·k boxes, box (i, c) at {@code 4(i·k + c)}, or null for a new array
     * @return out
     */
    public double[] decode(double[] deltas, double[] references, double[] out) {
        int n = BoxOps.count("BoxCoder.decode references", references);
        if (deltas == null || n == 0 && deltas.length != 0 || n > 0 && deltas.length % (4 * n) != 0) {
            throw new IllegalArgumentException("BoxCoder.decode: expected 4·k deltas for each of " + n
                    + " reference boxes, got " + (deltas == null ? "null" : deltas.length + " values"));
        }
        int k = n == 0 ? 0 : deltas.length / (4 * n);
        out = output("BoxCoder.decode out", out, deltas.length);
        for (int i = 0; i < n; i++) {
            double w = references[4 * i + 2] - references[4 * i];
            double h = references[4 * i + 3] - references[4 * i + 1];
            double cx = references[4 * i] + 0.5 * w;
            double cy = references[4 * i + 1] + 0.5 * h;
            for (int c = 0; c < k; c++) {
                int d = 4 * (i * k + c);
                double dx = deltas[d] / wx;
                double dy = deltas[d + 1] / wy;
                double dw = Math.min(deltas[d + 2] / ww, clip);
                double dh = Math.min(deltas[d + 3] / wh, clip);
                double px = dx * w + cx;
                double py = dy * h + cy;
                double halfW = 0.5 * (Math.exp(dw) * w);
                double halfH = 0.5 * (Math.exp(dh) * h);
                out[d] = px - halfW;
                out[d + 1] = py - halfH;
                out[d + 2] = px + halfW;
                out[d + 3] = py + halfH;
            }
        }
        return out;
    }

    private static double[] output(String what, double[] out, int length) {
        if (out == null) {
            return new double[length];
        }
        if (out.length < length) {
            throw new IllegalArgumentException(what + ": expected at least " + length + " values, got "
                    + out.length);
        }
        return out;
    }
}
