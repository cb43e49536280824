package org.segmentation.nn.train;

/**
 * Training met a NaN or infinite loss or gradient norm. Thrown before the optimizer steps on it, so the
 * parameters and the optimizer's state are those after the last finite step; the batch-norm running averages
 * have already taken in the failed step's forward pass (they are updated during it). The message names the step,
 * the epoch and the dataset indices of the batch.
 */
public final class TrainingDivergedException extends IllegalStateException {
    private final long step;

    /**
     * @param step the 0-based index of the step that diverged (that many steps had completed)
     */
    public TrainingDivergedException(long step, String message, Throwable cause) {
        super(message, cause);
        this.step = step;
    }

    /** The 0-based index of the step whose loss or gradient was not finite. */
    public long step() {
        return step;
    }
}
