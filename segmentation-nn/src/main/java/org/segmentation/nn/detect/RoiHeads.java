package org.segmentation.nn.detect;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;

/**
 * The box and mask heads' targets, losses and inference, as torchvision's {@code RoIHeads} functions, for one image
 * at a time (the losses over all images): {@link #assign} and {@link #select} ({@code select_training_samples}),
 * {@link #boxLoss} ({@code fastrcnn_loss}), {@link #maskTargets} ({@code project_masks_on_boxes}),
 * {@link #maskLoss} ({@code maskrcnn_loss}) and {@link #detect} ({@code postprocess_detections}). Classes are
 * 0 = background, 1..K−1 objects. Box regression uses {@link BoxCoder#ROI_HEADS}, weights (10, 10, 5, 5).
 */
public final class RoiHeads {
    private RoiHeads() {
    }

    /** Per proposal: its class (0 background, −1 ignored) and its ground-truth index (0 when unmatched). */
    public record Assignment(int[] labels, int[] matchedIdx) {
    }

    /**
     * The proposals with the ground-truth boxes appended, as torchvision trains the box head on both.
     */
    public static double[] withGroundTruth(double[] proposals, double[] gtBoxes) {
        BoxOps.count("RoiHeads proposals", proposals);
        BoxOps.count("RoiHeads ground-truth boxes", gtBoxes);
        double[] out = Arrays.copyOf(proposals, proposals.length + gtBoxes.length);
        System.arraycopy(gtBoxes, 0, out, proposals.length, gtBoxes.length);
        return out;
    }

    /**
     * torchvision's {@code assign_targets_to_proposals}: match each proposal to a ground truth by IoU; its label is
     * that ground truth's class, 0 below the background threshold, −1 between the thresholds. Without ground truth
     * every proposal is background.
     *
     * @param gtLabels one class in [1, K) per ground-truth box
     */
    public static Assignment assign(double[] proposals, double[] gtBoxes, int[] gtLabels, Matcher matcher) {
        int n = BoxOps.count("RoiHeads proposals", proposals);
        int m = BoxOps.count("RoiHeads ground-truth boxes", gtBoxes);
        if (gtLabels == null || gtLabels.length != m) {
            throw new IllegalArgumentException("RoiHeads.assign: expected " + m + " ground-truth labels, got "
                    + (gtLabels == null ? "null" : gtLabels.length));
        }
        for (int i = 0; i < m; i++) {
            if (gtLabels[i] < 1) {
                throw new IllegalArgumentException("RoiHeads.assign: ground-truth " + i + " has class " + gtLabels[i]
                        + "; object classes start at 1 (0 is background)");
            }
        }
        int[] labels = new int[n];
        int[] idx = new int[n];
        if (m == 0 || n == 0) {
            return new Assignment(labels, idx);
        }
        int[] match = matcher.match(BoxOps.iou(gtBoxes, proposals, null), m, n);
        for (int j = 0; j < n; j++) {
            idx[j] = Math.max(match[j], 0);
            labels[j] = match[j] >= 0 ? gtLabels[match[j]] : match[j] == Matcher.BELOW_LOW ? 0 : -1;
        }
        return new Assignment(labels, idx);
    }

    /** The sampled proposals of one image, ascending in proposal index, with their training targets. */
    public record Selection(int[] indices, double[] boxes, int[] labels, int[] matchedIdx,
            double[] regressionTargets) {
        public int size() {
            return indices.length;
        }
    }

    /**
     * The sampled proposals (positives and negatives together, in ascending index order as torchvision orders them)
     * and their regression targets against their matched ground truth (a zero box for an image without any).
     */
    public static Selection select(double[] proposals, double[] gtBoxes, Assignment a, BalancedSampler.Sample s) {
        int[] idx = new int[s.positives().length + s.negatives().length];
        System.arraycopy(s.positives(), 0, idx, 0, s.positives().length);
        System.arraycopy(s.negatives(), 0, idx, s.positives().length, s.negatives().length);
        Arrays.sort(idx);
        double[] boxes = BoxOps.select(proposals, idx);
        int[] labels = new int[idx.length];
        int[] matched = new int[idx.length];
        double[] gt = new double[4 * idx.length];
        for (int k = 0; k < idx.length; k++) {
            labels[k] = a.labels()[idx[k]];
            matched[k] = a.matchedIdx()[idx[k]];
            if (gtBoxes.length > 0) {
                System.arraycopy(gtBoxes, 4 * matched[k], gt, 4 * k, 4);
            }
        }
        return new Selection(idx, boxes, labels, matched, BoxCoder.ROI_HEADS.encode(gt, boxes, null));
    }

