package org.segmentation.nn.optim;

/**
 * Updates every parameter of a {@link org.segmentation.nn.param.ParameterBuffer} from its gradients. Each
 * {@link #step()} is a handful of whole-buffer operations into preallocated state, so it allocates nothing.
 */
public interface Optimizer {
    /** Applies one update using the current gradients (which it does not zero). */
    void step();

    double learningRate();

    /** Sets the rate for the following steps; schedules call this once per epoch or step. */
    void setLearningRate(double learningRate);
}
