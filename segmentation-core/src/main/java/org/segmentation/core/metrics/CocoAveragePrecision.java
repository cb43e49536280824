package org.segmentation.core.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.segment.InstanceSegmentation;

/**
 * COCO-style average precision of scored detections (Lin et al., Microsoft COCO, 2014), as the reference
 * evaluation code ({@code pycocotools} {@code COCOeval}, area range "all") defines it: per image and category, the
 * detections by descending score (at most {@code maxDetections}) are matched greedily, each to the unmatched ground
 * truth of highest IoU at or above the threshold (crowd ground truths may take several detections, and a detection
 * matched to a crowd is ignored, neither true nor false positive); then per category, over all images, the
 * precision-recall curve of the detections by score is made monotone and read at the 101 recall points 0, 0.01,
 * ..., 1 (0 past the highest recall). AP is that mean over the ten IoU thresholds 0.5, 0.55, ..., 0.95; AP50 and
 * AP75 are its values at 0.5 and 0.75. The mean over categories leaves out categories without any (non-crowd)
 * ground truth, as COCO does.
 *
 * <p>Callers add one (image, category) at a time with the IoU matrix of its detections and ground truths
 * ({@link #boxIou}, {@link #maskIou} compute COCO's, where IoU with a crowd is intersection over the detection's
 * area). Add images in ascending image id to break score ties as COCO does (a stable sort over images in id order).
 */
public final class CocoAveragePrecision {
    /** The IoU thresholds, as numpy's {@code linspace(.5, .95, 10)} computes them. */
    public static final double[] IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
    /** The recall points, {@code linspace(0, 1, 101)}. */
    public static final double[] RECALL_POINTS = linspace(0, 1, 101);

    private final int maxDetections;
    private final Map<Integer, List<ImageEval>> perCategory = new TreeMap<>();

    /** COCO's default of 100 detections per image and category. */
    public CocoAveragePrecision() {
        this(100);
    }

    public CocoAveragePrecision(int maxDetections) {
        if (maxDetections <= 0) {
            throw new IllegalArgumentException("maxDetections must be positive, got " + maxDetections);
        }
        this.maxDetections = maxDetections;
    }

    /** One image's matching for one category: per threshold, which detections are true positives or ignored. */
    private record ImageEval(double[] scores, boolean[][] matched, boolean[][] ignored, int positives) {
    }

    /**
     * Adds one image's detections and ground truths of one category.
     *
     * @param scores the detections' scores, any order
     * @param iou [detection][ground truth] IoU, rows in the order of {@code scores}
     * @param crowd per ground truth, whether it is a crowd region (ignored)
     */
    public void add(int category, double[] scores, double[][] iou, boolean[] crowd) {
        int nd = scores.length;
        int ng = crowd.length;
        if (iou.length != nd) {
            throw new IllegalArgumentException("CocoAveragePrecision: " + nd + " scores but " + iou.length
                    + " IoU rows");
        }
        for (int d = 0; d < nd; d++) {
            if (iou[d].length != ng || Double.isNaN(scores[d])) {
                throw new IllegalArgumentException("CocoAveragePrecision: detection " + d + " has " + iou[d].length
                        + " IoU values for " + ng + " ground truths, score " + scores[d]);
            }
        }
        if (nd == 0 && ng == 0) {
            return;
        }
        // ground truths: non-crowd first, stable
        Integer[] gOrder = new Integer[ng];
        for (int g = 0; g < ng; g++) {
            gOrder[g] = g;
        }
        Arrays.sort(gOrder, (a, b) -> Boolean.compare(crowd[a], crowd[b]));
        Integer[] dOrder = new Integer[nd];
        for (int d = 0; d < nd; d++) {
            dOrder[d] = d;
        }
        Arrays.sort(dOrder, (a, b) -> Double.compare(scores[b], scores[a]));
        int kept = Math.min(nd, maxDetections);
        double[] s = new double[kept];
        for (int k = 0; k < kept; k++) {
            s[k] = scores[dOrder[k]];
        }
        int t = IOU_THRESHOLDS.length;
        boolean[][] matched = new boolean[t][kept];
        boolean[][] ignored = new boolean[t][kept];
        for (int ti = 0; ti < t; ti++) {
            boolean[] gtTaken = new boolean[ng];
            for (int k = 0; k < kept; k++) {
                double best = Math.min(IOU_THRESHOLDS[ti], 1 - 1e-10);
                int m = -1;
                for (int gi = 0; gi < ng; gi++) {
                    int g = gOrder[gi];
                    if (gtTaken[gi] && !crowd[g]) {
                        continue;
                    }
                    if (m > -1 && !crowd[gOrder[m]] && crowd[g]) {
                        break;
                    }
                    double v = iou[dOrder[k]][g];
                    if (v < best) {
                        continue;
                    }
                    best = v;
                    m = gi;
                }
                if (m == -1) {
                    continue;
                }
                ignored[ti][k] = crowd[gOrder[m]];
                matched[ti][k] = true;
                gtTaken[m] = true;
            }
        }
        int positives = 0;
        for (boolean c : crowd) {
            positives += c ? 0 : 1;
        }
        perCategory.computeIfAbsent(category, c -> new ArrayList<>()).add(new ImageEval(s, matched, ignored,
                positives));
    }

