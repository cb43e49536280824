package org.segmentation.nn.train;

import java.nio.file.Path;

/**
 * Receives a {@link Trainer}'s progress on the training thread. Every method has an empty default, so a
 * listener implements only what it shows. A listener must not modify the model or the optimizer; an exception it
 * throws ends the run.
 *
 * <p>A progress bar has what it needs in {@link StepEnd}: the step and the total (fraction done), the loss and
 * the rate, the step's duration (iterations per second) and the elapsed time (with the fraction, the ETA).
 */
public interface TrainingListener {
    /**
     * One optimizer step done.
     *
     * @param step steps completed so far in the whole run, from 1 (counted across a resume)
     * @param totalSteps the number of steps the run will take if it is not stopped early
     * @param epoch the current epoch, from 0
     * @param batchInEpoch the batch index in this epoch, from 0
     * @param batchesPerEpoch batches per epoch
     * @param loss the batch's loss
     * @param learningRate the rate this step used
     * @param gradientNorm the global L2 norm of the gradients before clipping
     * @param stepNanos the wall time of this step, batch loading included
     * @param elapsedNanos wall time since this {@link Trainer#fit} call started (not counting earlier runs)
     * @param stepsThisRun steps taken since this {@code fit} call started, for a rate over {@code elapsedNanos}
     */
    record StepEnd(long step, long totalSteps, int epoch, int batchInEpoch, int batchesPerEpoch, double loss,
            double learningRate, double gradientNorm, long stepNanos, long elapsedNanos, long stepsThisRun) {
        /** Steps per second over this run so far. */
        public double stepsPerSecond() {
            return elapsedNanos == 0 ? Double.NaN : stepsThisRun * 1e9 / elapsedNanos;
        }

        /** Estimated seconds to {@code totalSteps} at this run's average rate. */
        public double etaSeconds() {
            return (totalSteps - step) / stepsPerSecond();
        }
    }

    /**
     * An epoch completed.
     *
     * @param epoch the epoch index, from 0
     * @param step steps completed so far
     * @param meanLoss the mean of this epoch's batch losses (over the batches of this run if it resumed mid-epoch)
     * @param elapsedNanos wall time since {@code fit} started
     */
    record EpochEnd(int epoch, long step, double meanLoss, long elapsedNanos) {
    }

    /** Which checkpoint was written. */
    enum CheckpointKind {
        /** {@code last/}: the latest position, to resume from. */
        LAST,
        /** {@code best/}: the best validation result so far. */
        BEST
    }

    /**
     * A checkpoint was written.
     *
     * @param kind last or best
     * @param dir its directory
     * @param epoch completed epochs at the save
     * @param step completed steps at the save
     */
    record CheckpointSaved(CheckpointKind kind, Path dir, long epoch, long step) {
    }

    /**
     * Training stopped because the monitored metric stopped improving.
     *
     * @param step steps completed
     * @param epoch completed epochs, or the epoch in progress when validation runs every N steps
     * @param best the best value of the monitored metric
     * @param bestStep the step at which it was reached
     * @param validationsWithoutImprovement the count that reached the patience
     */
    record EarlyStop(long step, long epoch, double best, long bestStep, int validationsWithoutImprovement) {
    }

    default void onStepEnd(StepEnd e) {
    }

    default void onEpochEnd(EpochEnd e) {
    }

    default void onValidation(ValidationResult r) {
    }

    default void onCheckpoint(CheckpointSaved e) {
    }

    default void onEarlyStop(EarlyStop e) {
    }
}
