package org.segmentation.nn.optim;

import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * Updates every parameter of a {@link org.segmentation.nn.param.ParameterBuffer} from its gradients. Each
 * {@link #step()} is a handful of whole-buffer operations into preallocated state, so it allocates nothing.
 */
public interface Optimizer {
    /** The buffer whose parameters this optimizer updates, from its gradients. */
    ParameterBuffer parameters();

    /** Applies one update using the current gradients (which it does not zero). */
    void step();

    double learningRate();

    /** Sets the rate for the following steps; schedules call this once per epoch or step. */
    void setLearningRate(double learningRate);

    /**
     * A copy of everything a later {@link #step()} depends on besides the parameters and gradients: moment
     * vectors as tensors named as in PyTorch's optimizer state ({@code "exp_avg"}, {@code "momentum_buffer"}, ...,
     * each one flat vector over the whole parameter buffer), the step count, the learning rate and the
     * optimizer's kind in the metadata. What a checkpoint stores ({@link org.segmentation.nn.io.Checkpoint}).
     */
    TensorFile state();

    /**
     * Restores a {@link #state()} taken from an optimizer of the same kind over a buffer of the same length, so
     * that the following steps equal those the saved optimizer would have taken. All or nothing: everything is
     * checked before anything is written.
     *
     * @throws ModelFormatException naming the tensor or metadata key that is missing or does not fit (another
     *     kind of optimizer, another buffer length or dtype)
     */
    void loadState(TensorFile state) throws ModelFormatException;
}
