package org.segmentation.nn.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reports progress through SLF4J at INFO: every N-th step, every epoch, validation, checkpoint, early stop. */
public final class LoggingListener implements TrainingListener {
    private static final Logger LOG = LoggerFactory.getLogger(LoggingListener.class);

    private final long everySteps;

    /** @param everySteps log one step in this many (and the last of the run), at least 1 */
    public LoggingListener(long everySteps) {
        if (everySteps < 1) {
            throw new IllegalArgumentException("everySteps must be at least 1, got " + everySteps);
        }
        this.everySteps = everySteps;
    }

    @Override
    public void onStepEnd(StepEnd e) {
        if (e.step() % everySteps == 0 || e.step() == e.totalSteps()) {
            LOG.info(String.format(java.util.Locale.ROOT, "step %d/%d epoch %d loss %.5f lr %.3g grad-norm %.3g %.2f it/s ETA %.0f s",
                    e.step(), e.totalSteps(), e.epoch(), e.loss(), e.learningRate(), e.gradientNorm(),
                    e.stepsPerSecond(), e.etaSeconds()));
        }
    }

    @Override
    public void onEpochEnd(EpochEnd e) {
        LOG.info(String.format(java.util.Locale.ROOT, "epoch %d done at step %d: mean loss %.5f, %.1f s", e.epoch(), e.step(),
                e.meanLoss(), e.elapsedNanos() / 1e9));
    }

    @Override
    public void onValidation(ValidationResult r) {
        if (!Double.isNaN(r.maskAp()) || !Double.isNaN(r.maskAp50())) {
            LOG.info(String.format(java.util.Locale.ROOT, "validation at step %d: mask AP %.4f AP50 %.4f", r.step(),
                    r.maskAp(), r.maskAp50()));
            return;
        }
        LOG.info(String.format(java.util.Locale.ROOT, "validation at step %d: loss %.5f mIoU %.4f Dice %.4f pixel accuracy %.4f", r.step(),
                r.loss(), r.meanIoU(), r.meanDice(), r.pixelAccuracy()));
    }

    @Override
    public void onCheckpoint(CheckpointSaved e) {
        LOG.info("{} checkpoint at step {} saved to {}", e.kind(), e.step(), e.dir());
    }

    @Override
    public void onEarlyStop(EarlyStop e) {
        LOG.info(String.format(java.util.Locale.ROOT, "early stop at step %d: %d validations without improvement, best %.5f at step %d",
                e.step(), e.validationsWithoutImprovement(), e.best(), e.bestStep()));
    }
}
