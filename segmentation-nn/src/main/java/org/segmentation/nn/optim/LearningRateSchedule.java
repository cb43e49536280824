package org.segmentation.nn.optim;

/**
 * A learning rate as a function of the epoch (or step) index, starting at 0. The factories follow PyTorch's
 * schedulers evaluated in closed form.
 */
@FunctionalInterface
public interface LearningRateSchedule {
    double rate(int epoch);

    /** base·gamma^floor(epoch/stepSize), {@code StepLR}. */
    static LearningRateSchedule step(double base, int stepSize, double gamma) {
        if (stepSize <= 0 || !(gamma > 0)) {
            throw new IllegalArgumentException("expected stepSize > 0 and gamma > 0, got " + stepSize + ", " + gamma);
        }
        return epoch -> base * Math.pow(gamma, Math.floorDiv(epoch, stepSize));
    }

    /** base·(1 − epoch/maxEpochs)^power, 0 from maxEpochs on; the "poly" policy with power 0.9 in DeepLab. */
    static LearningRateSchedule poly(double base, int maxEpochs, double power) {
        if (maxEpochs <= 0) {
            throw new IllegalArgumentException("expected maxEpochs > 0, got " + maxEpochs);
        }
        return epoch -> epoch >= maxEpochs ? 0.0 : base * Math.pow(1.0 - (double) epoch / maxEpochs, power);
    }

    /** min + (base − min)·(1 + cos(π·epoch/maxEpochs))/2, {@code CosineAnnealingLR} without restarts. */
    static LearningRateSchedule cosine(double base, int maxEpochs, double min) {
        if (maxEpochs <= 0) {
            throw new IllegalArgumentException("expected maxEpochs > 0, got " + maxEpochs);
        }
        return epoch -> epoch >= maxEpochs ? min
                : min + (base - min) * (1 + Math.cos(Math.PI * epoch / maxEpochs)) / 2;
    }

    /**
     * Linear warm-up: during the first {@code warmup} epochs after(epoch) is multiplied by a factor that rises
     * linearly from startFactor at epoch 0 to 1 at epoch {@code warmup}; from then on the rate is after(epoch).
     * This is PyTorch's {@code LinearLR} chained with {@code after}.
     */
    static LearningRateSchedule linearWarmup(LearningRateSchedule after, int warmup, double startFactor) {
        if (warmup < 0 || !(startFactor >= 0 && startFactor <= 1)) {
            throw new IllegalArgumentException("expected warmup >= 0 and startFactor in [0,1], got " + warmup
                    + ", " + startFactor);
        }
        return epoch -> epoch >= warmup ? after.rate(epoch)
                : after.rate(epoch) * (startFactor + (1 - startFactor) * epoch / (double) warmup);
    }
}
