package org.segmentation.nn.loss;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.segmentation.nn.Memory;

import org.nd4j.linalg.api.ndarray.INDArray;

/** A segmentation loss: the value and its gradient with respect to the logits in one call. */
public interface Loss {
    /**
     * @param logits (N,K,H,W) scores before softmax or sigmoid; FLOAT or DOUBLE
     * @param target what the implementation documents: class labels (N,H,W) or probabilities like the logits
     */
    LossResult compute(INDArray logits, INDArray target);

    /**
     * {@link #compute} as a training step needs it under {@link Memory}: the computation's temporaries live in the
     * scratch workspace, and the returned gradient is a detached copy that the caller frees ({@link Memory#free})
     * once backward has read it.
     */
    default LossResult computeDetached(INDArray logits, INDArray target) {
        try (MemoryWorkspace ignored = Memory.scratch()) {
            LossResult r = compute(logits, target);
            return new LossResult(r.loss(), Memory.detachedCopy(r.dLogits()));
        }
    }

    /**
     * Refuses a NaN or infinite loss so that a training loop never steps on it.
     *
     * @throws IllegalStateException naming the value and the step
     */
    static double requireFinite(double loss, long step) {
        if (!Double.isFinite(loss)) {
            throw new IllegalStateException("loss is " + loss + " at step " + step
                    + "; refusing to train on it (check the learning rate and the input data)");
        }
        return loss;
    }
}
