package org.segmentation.nn.detect;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;

/**
 * The region proposal network's steps between its head ({@link RpnHead}) and its losses, as torchvision's
 * {@code RegionProposalNetwork}: laying out the head's outputs in anchor order, selecting proposals, assigning
 * anchors to ground truth, and the two losses with their gradients.
 *
 * <p>Anchor order: level by level, then cell by cell (row-major), then the cell's anchors, the order of
 * {@link AnchorGenerator}; the head's objectness (N, A, H, W) and deltas (N, 4A, H, W) are read in that order
 * (torchvision's {@code concat_box_prediction_layers}).
 */
public final class Rpn {
    private Rpn() {
    }

    /**
     * Per image, the objectness logits of every anchor in anchor order.
     *
     * @param perLevel per level (N, A, H, W)
     * @return [N][anchors]
     */
    public static double[][] flattenObjectness(INDArray[] perLevel) {
        return flatten(perLevel, 1);
    }

    /**
     * Per image, the deltas (dx, dy, dw, dh) of every anchor in anchor order.
     *
     * @param perLevel per level (N, 4A, H, W)
     * @return [N][4·anchors]
     */
    public static double[][] flattenDeltas(INDArray[] perLevel) {
        return flatten(perLevel, 4);
    }

    /** The inverse of {@link #flattenObjectness}: per level (N, A, H, W) arrays shaped like {@code like}. */
    public static INDArray[] unflattenObjectness(double[][] perImage, INDArray[] like) {
        return unflatten(perImage, like, 1);
    }

    /** The inverse of {@link #flattenDeltas}: per level (N, 4A, H, W) arrays shaped like {@code like}. */
    public static INDArray[] unflattenDeltas(double[][] perImage, INDArray[] like) {
        return unflatten(perImage, like, 4);
    }

    private static double[][] flatten(INDArray[] perLevel, int per) {
        long n = perLevel[0].size(0);
        int total = 0;
        for (INDArray a : perLevel) {
            Shapes.require("Rpn head output", "(N,A·" + per + ",H,W)", a, n, Shapes.ANY, Shapes.ANY, Shapes.ANY);
            total += (int) (a.size(1) * a.size(2) * a.size(3));
        }
        double[][] out = new double[(int) n][total];
        int at = 0;
        for (INDArray a : perLevel) {
            int ch = (int) a.size(1);
            int cells = (int) (a.size(2) * a.size(3));
            int anchors = ch / per;
            Scalars s = Scalars.of(Scalars.contiguous(a));
            double[] plane = new double[ch * cells];
            for (int i = 0; i < n; i++) {
                s.get(i * ch * cells, plane, ch * cells);
                // (A, per, cells) -> (cells, A, per)
                for (int c = 0; c < cells; c++) {
                    for (int k = 0; k < anchors; k++) {
                        for (int d = 0; d < per; d++) {
                            out[i][at + (c * anchors + k) * per + d] = plane[(k * per + d) * cells + c];
                        }
                    }
                }
            }
            at += ch * cells;
        }
        return out;
    }