    /** The box head's losses and their gradients. */
    public record BoxLoss(double classification, double box, double[] dLogits, double[] dRegression) {
    }

    /**
     * torchvision's {@code fastrcnn_loss} over S sampled proposals of all images: classification = mean softmax
     * cross-entropy of the logits against the labels; box = Σ smooth-L1(β = 1/9) of each positive's deltas for its
     * own class against its targets, divided by S.
     *
     * @param logits S·K class logits, row-major
     * @param regression S·4K deltas, class c's at 4c .. 4c+3 of a row
     * @param labels S classes in [0, K)
     * @param targets S·4 regression targets
     */
    public static BoxLoss boxLoss(double[] logits, double[] regression, int[] labels, double[] targets) {
        int s = labels.length;
        if (s == 0 || logits.length % s != 0) {
            throw new IllegalArgumentException("RoiHeads.boxLoss: expected K logits for each of " + s
                    + " proposals (at least one), got " + logits.length);
        }
        int k = logits.length / s;
        if (regression.length != 4L * k * s || targets.length != 4L * s) {
            throw new IllegalArgumentException("RoiHeads.boxLoss: expected " + 4 * k * s + " deltas and " + 4 * s
                    + " targets, got " + regression.length + " and " + targets.length);
        }
        double[] dLogits = new double[logits.length];
        double[] dReg = new double[regression.length];
        double ce = 0;
        double box = 0;
        double beta = 1.0 / 9;
        for (int i = 0; i < s; i++) {
            int y = labels[i];
            if (y < 0 || y >= k) {
                throw new IllegalArgumentException("RoiHeads.boxLoss: label " + y + " of proposal " + i
                        + " is outside [0, " + k + ")");
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                max = Math.max(max, logits[i * k + c]);
            }
            double sum = 0;
            for (int c = 0; c < k; c++) {
                sum += Math.exp(logits[i * k + c] - max);
            }
            double logZ = max + Math.log(sum);
            ce += logZ - logits[i * k + y];
            for (int c = 0; c < k; c++) {
                dLogits[i * k + c] = (Math.exp(logits[i * k + c] - logZ) - (c == y ? 1 : 0)) / s;
            }
            if (y > 0) {
                for (int d = 0; d < 4; d++) {
                    double diff = regression[(i * k + y) * 4 + d] - targets[4 * i + d];
                    double ad = Math.abs(diff);
                    box += ad < beta ? 0.5 * diff * diff / beta : ad - 0.5 * beta;
                    dReg[(i * k + y) * 4 + d] = (ad < beta ? diff / beta : Math.signum(diff)) / s;
                }
            }
        }
        return new BoxLoss(ce / s, box / s, dLogits, dReg);
    }

