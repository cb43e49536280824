package org.segmentation.nn.io;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A model as stored by {@link ModelFiles}: its architecture and its weights.
 *
 * @param config the architecture fields of {@code config.json}, without the {@code format_version} and
 *     {@code save_id} that {@link ModelFiles} adds; owned by the model that defines them
 * @param weights the tensors of {@code model.safetensors} (parameters and buffers such as batch-norm running
 *     statistics), without the {@code save_id} metadata entry
 */
public record SavedModel(ObjectNode config, TensorFile weights) {
    /** Checks the fields are present. */
    public SavedModel {
        if (config == null || weights == null) {
            throw new IllegalArgumentException("config and weights must not be null");
        }
    }
}