    private static INDArray[] unflatten(double[][] perImage, INDArray[] like, int per) {
        INDArray[] out = new INDArray[like.length];
        int at = 0;
        for (int l = 0; l < like.length; l++) {
            INDArray a = Memory.detached(like[l].dataType(), like[l].shape());
            int n = (int) a.size(0);
            int ch = (int) a.size(1);
            int cells = (int) (a.size(2) * a.size(3));
            int anchors = ch / per;
            Scalars s = Scalars.of(a);
            double[] plane = new double[ch * cells];
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < cells; c++) {
                    for (int k = 0; k < anchors; k++) {
                        for (int d = 0; d < per; d++) {
                            plane[(k * per + d) * cells + c] = perImage[i][at + (c * anchors + k) * per + d];
                        }
                    }
                }
                s.set(i * ch * cells, plane, ch * cells);
            }
            at += ch * cells;
            out[l] = a;
        }
        return out;
    }

    /** Proposals of one image, by descending score, and their scores (sigmoid of the logits). */
    public record Proposals(double[] boxes, double[] scores) {
        public int size() {
            return scores.length;
        }
    }

    /**
     * torchvision's {@code filter_proposals} for one image: decode every anchor's deltas ({@link BoxCoder#RPN}),
     * take the {@code preNmsTopN} highest logits of each level, clip to the image, drop boxes narrower or lower than
     * {@code minSize} and scores below {@code scoreThresh}, run NMS per level, keep the first {@code postNmsTopN}.
     *
     * @param objectness logits in anchor order, one per anchor
     * @param deltas 4 per anchor
     * @param anchors the image's anchors, all levels
     * @param anchorsPerLevel how many of them each level has
     */
    public static Proposals propose(double[] objectness, double[] deltas, double[] anchors, int[] anchorsPerLevel,
            int imageH, int imageW, RpnConfig config, boolean training) {
        int n = BoxOps.count("Rpn anchors", anchors);
        if (objectness.length != n || deltas.length != 4L * n || Arrays.stream(anchorsPerLevel).sum() != n) {
            throw new IllegalArgumentException("Rpn.propose: " + n + " anchors (levels "
                    + Arrays.toString(anchorsPerLevel) + ") need as many logits and 4 deltas each, got "
                    + objectness.length + " and " + deltas.length);
        }
        int preNms = training ? config.preNmsTopNTrain() : config.preNmsTopNTest();
        int postNms = training ? config.postNmsTopNTrain() : config.postNmsTopNTest();
        double[] decoded = BoxCoder.RPN.decode(deltas, anchors, null);
        int[] chosen = new int[n];
        int[] level = new int[n];
        int k = 0;
        int start = 0;
        for (int l = 0; l < anchorsPerLevel.length; l++) {
            int count = anchorsPerLevel[l];
            double[] ob = Arrays.copyOfRange(objectness, start, start + count);
            int[] order = Nms.byDescendingScore(ob);
            for (int t = 0; t < Math.min(preNms, count); t++) {
                chosen[k] = start + order[t];
                level[k++] = l;
            }
            start += count;
        }
        double[] boxes = BoxOps.clip(BoxOps.select(decoded, Arrays.copyOf(chosen, k)), imageH, imageW, null);
        int[] keep = new int[k];
        int kept = 0;
        for (int t = 0; t < k; t++) {
            double w = boxes[4 * t + 2] - boxes[4 * t];
            double h = boxes[4 * t + 3] - boxes[4 * t + 1];
            double score = sigmoid(objectness[chosen[t]]);
            if (w >= config.minSize() && h >= config.minSize() && score >= config.scoreThresh()) {
                keep[kept++] = t;
            }
        }
        keep = Arrays.copyOf(keep, kept);
        double[] kb = BoxOps.select(boxes, keep);
        double[] ks = new double[kept];
        int[] kl = new int[kept];
        for (int t = 0; t < kept; t++) {
            ks[t] = sigmoid(objectness[chosen[keep[t]]]);
            kl[t] = level[keep[t]];
        }
        int[] nms = Nms.batched(kb, ks, kl, config.nmsThresh());
        int[] top = Arrays.copyOf(nms, Math.min(postNms, nms.length));
        double[] outScores = new double[top.length];
        for (int t = 0; t < top.length; t++) {
            outScores[t] = ks[top[t]];
        }
        return new Proposals(BoxOps.select(kb, top), outScores);
    }

    /** Per anchor of one image: its label (1 object, 0 background, −1 ignored) and matched ground-truth box. */
    public record Targets(int[] labels, double[] matchedBoxes) {
    }

    /**
     * torchvision's {@code assign_targets_to_anchors} for one image: IoU matching with {@code matcher}; an image
     * without ground truth makes every anchor background (and matched boxes 0).
     */
    public static Targets assign(double[] anchors, double[] gtBoxes, Matcher matcher) {
        int n = BoxOps.count("Rpn anchors", anchors);
        int m = BoxOps.count("Rpn ground-truth boxes", gtBoxes);
        int[] labels = new int[n];
        double[] matched = new double[4 * n];
        if (m == 0) {
            return new Targets(labels, matched);
        }
        int[] match = matcher.match(BoxOps.iou(gtBoxes, anchors, null), m, n);
        for (int j = 0; j < n; j++) {
            int g = Math.max(match[j], 0);
            System.arraycopy(gtBoxes, 4 * g, matched, 4 * j, 4);
            labels[j] = match[j] >= 0 ? 1 : match[j] == Matcher.BELOW_LOW ? 0 : -1;
        }
        return new Targets(labels, matched);
    }

    /** The two RPN losses and their gradients, per image in anchor order. */
    public record Loss(double objectness, double box, double[][] dObjectness, double[][] dDeltas) {
        public double total() {
            return objectness + box;
        }
    }

    /**
     * torchvision's {@code RegionProposalNetwork.compute_loss}: over the S sampled anchors of all images,
     * objectness = mean binary cross-entropy with logits against the labels, box = Σ smooth-L1(β = 1/9) of the
     * positives' deltas against their regression targets, divided by S. With no anchor sampled both are 0.
     *
     * @param objectness per image, logits in anchor order
     * @param deltas per image, 4 per anchor
     * @param labels per image, 1 / 0 / −1 per anchor
     * @param regressionTargets per image, the encoded matched boxes, 4 per anchor
     * @param samples per image, the sampled positive and negative anchors
     */
    public static Loss loss(double[][] objectness, double[][] deltas, int[][] labels, double[][] regressionTargets,
            BalancedSampler.Sample[] samples) {
        int images = objectness.length;
        if (deltas.length != images || labels.length != images || regressionTargets.length != images
                || samples.length != images) {
            throw new IllegalArgumentException("Rpn.loss: expected the same number of images everywhere, got "
                    + images + ", " + deltas.length + ", " + labels.length + ", " + regressionTargets.length + ", "
                    + samples.length);
        }
        int sampled = 0;
        for (BalancedSampler.Sample s : samples) {
            sampled += s.positives().length + s.negatives().length;
        }
        double[][] dObj = new double[images][];
        double[][] dDel = new double[images][];
        double bce = 0;
        double box = 0;
        double beta = 1.0 / 9;
        for (int i = 0; i < images; i++) {
            dObj[i] = new double[objectness[i].length];
            dDel[i] = new double[deltas[i].length];
            if (sampled == 0) {
                continue;
            }
            for (int[] set : new int[][] {samples[i].positives(), samples[i].negatives()}) {
                for (int a : set) {
                    if (labels[i][a] < 0) {
                        throw new IllegalArgumentException("Rpn.loss: anchor " + a + " of image " + i
                                + " is sampled but ignored (label " + labels[i][a] + ")");
                    }
                    double z = objectness[i][a];
                    double y = labels[i][a] >= 1 ? 1 : 0;
                    bce += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
                    dObj[i][a] = (sigmoid(z) - y) / sampled;
                }
            }
            for (int a : samples[i].positives()) {
                for (int d = 0; d < 4; d++) {
                    double diff = deltas[i][4 * a + d] - regressionTargets[i][4 * a + d];
                    double ad = Math.abs(diff);
                    box += ad < beta ? 0.5 * diff * diff / beta : ad - 0.5 * beta;
                    dDel[i][4 * a + d] = (ad < beta ? diff / beta : Math.signum(diff)) / sampled;
                }
            }
        }
        return sampled == 0 ? new Loss(0, 0, dObj, dDel) : new Loss(bce / sampled, box / sampled, dObj, dDel);
    }

    static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }
}