    /**
     * torchvision's {@code project_masks_on_boxes}: each proposal's ground-truth mask RoIAligned to m×m over the
     * proposal's box (scale 1, adaptive sampling, not aligned).
     *
     * @param gtMasks (G, H, W) the image's ground-truth masks, 0/1
     * @param boxes P proposal boxes
     * @param matchedIdx P ground-truth indices in [0, G)
     * @return (P, m, m), a new detached array of the masks' data type
     */
    public static INDArray maskTargets(INDArray gtMasks, double[] boxes, int[] matchedIdx, int m) {
        Shapes.require("RoiHeads ground-truth masks", "(G,H,W)", gtMasks, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        int p = BoxOps.count("RoiHeads mask boxes", boxes);
        INDArray x = gtMasks.reshape(gtMasks.size(0), 1, gtMasks.size(1), gtMasks.size(2));
        INDArray t = new RoIAlign(m, m, 1.0, 0, false).forward(x, boxes, matchedIdx);
        return t.reshape(p, m, m);
    }

    /** The mask loss and the gradient of the mask logits. */
    public record MaskLoss(double loss, INDArray dLogits) {
    }

    /**
     * torchvision's {@code maskrcnn_loss}: mean binary cross-entropy with logits of each positive proposal's mask
     * logits for its own class against its target; 0 (and a zero gradient) without positives.
     *
     * @param logits (P, K, m, m)
     * @param labels P classes in [1, K)
     * @param targets (P, m, m) in [0, 1]
     */
    public static MaskLoss maskLoss(INDArray logits, int[] labels, INDArray targets) {
        Shapes.require("RoiHeads mask logits", "(P,K,m,m)", logits, labels.length, Shapes.ANY, Shapes.ANY,
                Shapes.ANY);
        int p = labels.length;
        int k = (int) logits.size(1);
        int mm = (int) (logits.size(2) * logits.size(3));
        Shapes.require("RoiHeads mask targets", "(P,m,m)", targets, p, logits.size(2), logits.size(3));
        INDArray d = Memory.detachedZeros(logits.dataType(), logits.shape());
        if (p == 0) {
            return new MaskLoss(0, d);
        }
        Scalars ls = Scalars.of(Scalars.contiguous(logits));
        Scalars ts = Scalars.of(Scalars.contiguous(targets.castTo(logits.dataType())));
        Scalars ds = Scalars.of(d);
        double[] z = new double[mm];
        double[] y = new double[mm];
        double loss = 0;
        double n = (double) p * mm;
        for (int i = 0; i < p; i++) {
            if (labels[i] < 1 || labels[i] >= k) {
                throw new IllegalArgumentException("RoiHeads.maskLoss: label " + labels[i] + " of proposal " + i
                        + " is outside [1, " + k + ")");
            }
            int at = (i * k + labels[i]) * mm;
            ls.get(at, z, mm);
            ts.get(i * mm, y, mm);
            for (int j = 0; j < mm; j++) {
                loss += Math.max(z[j], 0) - z[j] * y[j] + Math.log1p(Math.exp(-Math.abs(z[j])));
                z[j] = (Rpn.sigmoid(z[j]) - y[j]) / n;
            }
            ds.set(at, z, mm);
        }
        return new MaskLoss(loss / n, d);
    }

    /** Detections of one image, by descending score. */
    public record Detections(double[] boxes, double[] scores, int[] labels) {
        public int size() {
            return labels.length;
        }
    }

    /**
     * torchvision's {@code postprocess_detections} for one image: decode every class's box, softmax the logits,
     * clip to the image, drop the background class, scores at or below the threshold and boxes under 0.01 pixels,
     * per-class NMS, keep the best {@code detectionsPerImage}.
     *
     * @param logits P·K class logits
     * @param regression P·4K deltas
     * @param proposals P boxes
     */
    public static Detections detect(double[] logits, double[] regression, double[] proposals, int imageH,
            int imageW, RoiHeadsConfig config) {
        int p = BoxOps.count("RoiHeads proposals", proposals);
        if (p == 0) {
            return new Detections(new double[0], new double[0], new int[0]);
        }
        int k = logits.length / p;
        if (logits.length != (long) k * p || regression.length != 4L * k * p || k < 2) {
            throw new IllegalArgumentException("RoiHeads.detect: expected K >= 2 logits and 4K deltas for each of "
                    + p + " proposals, got " + logits.length + " and " + regression.length);
        }
        double[] boxes = BoxOps.clip(BoxCoder.ROI_HEADS.decode(regression, proposals, null), imageH, imageW, null);
        int cand = p * (k - 1);
        double[] cb = new double[4 * cand];
        double[] cs = new double[cand];
        int[] cl = new int[cand];
        int n = 0;
        for (int i = 0; i < p; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                max = Math.max(max, logits[i * k + c]);
            }
            double sum = 0;
            for (int c = 0; c < k; c++) {
                sum += Math.exp(logits[i * k + c] - max);
            }
            for (int c = 1; c < k; c++) {
                double score = Math.exp(logits[i * k + c] - max) / sum;
                int b = 4 * (i * k + c);
                if (score > config.scoreThresh() && boxes[b + 2] - boxes[b] >= 1e-2
                        && boxes[b + 3] - boxes[b + 1] >= 1e-2) {
                    System.arraycopy(boxes, b, cb, 4 * n, 4);
                    cs[n] = score;
                    cl[n++] = c;
                }
            }
        }
        cb = Arrays.copyOf(cb, 4 * n);
        cs = Arrays.copyOf(cs, n);
        cl = Arrays.copyOf(cl, n);
        int[] keep = Nms.batched(cb, cs, cl, config.nmsThresh());
        keep = Arrays.copyOf(keep, Math.min(keep.length, config.detectionsPerImage()));
        double[] s = new double[keep.length];
        int[] l = new int[keep.length];
        for (int t = 0; t < keep.length; t++) {
            s[t] = cs[keep[t]];
            l[t] = cl[keep[t]];
        }
        return new Detections(BoxOps.select(cb, keep), s, l);
    }
}
