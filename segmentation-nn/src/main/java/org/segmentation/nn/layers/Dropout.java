package org.segmentation.nn.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Shapes;

/**
 * Inverted dropout: in training mode each element is kept with probability 1 − p and scaled by 1/(1 − p), so
 * evaluation mode is the identity. The masks come from this layer's own ND4J generator, seeded at construction,
 * so a run is reproducible and independent of other layers; they do not match PyTorch's generator.
 */
public final class Dropout {
    private final double p;
    private final Random rng;
    private boolean training = true;

    // cache for backward
    private INDArray mask; // same shape as the input, 0 or 1/(1-p); null in evaluation mode

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
        if (!training || p == 0) {
            mask = null;
            return x;
        }
        mask = Nd4j.createUninitialized(x.dataType(), x.shape());
        Nd4j.getExecutioner().exec(new BernoulliDistribution(mask, 1 - p), rng);
        mask.muli(1 / (1 - p));
        return x.mul(mask);
    }

    /** @return dY·mask, or dY itself if the last forward was the identity */
    public INDArray backward(INDArray dY) {
        if (mask == null) {
            return dY;
        }
        Shapes.requireSameShape("Dropout output gradient dY", mask, dY);
        return dY.mul(mask);
    }
}