    /**
     * Adds one image's instances by mask IoU ({@link #maskIou}): for each category that has detections or ground
     * truth in the image, its detections against its ground truths.
     *
     * @param detections scored instances; each one's mask is its pixels in the label map
     * @param truth the ground truth (scores ignored), of the same size
     * @param crowd per ground-truth instance, whether it is a crowd region; null for none
     * @throws IllegalArgumentException if the sizes differ or {@code crowd} has another length
     */
    public void addMasks(InstanceSegmentation detections, InstanceSegmentation truth, boolean[] crowd) {
        detections.labels().checkSameShape(truth.labels(), "ground-truth label map");
        addMasks(detections.classes(), detections.scores(), pixels(detections), truth.classes(), pixels(truth),
                crowd == null ? new boolean[truth.size()] : crowd);
    }

    /**
     * Adds one image's instances, given as flat masks of one size (e.g. ground truth whose instances overlap, as
     * COCO's may): per category present, {@link #add} with their {@link #maskIou}.
     */
    public void addMasks(int[] detClasses, double[] detScores, boolean[][] detMasks, int[] truthClasses,
            boolean[][] truthMasks, boolean[] crowd) {
        if (detScores.length != detClasses.length || detMasks.length != detClasses.length
                || truthMasks.length != truthClasses.length || crowd.length != truthClasses.length) {
            throw new IllegalArgumentException("CocoAveragePrecision.addMasks: " + detClasses.length + " classes, "
                    + detScores.length + " scores, " + detMasks.length + " masks of detections; "
                    + truthClasses.length + " classes, " + truthMasks.length + " masks, " + crowd.length
                    + " crowd flags of ground truth");
        }
        java.util.SortedSet<Integer> categories = new java.util.TreeSet<>();
        Arrays.stream(detClasses).forEach(categories::add);
        Arrays.stream(truthClasses).forEach(categories::add);
        for (int c : categories) {
            int[] d = indicesOf(detClasses, c);
            int[] g = indicesOf(truthClasses, c);
            double[] s = new double[d.length];
            boolean[][] dm = new boolean[d.length][];
            for (int k = 0; k < d.length; k++) {
                s[k] = detScores[d[k]];
                dm[k] = detMasks[d[k]];
            }
            boolean[][] gm = new boolean[g.length][];
            boolean[] gc = new boolean[g.length];
            for (int k = 0; k < g.length; k++) {
                gm[k] = truthMasks[g[k]];
                gc[k] = crowd[g[k]];
            }
            add(c, s, maskIou(dm, gm, gc), gc);
        }
    }

