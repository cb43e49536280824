package org.segmentation.nn.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Shapes;

/**
 * Inverted dropout: in training mode each element is kept with probability 1 − p and scaled by 1/(1 − p), so
 * evaluation mode is the identity. The masks come from this layer's own ND4J generator, seeded at construction,
 * so a run is reproducible and independent of other layers; they do not match PyTorch's generator.
 *
 * <p>The mask is the layer's own detached array, reused while the input shape stays the same; the output and dX
 * are detached arrays owned by the caller ({@link Memory}), except in evaluation mode, where forward returns x.
 */
public final class Dropout {
    private final double p;
    private final Random rng;
    private boolean training = true;

    // cache for backward
    private INDArray mask; // same shape as the input, 0 or 1/(1-p)
    private boolean masked; // whether the last forward applied the mask

    public Dropout(double p, long seed) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("expected dropout probability in [0, 1), got " + p);
        }
        this.p = p;
        this.rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
    }

    /**
     * Restarts the mask generator from {@code seed}: the masks that follow equal those of a new layer built with
     * this seed. The trainer reseeds before every step from (run seed, step), so a resumed run draws the same
     * masks as an uninterrupted one.
     */
    public void reseed(long seed) {
        rng.setSeed(seed);
    }

    public void setTraining(boolean training) {
        this.training = training;
    }

    /** @return x·mask in training mode, x itself in evaluation mode */
    public INDArray forward(INDArray x) {
        masked = training && p != 0;
        if (!masked) {
            return x;
        }
        if (mask == null || mask.dataType() != x.dataType() || !java.util.Arrays.equals(mask.shape(), x.shape())) {
            Memory.free(mask);
            mask = Memory.detached(x.dataType(), x.shape());
        }
        Nd4j.getExecutioner().exec(new BernoulliDistribution(mask, 1 - p), rng);
        mask.muli(1 / (1 - p));
        return Memory.detachedCopy(x).muli(mask);
    }

    /** @return dY·mask, or dY itself if the last forward was the identity */
    public INDArray backward(INDArray dY) {
        if (!masked) {
            return dY;
        }
        Shapes.requireSameShape("Dropout output gradient dY", mask, dY);
        return Memory.detachedCopy(dY).muli(mask);
    }
}
