package org.segmentation.nn.data;

import java.util.random.RandomGenerator;

/**
 * A random transformation applied jointly to a sample's image, target and instance map, so that they stay
 * aligned. Implementations never modify their input: they return new images (or the input's, for maps they do
 * not change), and draw every random number from {@code rng}, so the result is a pure function of the input and
 * the generator's state.
 *
 * @see AugmentationPipeline
 * @see Augmentations
 */
@FunctionalInterface
public interface Augmentation {
    /** The transformed sample; {@code sample} is not modified. */
    Sample apply(Sample sample, RandomGenerator rng);
}