    private static int[] indicesOf(int[] classes, int c) {
        return java.util.stream.IntStream.range(0, classes.length).filter(i -> classes[i] == c).toArray();
    }

    /** Each instance's pixels as a flat row-major array. */
    private static boolean[][] pixels(InstanceSegmentation inst) {
        LabelMap l = inst.labels();
        boolean[][] out = new boolean[inst.size()][l.width * l.height];
        for (int y = 0; y < l.height; y++) {
            for (int x = 0; x < l.width; x++) {
                int v = l.unsafe_get(x, y);
                if (v > 0) {
                    out[v - 1][y * l.width + x] = true;
                }
            }
        }
        return out;
    }

    /**
     * The AP of one category.
     *
     * @param ap mean precision over thresholds and recall points
     * @param ap50 at IoU 0.5
     * @param ap75 at IoU 0.75
     * @param precision [threshold][recall point]
     */
    public record CategoryAp(int category, double ap, double ap50, double ap75, double[][] precision) {
    }

    /** Per category (those with ground truth) and their means; the means are −1 without any category. */
    public record Result(Map<Integer, CategoryAp> perCategory, double ap, double ap50, double ap75) {
    }

    public Result compute() {
        Map<Integer, CategoryAp> out = new LinkedHashMap<>();
        for (Map.Entry<Integer, List<ImageEval>> e : perCategory.entrySet()) {
            CategoryAp c = category(e.getKey(), e.getValue());
            if (c != null) {
                out.put(e.getKey(), c);
            }
        }
        if (out.isEmpty()) {
            return new Result(out, -1, -1, -1);
        }
        double ap = out.values().stream().mapToDouble(CategoryAp::ap).average().orElseThrow();
        double ap50 = out.values().stream().mapToDouble(CategoryAp::ap50).average().orElseThrow();
        double ap75 = out.values().stream().mapToDouble(CategoryAp::ap75).average().orElseThrow();
        return new Result(out, ap, ap50, ap75);
    }

