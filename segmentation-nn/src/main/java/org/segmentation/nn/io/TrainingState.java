package org.segmentation.nn.io;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where training stopped, saved in a {@link Checkpoint} so that a resumed run continues exactly.
 *
 * @param epoch the number of completed epochs, {@code >= 0}
 * @param step the number of completed optimizer steps, {@code >= 0}
 * @param rngState the trainer's random state in whatever text form it restores from (a seed in decimal, for
 *     instance); opaque to this package
 * @param extra any further trainer fields (learning-rate schedule, best validation score, ...); an empty
 *     object when there are none. Owned by the record's user: do not modify it after saving.
 */
public record TrainingState(long epoch, long step, String rngState, ObjectNode extra) {
    /** Checks the fields. */
    public TrainingState {
        if (epoch < 0 || step < 0) {
            throw new IllegalArgumentException("epoch " + epoch + " and step " + step + " must be >= 0");
        }
        if (rngState == null || extra == null) {
            throw new IllegalArgumentException("rngState and extra must not be null");
        }
    }
}
