package org.segmentation.nn.detect;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;

/**
 * RoIAlign (He et al., Mask R-CNN, 2017) with torchvision's {@code ops.roi_align} conventions, forward and
 * backward. Each region of interest, a box in image pixels on one image of the batch, is scaled by
 * {@code spatialScale} into feature-map coordinates (shifted by −0.5 when {@code aligned}, so that a pixel's centre
 * sits at its index) and divided into (outH, outW) bins; each bin is the mean of a grid of bilinear samples at the
 * centres of {@code samplingRatio}² sub-cells, or of ceil(roi size / bins) sub-cells per axis when
 * {@code samplingRatio <= 0}. Without {@code aligned} a region is at least 1×1 feature cells. A sample more than
 * one cell outside the map (y &lt; −1, y &gt; H, x &lt; −1, x &gt; W) is 0; otherwise its coordinates are clamped to
 * the map. The boxes are not differentiated (torchvision detaches proposals too): backward gives only the feature
 * map's gradient, each sample scattering its bin's gradient with its four bilinear weights.
 *
 * <p>Loops over host memory ({@link Scalars}), coordinates and sums in double, the channels split over the cores
 * (the bits do not depend on how many). The output and the input gradient
 * are detached arrays owned by the caller; the cache is the input's shape and a copy of the regions.
 */
public final class RoIAlign {
    private final int outH;
    private final int outW;
    private final double spatialScale;
    private final int samplingRatio;
    private final boolean aligned;

    // cache for backward
    private long[] inputShape;   // (N,C,H,W)
    private DataType dtype;
    private double[] boxes;      // (K,4)
    private int[] batchIndex;    // (K)

