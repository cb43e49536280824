package org.segmentation.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Views that let ND4J's implicit broadcasting combine an (N,C,H,W) tensor with a per-channel vector (C) or a
 * per-pixel map (N,H,W). In-place ops on the full tensor with these views (e.g. {@code x.subi(perChannel(mean))})
 * measured about 10× faster than {@code Broadcast.sub(x, mean, out, 1)}, ND4J's dimension-based broadcast op.
 */
public final class Bcast {
    private Bcast() {
    }

    /** v (C) as a (1,C,1,1) view. */
    public static INDArray perChannel(INDArray v) {
        return v.reshape(1, v.length(), 1, 1);
    }

    /** m (N,H,W) as an (N,1,H,W) view. */
    public static INDArray perPixel(INDArray m) {
        return m.reshape(m.size(0), 1, m.size(1), m.size(2));
    }
}
