package org.segmentation.nn.train;

/**
 * How a {@link Trainer#fit} call ended.
 *
 * @param steps optimizer steps completed in total (across resumes)
 * @param epochs epochs completed in total
 * @param stoppedEarly whether early stopping ended the run
 * @param best the best value of the monitored metric, NaN if there was no validation
 * @param bestStep the step of {@code best}, -1 if none
 * @param lastValidation the last validation result, or {@code null}
 * @param history everything recorded (the trainer's own instance, not a copy)
 */
public record TrainingResult(long steps, int epochs, boolean stoppedEarly, double best, long bestStep,
        ValidationResult lastValidation, TrainingHistory history) {
}
