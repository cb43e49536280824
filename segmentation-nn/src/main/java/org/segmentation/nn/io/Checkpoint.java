package org.segmentation.nn.io;

/**
 * A training checkpoint as stored by {@link ModelFiles}: the model, the optimizer's state and where training
 * stopped. A checkpoint directory is also a model directory ({@link ModelFiles#loadModel} reads its model).
 *
 * @param model the architecture and weights
 * @param optimizer the optimizer's tensors (moment estimates, step counts, ...) under names the optimizer
 *     chooses, e.g. {@code "exp_avg.down1.conv1.weight"}; its metadata may hold scalar hyper-parameters
 * @param state the training position
 */
public record Checkpoint(SavedModel model, TensorFile optimizer, TrainingState state) {
    /** Checks the fields are present. */
    public Checkpoint {
        if (model == null || optimizer == null || state == null) {
            throw new IllegalArgumentException("model, optimizer and state must not be null");
        }
    }
}