    /**
     * @param outH bins per region vertically, positive
     * @param outW bins per region horizontally, positive
     * @param spatialScale feature-map cells per image pixel (1/stride), positive
     * @param samplingRatio samples per bin and axis; 0 or less for torchvision's adaptive ceil(roi size / bins)
     * @param aligned shift by half a cell (torchvision's {@code aligned=True}); Mask R-CNN in torchvision uses false
     */
    public RoIAlign(int outH, int outW, double spatialScale, int samplingRatio, boolean aligned) {
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("RoIAlign output size must be positive, got " + outH + "x" + outW);
        }
        if (!(spatialScale > 0) || !Double.isFinite(spatialScale)) {
            throw new IllegalArgumentException("RoIAlign spatial scale must be positive and finite, got "
                    + spatialScale);
        }
        this.outH = outH;
        this.outW = outW;
        this.spatialScale = spatialScale;
        this.samplingRatio = samplingRatio;
        this.aligned = aligned;
    }

    /**
     * @param x feature map (N,C,H,W), FLOAT or DOUBLE; the caller may modify it after this call
     * @param boxes K regions (x1, y1, x2, y2) in image pixels
     * @param batchIndex K image indices into x, in [0, N)
     * @return (K,C,outH,outW), a new detached array
     */
    public INDArray forward(INDArray x, double[] boxes, int[] batchIndex) {
        int k = checkRegions(x, boxes, batchIndex);
        INDArray y = Memory.detached(x.dataType(), k, x.size(1), outH, outW);
        int[] all = new int[k];
        Arrays.setAll(all, i -> i);
        forward(x, boxes, batchIndex, all, y);
        this.inputShape = x.shape();
        this.dtype = x.dataType();
        this.boxes = boxes.clone();
        this.batchIndex = batchIndex.clone();
        return y;
    }

    /**
     * @param dY gradient of the output (K,C,outH,outW)
     * @return gradient of the feature map (N,C,H,W), a new detached array
     */
    public INDArray backward(INDArray dY) {
        if (inputShape == null) {
            throw new IllegalStateException("RoIAlign.backward called before forward");
        }
        int k = batchIndex.length;
        Shapes.require("RoIAlign output gradient dY", "(K,C,outH,outW)", dY, k, inputShape[1], outH, outW);
        Shapes.requireType("RoIAlign output gradient dY", dY, dtype);
        INDArray dX = Memory.detachedZeros(dtype, inputShape);
        int[] all = new int[k];
        Arrays.setAll(all, i -> i);
        backward(dY, boxes, batchIndex, all, dX);
        inputShape = null;
        boxes = null;
        batchIndex = null;
        return dX;
    }

    /**
     * Checks the feature map and the regions.
     *
     * @return the number of regions K
     */
    static int checkRegions(INDArray x, double[] boxes, int[] batchIndex) {
        Shapes.require("RoIAlign input x", "(N,C,H,W)", x, Shapes.ANY, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        Shapes.requireFloating(x.dataType());
        int k = BoxOps.count("RoIAlign boxes", boxes);
        if (batchIndex == null || batchIndex.length != k) {
            throw new IllegalArgumentException("RoIAlign: expected " + k + " batch indices, one per box, got "
                    + (batchIndex == null ? "null" : batchIndex.length));
        }
        for (int i = 0; i < k; i++) {
            if (batchIndex[i] < 0 || batchIndex[i] >= x.size(0)) {
                throw new IllegalArgumentException("RoIAlign: box " + i + " refers to image " + batchIndex[i]
                        + " of a batch of " + x.size(0));
            }
        }
        return k;
    }

    /**
     * Pools the regions listed in {@code which} into the same rows of {@code y}.
     *
     * @param y (K,C,outH,outW), c-contiguous; rows not in {@code which} are left unchanged
     */
    void forward(INDArray x, double[] boxes, int[] batchIndex, int[] which, INDArray y) {
        x = Scalars.contiguous(x);
        int bins = outH * outW;
        Scalars xs = Scalars.of(x);
        Scalars ys = Scalars.of(y);
        eachRegionAndChannel(boxes, batchIndex, which, x.shape(), (s, plane, out, row) -> {
            for (int bin = 0; bin < bins; bin++) {
                double sum = 0;
                for (int t = s.start[bin]; t < s.start[bin + 1]; t++) {
                    sum += s.weight[t] * xs.get(plane + s.index[t]);
                }
                row[bin] = sum;
            }
            ys.set(out, row, bins);
        });
    }

    /** Adds the gradients of the regions listed in {@code which} into {@code dX} (N,C,H,W), c-contiguous. */
    void backward(INDArray dY, double[] boxes, int[] batchIndex, int[] which, INDArray dX) {
        dY = Scalars.contiguous(dY);
        int bins = outH * outW;
        Scalars ds = Scalars.of(dY);
        Scalars dxs = Scalars.of(dX);
        eachRegionAndChannel(boxes, batchIndex, which, dX.shape(), (s, plane, out, row) -> {
            ds.get(out, row, bins);
            for (int bin = 0; bin < bins; bin++) {
                double g = row[bin];
                for (int t = s.start[bin]; t < s.start[bin + 1]; t++) {
                    int at = plane + s.index[t];
                    dxs.set(at, dxs.get(at) + s.weight[t] * g);
                }
            }
        });
    }

    /** One pass's work on one region and channel, given the region's taps and the two tensors' offsets. */
    @FunctionalInterface
    private interface RegionChannelPass {
        /**
         * @param plane offset of the region's image and the channel in the (N,C,H,W) feature map
         * @param out offset of the region and channel in the (K,C,outH,outW) pooled tensor
         * @param row work array of outH·outW scalars, the thread's own
         */
        void apply(Samples taps, int plane, int out, double[] row);
    }

    /**
     * Runs {@code pass} over the regions in {@code which} and every channel of a feature map of {@code shape}: the
     * channels split into contiguous ranges, one per thread ({@link ParallelRanges#run}), each thread computing the
     * regions' taps itself. A channel's feature planes and pooled rows are touched by its own thread only, in the
     * regions' order, so the result does not depend on the number of threads.
     */
    private void eachRegionAndChannel(double[] boxes, int[] batchIndex, int[] which, long[] shape,
            RegionChannelPass pass) {
        int channels = (int) shape[1];
        int h = (int) shape[2];
        int w = (int) shape[3];
        ParallelRanges.run(channels, (from, to) -> {
            Samples s = new Samples();
            double[] row = new double[outH * outW];
            for (int r : which) {
                s.compute(boxes, r, h, w);
                for (int c = from; c < to; c++) {
                    pass.apply(s, (batchIndex[r] * channels + c) * h * w, (r * channels + c) * outH * outW, row);
                }
            }
        });
    }

    /**
     * The bilinear taps of one region: for bin b, taps start[b] .. start[b+1]−1, each a position in the H×W plane
     * and a weight that includes the 1/count of the bin's mean. Taps of samples outside the map are left out.
     */
    private final class Samples {
        int[] start = new int[outH * outW + 1];
        int[] index = new int[0];
        double[] weight = new double[0];

        void compute(double[] boxes, int r, int h, int w) {
            double offset = aligned ? 0.5 : 0;
            double x0 = boxes[4 * r] * spatialScale - offset;
            double y0 = boxes[4 * r + 1] * spatialScale - offset;
            double roiW = boxes[4 * r + 2] * spatialScale - offset - x0;
            double roiH = boxes[4 * r + 3] * spatialScale - offset - y0;
            if (!aligned) {
                roiW = Math.max(roiW, 1);
                roiH = Math.max(roiH, 1);
            }
            double binH = roiH / outH;
            double binW = roiW / outW;
            int gridH = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(roiH / outH);
            int gridW = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(roiW / outW);
            double inv = 1.0 / Math.max(gridH * gridW, 1);
            int capacity = 4 * outH * outW * Math.max(gridH, 0) * Math.max(gridW, 0);
            if (index.length < capacity) {
                index = new int[capacity];
                weight = new double[capacity];
            }
            int t = 0;
            for (int ph = 0; ph < outH; ph++) {
                for (int pw = 0; pw < outW; pw++) {
                    start[ph * outW + pw] = t;
                    for (int iy = 0; iy < gridH; iy++) {
                        double y = y0 + ph * binH + (iy + 0.5) * binH / gridH;
                        for (int ix = 0; ix < gridW; ix++) {
                            double x = x0 + pw * binW + (ix + 0.5) * binW / gridW;
                            t = taps(y, x, h, w, inv, t);
                        }
                    }
                }
            }
            start[outH * outW] = t;
        }

        /** Appends the four bilinear taps of the sample at (y, x), if it is not outside the map. */
        private int taps(double y, double x, int h, int w, double scale, int t) {
            if (y < -1.0 || y > h || x < -1.0 || x > w) {
                return t;
            }
            y = Math.max(y, 0);
            x = Math.max(x, 0);
            int yLow = (int) y;
            int xLow = (int) x;
            int yHigh;
            int xHigh;
            if (yLow >= h - 1) {
                yLow = yHigh = h - 1;
                y = yLow;
            } else {
                yHigh = yLow + 1;
            }
            if (xLow >= w - 1) {
                xLow = xHigh = w - 1;
                x = xLow;
            } else {
                xHigh = xLow + 1;
            }
            double ly = y - yLow;
            double lx = x - xLow;
            double hy = 1 - ly;
            double hx = 1 - lx;
            index[t] = yLow * w + xLow;
            weight[t++] = hy * hx * scale;
            index[t] = yLow * w + xHigh;
            weight[t++] = hy * lx * scale;
            index[t] = yHigh * w + xLow;
            weight[t++] = ly * hx * scale;
            index[t] = yHigh * w + xHigh;
            weight[t++] = ly * lx * scale;
            return t;
        }
    }

    public int outH() {
        return outH;
    }

    public int outW() {
        return outW;
    }

    public double spatialScale() {
        return spatialScale;
    }

    public int samplingRatio() {
        return samplingRatio;
    }

    public boolean aligned() {
        return aligned;
    }
}
