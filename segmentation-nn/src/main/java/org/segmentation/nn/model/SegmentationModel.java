package org.segmentation.nn.model;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * A network that maps an image batch to per-pixel class scores, as the {@code Trainer} and the
 * {@code Predictor} see it. {@code UNet} is the library's implementation; anything else that implements this
 * contract trains and predicts the same way.
 *
 * <p>Contract, following the layers of this package: {@link #forward} caches what {@link #backward} needs in
 * fields, so one instance serves one thread at a time; {@link #backward} <em>adds</em> into the gradients of
 * {@link #parameters()}, which the caller zeroes once per step. Memory follows
 * {@link org.segmentation.nn.Memory}: the logits returned by {@link #forward} belong to the caller (the model does
 * not read them in backward, so the caller may free them once the loss is computed), the model frees what it kept
 * for backward during backward, and in evaluation mode keeps nothing.
 */
public interface SegmentationModel {
    /** Channels of the input, C. */
    int inputChannels();

    /** Output channels K: the number of classes, or 1 for a binary (sigmoid) head. */
    int outputChannels();

    /**
     * Input height and width must be multiples of this (2^depth for a U-Net); 1 when any size works.
     */
    int sizeMultiple();

    /** All trainable parameters and their gradients, one contiguous buffer each. */
    ParameterBuffer parameters();

    /**
     * Non-trainable state saved with the weights, by name (e.g. batch-norm running averages,
     * {@code "down1.bn1.running_mean"}). The arrays are live: loading writes into them.
     */
    Map<String, INDArray> buffers();

    /**
     * Restarts the random generators of the model's stochastic layers (dropout) from {@code seed}. The trainer
     * calls it before every training step with a seed derived from (run seed, step), so the masks of a step
     * depend on nothing else and a resumed run draws the same ones as an uninterrupted run. A model with
     * dropout passes a distinct seed derived from {@code seed} to each such layer
     * ({@link org.segmentation.nn.layers.Dropout#reseed}); the default, for models without randomness, does
     * nothing.
     */
    default void reseed(long seed) {
    }

    /**
     * A copy for inference in another thread: the same architecture, its own copy of this model's parameters
     * and buffers, in evaluation mode, sharing no mutable state with this model. {@code Predictor} runs one
     * forward pass per copy at a time, so that several threads predict in parallel.
     *
     * @throws UnsupportedOperationException if the model cannot be copied (the default)
     */
    default SegmentationModel inferenceCopy() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be copied for parallel"
                + " inference");
    }

    /** Training mode (batch statistics, dropout on) or evaluation mode. */
    void setTraining(boolean training);

    /**
     * @param x images (N,C,H,W), H and W multiples of {@link #sizeMultiple()}
     * @return logits (N,K,H,W)
     * @throws IllegalArgumentException naming the expected and actual shapes
     */
    INDArray forward(INDArray x);

    /**
     * Back-propagates through the last {@link #forward}, adding into the parameter gradients.
     *
     * @param dLogits gradient of the loss with respect to the logits (N,K,H,W)
     */
    void backward(INDArray dLogits);
}
