package org.segmentation.nn.model;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.layers.MaxPool2d;
import org.segmentation.nn.layers.NearestUpsample;
import org.segmentation.nn.layers.StridedConv2d;
import org.segmentation.nn.param.Init;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * A feature pyramid network (Lin et al., 2017) as torchvision's {@code ops.FeaturePyramidNetwork} with
 * {@code LastLevelMaxPool}: for backbone levels C_0 (finest) .. C_{L−1}, a lateral 1×1 convolution of each to
 * {@code outChannels}, a top-down path inner_{L−1} = lateral_{L−1}(C_{L−1}) and inner_i = lateral_i(C_i) +
 * nearest(inner_{i+1}) resized to C_i's size, and a 3×3 output convolution P_i of each inner_i; optionally an
 * extra level, P_{L−1} max-pooled with a 1×1 window and stride 2 (torchvision's "pool").
 *
 * <p>Names are torchvision's under a prefix: {@code inner_blocks.i.0.weight/bias} and
 * {@code layer_blocks.i.0.weight/bias}. Weights start as torchvision's, kaiming_uniform(a=1), with zero biases.
 * {@link #forward} returns new detached arrays owned by the
 * caller; the network frees its own intermediates in {@link #backward}. The inputs are kept by reference until
 * {@link #backward}.
 */
public final class Fpn {
    private final int levels;
    private final int outChannels;
    private final boolean extraPool;
    private final StridedConv2d[] inner;
    private final StridedConv2d[] layer;
    private final NearestUpsample[] up;       // up[i] resizes inner_{i+1} to level i
    private final MaxPool2d pool = new MaxPool2d(1, 2, 0);
    private boolean training = true;

    // kept by forward for backward
    private INDArray[] innerOut;   // inner_i, the input of layer[i]
    private INDArray[] laterals;   // lateral_i(C_i) for i < L−1, summed in place into inner_i (same array)
    private INDArray[] ups;        // nearest(inner_{i+1}) at level i

    /**
     * @param prefix prepended to the parameter names, e.g. {@code "backbone.fpn."}
     * @param inChannels channels of C_0 .. C_{L−1}
     * @param outChannels channels of every output level (torchvision: 256)
     * @param extraPool whether to add the max-pooled extra level
     */
    public Fpn(ParameterBuffer.Builder params, String prefix, int[] inChannels, int outChannels, boolean extraPool,
            Random rng) {
        if (inChannels == null || inChannels.length == 0 || outChannels <= 0) {
            throw new IllegalArgumentException("Fpn: expected at least one input level and positive output channels,"
                    + " got " + java.util.Arrays.toString(inChannels) + " and " + outChannels);
        }
        this.levels = inChannels.length;
        this.outChannels = outChannels;
        this.extraPool = extraPool;
        inner = new StridedConv2d[levels];
        layer = new StridedConv2d[levels];
        up = new NearestUpsample[levels];
        // torchvision: kaiming_uniform(a=1), i.e. uniform on ±sqrt(3 / fan in), and zero biases
        for (int i = 0; i < levels; i++) {
            inner[i] = new StridedConv2d(params, prefix + "inner_blocks." + i + ".0", inChannels[i], outChannels, 1,
                    1, 1, 1, 0, 0, StridedConv2d.COLUMN_CHUNK, Init.uniform(rng, Math.sqrt(3.0 / inChannels[i])),
                    Init.constant(0));
            up[i] = new NearestUpsample();
        }
        for (int i = 0; i < levels; i++) {
            layer[i] = new StridedConv2d(params, prefix + "layer_blocks." + i + ".0", outChannels, outChannels, 3, 3,
                    1, 1, 1, 1, StridedConv2d.COLUMN_CHUNK, Init.uniform(rng, Math.sqrt(3.0 / (9.0 * outChannels))),
                    Init.constant(0));
        }
    }

    /** In evaluation mode forward keeps nothing for backward and frees its intermediates at once. */
    public void setTraining(boolean training) {
        this.training = training;
    }

    /** Output levels: the inputs' count, plus one with the extra pooled level. */
    public int outputLevels() {
        return levels + (extraPool ? 1 : 0);
    }

    public int outChannels() {
        return outChannels;
    }

    /**
     * @param c the backbone's levels, finest first, each (N, inChannels[i], H_i, W_i)
     * @return P_0 .. P_{L−1} (N, outChannels, H_i, W_i), then the pooled level if configured
     */
    public INDArray[] forward(INDArray[] c) {
        if (c == null || c.length != levels) {
            throw new IllegalArgumentException("Fpn: expected " + levels + " input levels, got "
                    + (c == null ? "null" : c.length));
        }
        for (int i = 1; i < levels; i++) {
            Shapes.require("Fpn level " + i, "(N,C,H,W)", c[i], c[0].size(0), Shapes.ANY, Shapes.ANY, Shapes.ANY);
        }
        innerOut = new INDArray[levels];
        ups = new INDArray[levels];
        INDArray[] p = new INDArray[outputLevels()];
        innerOut[levels - 1] = inner[levels - 1].forward(c[levels - 1]);
        for (int i = levels - 2; i >= 0; i--) {
            INDArray lateral = inner[i].forward(c[i]);
            ups[i] = up[i].forward(innerOut[i + 1], (int) lateral.size(2), (int) lateral.size(3));
            innerOut[i] = lateral.addi(ups[i]);
            Memory.free(ups[i]);   // the upsampling's backward needs only shapes
            ups[i] = null;
        }
        for (int i = 0; i < levels; i++) {
            p[i] = layer[i].forward(innerOut[i]);
        }
        if (extraPool) {
            p[levels] = pool.forward(p[levels - 1]);
        }
        if (!training) {
            Memory.free(innerOut);
            innerOut = null;
        }
        return p;
    }

    /**
     * Adds the parameter gradients into the buffer and frees the network's intermediates.
     *
     * @param dP gradients of the outputs, as {@link #forward} returned them (null entries count as zero)
     * @return gradients of the inputs C_0 .. C_{L−1}, new detached arrays
     */
    public INDArray[] backward(INDArray[] dP) {
        if (innerOut == null) {
            throw new IllegalStateException("Fpn.backward called before a training-mode forward");
        }
        if (dP == null || dP.length != outputLevels()) {
            throw new IllegalArgumentException("Fpn.backward: expected " + outputLevels() + " output gradients, got "
                    + (dP == null ? "null" : dP.length));
        }
        INDArray[] dC = new INDArray[levels];
        INDArray dTop = dP[levels - 1];
        boolean ownTop = false;
        if (extraPool && dP[levels] != null) {
            INDArray dPool = pool.backward(dP[levels]);
            dTop = dTop == null ? dPool : dPool.addi(dTop);
            ownTop = true;
        }
        INDArray fromBelow = null;   // gradient reaching inner_i through the upsampling of level i−1
        for (int i = 0; i < levels; i++) {
            INDArray g = i == levels - 1 ? dTop : dP[i];
            INDArray dInner = g == null ? Memory.detachedZeros(innerOut[i].dataType(), innerOut[i].shape())
                    : layer[i].backward(g);
            if (i == levels - 1 && ownTop) {
                Memory.free(dTop);
            }
            if (fromBelow != null) {
                dInner.addi(fromBelow);
                Memory.free(fromBelow);
            }
            dC[i] = inner[i].backward(dInner);
            fromBelow = i < levels - 1 ? up[i].backward(dInner) : null;
            Memory.free(dInner, innerOut[i]);
        }
        innerOut = null;
        return dC;
    }
}
