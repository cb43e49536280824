package org.segmentation.core.segment;

/**
 * Adds a user's segmenters to the command line without changing this library: implement this interface, list
 * the implementing class in {@code META-INF/services/org.segmentation.core.segment.SegmenterProvider} of a jar,
 * and put the jar on the class path of {@code seg}; {@link SegmenterRegistry#registerProviders} finds it with
 * {@link java.util.ServiceLoader}. The class needs a public no-argument constructor.
 */
public interface SegmenterProvider {
    /** Registers this provider's segmenters, e.g. {@code registry.register("mine", "...", Mine::new)}. */
    void registerAll(SegmenterRegistry registry);
}
