package org.segmentation.core.segment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * Segmenters by name, for the command line: each name maps to a factory that makes a fresh segmenter, so that
 * one with work buffers or a loaded model is created only when asked for. The classic algorithms register
 * themselves through {@code org.segmentation.classic.segment.ClassicSegmenters#registry()}, the registry the
 * {@code seg evaluate} command offers together with the {@link SegmenterProvider}s on the class path; other
 * segmenters are added with {@link #register}.
 */
public final class SegmenterRegistry {
    /** A registered name, what it does in one line, and how to make it. */
    public record Entry(String name, String description, Supplier<Segmenter> factory) {
        /** @throws IllegalArgumentException if the name is blank or has white space */
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(factory, "factory");
            if (name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("a segmenter name must be one word, got '" + name + "'");
            }
        }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /** An empty registry. */
    public SegmenterRegistry() {
    }

    /** {@link Baselines#meanThreshold()} and {@link Baselines#allBackground()} under their names. */
    public SegmenterRegistry registerBaselines() {
        return register(Baselines.MEAN_THRESHOLD, "foreground above the image's mean gray value (baseline)",
                Baselines::meanThreshold)
                .register(Baselines.ALL_BACKGROUND, "class 0 everywhere (baseline)", Baselines::allBackground);
    }

    /**
     * Adds a segmenter; the factory's segmenters should report {@code name} as their name.
     *
     * @return this registry
     * @throws IllegalArgumentException if the name is taken or not one word
     */
    public SegmenterRegistry register(String name, String description, Supplier<Segmenter> factory) {
        Entry entry = new Entry(name, description, factory);
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("a segmenter named '" + name + "' is already registered");
        }
        entries.put(name, entry);
        return this;
    }

    /**
     * Lets every {@link SegmenterProvider} that {@code loader} finds register its segmenters.
     *
     * @return this registry
     * @throws IllegalStateException naming the problem if a provider cannot be loaded or instantiated
     * @throws IllegalArgumentException if a provider registers a name that is taken
     */
    public SegmenterRegistry registerProviders(ClassLoader loader) {
        try {
            for (SegmenterProvider provider : ServiceLoader.load(SegmenterProvider.class, loader)) {
                provider.registerAll(this);
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("cannot load a segmenter provider: " + e.getMessage(), e);
        }
        return this;
    }

    /** The registered names in registration order. */
    public List<String> names() {
        return new ArrayList<>(entries.keySet());
    }

    /** The registered entries in registration order. */
    public List<Entry> entries() {
        return new ArrayList<>(entries.values());
    }

    /** Whether {@code name} is registered. */
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /**
     * A new segmenter of the given name.
     *
     * @throws IllegalArgumentException naming the unknown name and listing the known ones
     */
    public Segmenter create(String name) {
        Entry entry = entries.get(name);
        if (entry == null) {
            throw new IllegalArgumentException("unknown algorithm '" + name + "'; known: "
                    + String.join(", ", entries.keySet()));
        }
        return entry.factory().get();
    }
}
