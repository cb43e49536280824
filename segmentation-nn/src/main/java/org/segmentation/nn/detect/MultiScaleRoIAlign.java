package org.segmentation.nn.detect;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Shapes;

/**
 * RoIAlign over a feature pyramid, torchvision's {@code MultiScaleRoIAlign}: each region is pooled from the level
 * {@link LevelMapper} assigns it by its size, with that level's scale inferred from its height against the image
 * height ({@link LevelMapper#inferScale}). torchvision's Mask R-CNN pools boxes at 7×7 and masks at 14×14, with
 * sampling ratio 2 and {@code aligned=false}, from the four finest FPN levels.
 *
 * <p>The output rows follow the order of the regions. Backward returns one gradient per level. The cache is, per
 * level, the list of regions pooled there, plus the levels' shapes and a copy of the regions.
 */
public final class MultiScaleRoIAlign {
    private final int outH;
    private final int outW;
    private final int samplingRatio;
    private final boolean aligned;

    // cache for backward
    private RoIAlign[] perLevel;
    private int[][] which;        // per level, the regions pooled there
    private long[][] shapes;      // per level (N,C,H,W)
    private DataType dtype;
    private double[] boxes;
    private int[] batchIndex;

    public MultiScaleRoIAlign(int outH, int outW, int samplingRatio, boolean aligned) {
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("MultiScaleRoIAlign output size must be positive, got " + outH + "x"
                    + outW);
        }
        this.outH = outH;
        this.outW = outW;
        this.samplingRatio = samplingRatio;
        this.aligned = aligned;
    }

    /**
     * @param features the pyramid's levels, finest first, each (N,C,H_l,W_l) with the same N, C and data type
     * @param boxes K regions (x1, y1, x2, y2) in image pixels
     * @param batchIndex K image indices in [0, N)
     * @param imageH the height that the levels' scales are measured against: the largest image height in the
     *     batch before padding, as in torchvision
     * @return (K,C,outH,outW), a new detached array
     */
    public INDArray forward(INDArray[] features, double[] boxes, int[] batchIndex, int imageH) {
        if (features == null || features.length == 0) {
            throw new IllegalArgumentException("MultiScaleRoIAlign: expected at least one feature map");
        }
        int k = RoIAlign.checkRegions(features[0], boxes, batchIndex);
        long n = features[0].size(0);
        long c = features[0].size(1);
        DataType dt = features[0].dataType();
        double[] scales = new double[features.length];
        for (int l = 0; l < features.length; l++) {
            Shapes.require("MultiScaleRoIAlign level " + l, "(N,C,H,W)", features[l], n, c, Shapes.ANY, Shapes.ANY);
            Shapes.requireType("MultiScaleRoIAlign level " + l, features[l], dt);
            scales[l] = LevelMapper.inferScale((int) features[l].size(2), imageH);
        }
        LevelMapper mapper = LevelMapper.forScales(scales);
        if (mapper.levels() != features.length) {
            throw new IllegalArgumentException("MultiScaleRoIAlign: the scales " + Arrays.toString(scales)
                    + " inferred from the feature heights span " + mapper.levels() + " levels, but "
                    + features.length + " feature maps were given");
        }
        int[] level = mapper.levels(boxes);
        INDArray y = Memory.detachedZeros(dt, k, c, outH, outW);
        perLevel = new RoIAlign[features.length];
        which = new int[features.length][];
        shapes = new long[features.length][];
        for (int l = 0; l < features.length; l++) {
            final int lv = l;
            which[l] = java.util.stream.IntStream.range(0, k).filter(i -> level[i] == lv).toArray();
            perLevel[l] = new RoIAlign(outH, outW, scales[l], samplingRatio, aligned);
            perLevel[l].forward(features[l], boxes, batchIndex, which[l], y);
            shapes[l] = features[l].shape();
        }
        this.dtype = dt;
        this.boxes = boxes.clone();
        this.batchIndex = batchIndex.clone();
        return y;
    }

    /**
     * @param dY gradient of the output (K,C,outH,outW)
     * @return per level, the gradient of its feature map, new detached arrays
     */
    public INDArray[] backward(INDArray dY) {
        if (perLevel == null) {
            throw new IllegalStateException("MultiScaleRoIAlign.backward called before forward");
        }
        Shapes.require("MultiScaleRoIAlign output gradient dY", "(K,C,outH,outW)", dY, batchIndex.length,
                shapes[0][1], outH, outW);
        Shapes.requireType("MultiScaleRoIAlign output gradient dY", dY, dtype);
        INDArray[] dX = new INDArray[perLevel.length];
        for (int l = 0; l < perLevel.length; l++) {
            dX[l] = Memory.detachedZeros(dtype, shapes[l]);
            perLevel[l].backward(dY, boxes, batchIndex, which[l], dX[l]);
        }
        perLevel = null;
        which = null;
        shapes = null;
        boxes = null;
        batchIndex = null;
        return dX;
    }

    /** The level (0 = finest) each region of the last forward was pooled from. */
    public int[] lastLevels() {
        if (which == null) {
            throw new IllegalStateException("MultiScaleRoIAlign.lastLevels called before forward");
        }
        int[] out = new int[batchIndex.length];
        for (int l = 0; l < which.length; l++) {
            for (int i : which[l]) {
                out[i] = l;
            }
        }
        return out;
    }
}