    private static CategoryAp category(int category, List<ImageEval> images) {
        int npig = images.stream().mapToInt(ImageEval::positives).sum();
        if (npig == 0) {
            return null;
        }
        int nd = images.stream().mapToInt(i -> i.scores().length).sum();
        double[] scores = new double[nd];
        int[] image = new int[nd];
        int[] index = new int[nd];
        for (int i = 0, at = 0; i < images.size(); i++) {
            for (int k = 0; k < images.get(i).scores().length; k++, at++) {
                scores[at] = images.get(i).scores()[k];
                image[at] = i;
                index[at] = k;
            }
        }
        Integer[] order = new Integer[nd];
        for (int d = 0; d < nd; d++) {
            order[d] = d;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));   // stable, as numpy's mergesort
        double eps = Math.ulp(1.0);
        double[][] precision = new double[IOU_THRESHOLDS.length][RECALL_POINTS.length];
        for (int t = 0; t < IOU_THRESHOLDS.length; t++) {
            double[] rc = new double[nd];
            double[] pr = new double[nd];
            double tp = 0;
            double fp = 0;
            int n = 0;
            for (int o = 0; o < nd; o++) {
                ImageEval ie = images.get(image[order[o]]);
                int k = index[order[o]];
                if (ie.ignored()[t][k]) {
                    continue;   // neither a true nor a false positive: its cumulative sums repeat
                }
                if (ie.matched()[t][k]) {
                    tp++;
                } else {
                    fp++;
                }
                rc[n] = tp / npig;
                pr[n] = tp / (fp + tp + eps);
                n++;
            }
            // pycocotools keeps ignored detections in the cumulative sums as repeats of the previous values; a
            // repeat changes neither the monotone envelope nor the first index reaching a recall point
            for (int i = n - 1; i > 0; i--) {
                if (pr[i] > pr[i - 1]) {
                    pr[i - 1] = pr[i];
                }
            }
            for (int r = 0; r < RECALL_POINTS.length; r++) {
                int i = 0;
                while (i < n && rc[i] < RECALL_POINTS[r]) {
                    i++;
                }
                precision[t][r] = i < n ? pr[i] : 0;
            }
        }
        double ap = Arrays.stream(precision).flatMapToDouble(Arrays::stream).average().orElseThrow();
        int t75 = 5;
        return new CategoryAp(category, ap, Arrays.stream(precision[0]).average().orElseThrow(),
                Arrays.stream(precision[t75]).average().orElseThrow(), precision);
    }

    /**
     * COCO's box IoU for boxes (x1, y1, x2, y2): intersection over union, or over the detection's area for a crowd
     * ground truth.
     *
     * @return [detection][ground truth]
     */
    public static double[][] boxIou(double[] detections, double[] truths, boolean[] crowd) {
        if (detections.length % 4 != 0 || truths.length % 4 != 0 || crowd.length != truths.length / 4) {
            throw new IllegalArgumentException("boxIou: expected 4 values per box and one crowd flag per ground"
                    + " truth, got " + detections.length + ", " + truths.length + " and " + crowd.length);
        }
        int nd = detections.length / 4;
        int ng = truths.length / 4;
        double[][] out = new double[nd][ng];
        for (int d = 0; d < nd; d++) {
            double ad = (detections[4 * d + 2] - detections[4 * d]) * (detections[4 * d + 3] - detections[4 * d + 1]);
            for (int g = 0; g < ng; g++) {
                double ag = (truths[4 * g + 2] - truths[4 * g]) * (truths[4 * g + 3] - truths[4 * g + 1]);
                double w = Math.min(detections[4 * d + 2], truths[4 * g + 2]) - Math.max(detections[4 * d],
                        truths[4 * g]);
                double h = Math.min(detections[4 * d + 3], truths[4 * g + 3]) - Math.max(detections[4 * d + 1],
                        truths[4 * g + 1]);
                double inter = w > 0 && h > 0 ? w * h : 0;
                double union = crowd[g] ? ad : ad + ag - inter;
                out[d][g] = union > 0 ? inter / union : 0;
            }
        }
        return out;
    }

    /**
     * COCO's mask IoU for binary masks of one image (each a flat array of the same length).
     *
     * @return [detection][ground truth]
     */
    public static double[][] maskIou(boolean[][] detections, boolean[][] truths, boolean[] crowd) {
        if (crowd.length != truths.length) {
            throw new IllegalArgumentException("maskIou: " + truths.length + " ground truths, " + crowd.length
                    + " crowd flags");
        }
        double[][] out = new double[detections.length][truths.length];
        for (int d = 0; d < detections.length; d++) {
            for (int g = 0; g < truths.length; g++) {
                if (detections[d].length != truths[g].length) {
                    throw new IllegalArgumentException("maskIou: detection " + d + " has " + detections[d].length
                            + " pixels, ground truth " + g + " has " + truths[g].length);
                }
                int inter = 0;
                int ad = 0;
                int uni = 0;
                for (int p = 0; p < truths[g].length; p++) {
                    boolean a = detections[d][p];
                    boolean b = truths[g][p];
                    inter += a && b ? 1 : 0;
                    ad += a ? 1 : 0;
                    uni += a || b ? 1 : 0;
                }
                int union = crowd[g] ? ad : uni;
                out[d][g] = union > 0 ? (double) inter / union : 0;
            }
        }
        return out;
    }

    /** numpy's {@code linspace(start, stop, num)}: start + i·step with step = (stop − start)/(num − 1), the last stop. */
    private static double[] linspace(double start, double stop, int num) {
        double step = (stop - start) / (num - 1);
        double[] v = new double[num];
        for (int i = 0; i < num; i++) {
            v[i] = i * step + start;
        }
        v[num - 1] = stop;
        return v;
    }
}
