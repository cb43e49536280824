package org.segmentation.nn.train;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.data.Batch;
import org.segmentation.nn.data.BatchLoader;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * What a {@link Trainer} trains: a network, the loss it is trained with, and how a {@link Batch} becomes its
 * input and targets. The trainer owns everything around a step (data order, optimizer, clipping, schedules,
 * checkpoints, resume, history, early stopping); a {@code Trainable} does one forward and backward pass and one
 * validation. Two exist: {@link DenseTrainable} (a per-pixel {@link org.segmentation.nn.model.SegmentationModel}
 * and a {@link org.segmentation.nn.loss.Loss}) and {@link MaskRCNNTrainable}.
 *
 * <p>Contract: {@link #trainStep} <em>adds</em> into the gradients of {@link #parameters()}, which the trainer
 * zeroes before it, and depends only on the batch, the weights and buffers, and the seed it is given, so that a
 * resumed run repeats the uninterrupted one. One thread at a time.
 */
public interface Trainable {
    /** All trainable parameters and their gradients; the optimizer must be built on this buffer. */
    ParameterBuffer parameters();

    /**
     * Non-trainable state saved with the weights by name (batch-norm running averages); live arrays that
     * loading writes into. With the parameters' names these are the checkpoint's tensor names.
     */
    Map<String, INDArray> buffers();

    /** Training mode (batch statistics, dropout) or evaluation mode. */
    void setTraining(boolean training);

    /**
     * Refuses a dataset the network cannot train or be validated on.
     *
     * @param what "training set" or "validation set", for the message
     * @throws IllegalArgumentException naming the mismatch (channels, classes, missing instance labels)
     */
    void checkDataset(String what, SegmentationDataset data);

    /**
     * One forward pass, the loss and the backward pass adding into the gradients. A non-finite loss is returned
     * as it is (a per-pixel model then skips the backward pass; the gradients are not used), and the trainer
     * stops the run before any optimizer step.
     *
     * @param batch the batch, after augmentation
     * @param seed everything random in the step (dropout masks, sampled anchors and proposals) is drawn from it;
     *     the trainer derives it from the run's seed and the step number
     * @return the loss of the batch
     * @throws IllegalArgumentException if the batch does not fit the network (its size, its targets)
     */
    double trainStep(Batch batch, long seed);

    /**
     * Scores the network on validation batches in evaluation mode (and leaves it in evaluation mode).
     *
     * @param loader the validation set, unshuffled and unaugmented; its epoch 0 is read
     * @param step recorded in the result
     * @param epoch recorded in the result
     */
    ValidationResult validate(BatchLoader loader, long step, long epoch);
}
