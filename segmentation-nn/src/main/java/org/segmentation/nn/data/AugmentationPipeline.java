package org.segmentation.nn.data;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Augmentations applied in order, each with its own probability. For each step one uniform number is drawn and
 * the step runs when it is below the step's probability; the random stream is the one given to
 * {@link #apply}, so a pipeline is deterministic for a seed.
 */
public final class AugmentationPipeline implements Augmentation {
    /** One step: apply {@code augmentation} with probability {@code probability}. */
    public record Step(Augmentation augmentation, double probability) {
        /** @throws IllegalArgumentException unless {@code 0 <= probability <= 1} */
        public Step {
            if (augmentation == null) {
                throw new NullPointerException("augmentation");
            }
            if (!(probability >= 0 && probability <= 1)) {
                throw new IllegalArgumentException("probability must be in [0, 1], got " + probability);
            }
        }
    }

    private final List<Step> steps;

    /** A pipeline of the given steps, in order. */
    public AugmentationPipeline(List<Step> steps) {
        this.steps = List.copyOf(steps);
    }

    /** A builder to which steps are added in order. */
    public static Builder builder() {
        return new Builder();
    }

    /** The steps, in order. */
    public List<Step> steps() {
        return steps;
    }

    @Override
    public Sample apply(Sample sample, RandomGenerator rng) {
        Sample s = sample;
        for (Step step : steps) {
            if (rng.nextDouble() < step.probability()) {
                s = step.augmentation().apply(s, rng);
            }
        }
        return s;
    }

    /** Collects steps for an {@link AugmentationPipeline}. */
    public static final class Builder {
        private final List<Step> steps = new ArrayList<>();

        private Builder() {
        }

        /** Adds a step that always runs. */
        public Builder add(Augmentation augmentation) {
            return add(augmentation, 1.0);
        }

        /** Adds a step that runs with the given probability. */
        public Builder add(Augmentation augmentation, double probability) {
            steps.add(new Step(augmentation, probability));
            return this;
        }

        /** The pipeline of the steps added so far. */
        public AugmentationPipeline build() {
            return new AugmentationPipeline(steps);
        }
    }
}
