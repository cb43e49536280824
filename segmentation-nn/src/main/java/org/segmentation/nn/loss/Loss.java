package org.segmentation.nn.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/** A segmentation loss: the value and its gradient with respect to the logits in one call. */
public interface Loss {
    /**
     * @param logits (N,K,H,W) scores before softmax or sigmoid; FLOAT or DOUBLE
     * @param target what the implementation documents: class labels (N,H,W) or probabilities like the logits
     */
    LossResult compute(INDArray logits, INDArray target);

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
