package org.segmentation.nn.io;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.segmentation.core.io.DType;
import org.segmentation.core.io.Tensor;

/**
 * The contents of one safetensors file: named {@link Tensor}s in order and the {@code __metadata__} strings.
 * Immutable (the tensors' arrays are shared, see {@link Tensor}). Equality compares the tensors by name and the
 * metadata, not the order or {@link #source()}.
 */
public final class TensorFile {
    /** The header key the format reserves for the metadata; no tensor may have this name. */
    public static final String METADATA_KEY = "__metadata__";

    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private final Path source;

    /**
     * Tensors (iteration order kept) and metadata (may be empty); the maps are copied.
     *
     * @throws IllegalArgumentException if a name, key or value is null or a tensor is named {@link #METADATA_KEY}
     */
    public TensorFile(Map<String, Tensor> tensors, Map<String, String> metadata) {
        this(tensors, metadata, null);
    }

    TensorFile(Map<String, Tensor> tensors, Map<String, String> metadata, Path source) {
        LinkedHashMap<String, Tensor> t = new LinkedHashMap<>();
        tensors.forEach((name, tensor) -> {
            if (name == null || tensor == null) {
                throw new IllegalArgumentException("null tensor name or tensor: " + name);
            }
            if (name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor may not be named " + METADATA_KEY);
            }
            t.put(name, tensor);
        });
        LinkedHashMap<String, String> m = new LinkedHashMap<>();
        metadata.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException("null metadata key or value: " + k + "=" + v);
            }
            m.put(k, v);
        });
        this.tensors = Collections.unmodifiableMap(t);
        this.metadata = Collections.unmodifiableMap(m);
        this.source = source;
    }

    /** A builder that keeps tensors in insertion order. */
    public static Builder builder() {
        return new Builder();
    }

    /** The tensors by name, read-only, in insertion order (file order for a file that was read). */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} strings, read-only. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The file this was read from, or {@code null}; used in error messages only. */
    public Path source() {
        return source;
    }

    /** The tensor named {@code name}, or {@code null}. */
    public Tensor get(String name) {
        return tensors.get(name);
    }

    /**
     * The tensor named {@code name}, checked to have {@code dtype} and {@code shape}: the usual first step of a
     * model restoring its parameters.
     *
     * @throws ModelFormatException naming {@link #source()} and the tensor if it is missing or differs
     */
    public Tensor require(String name, DType dtype, long... shape) throws ModelFormatException {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(source, name, "missing (expected " + dtype + Arrays.toString(shape)
                    + ")");
        }
        if (t.dtype() != dtype || !t.hasShape(shape)) {
            throw new ModelFormatException(source, name, "is " + t + ", expected " + dtype
                    + Arrays.toString(shape));
        }
        return t;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorFile && tensors.equals(((TensorFile) o).tensors)
                && metadata.equals(((TensorFile) o).metadata);
    }

    @Override
    public int hashCode() {
        return 31 * tensors.hashCode() + metadata.hashCode();
    }

    @Override
    public String toString() {
        return "TensorFile" + tensors + (metadata.isEmpty() ? "" : " metadata=" + metadata);
    }

    /** Collects tensors (in insertion order) and metadata. */
    public static final class Builder {
        private final LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
        private final LinkedHashMap<String, String> metadata = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Adds {@code tensor} as {@code name}.
         *
         * @throws IllegalArgumentException if the name is already used
         */
        public Builder put(String name, Tensor tensor) {
            if (tensors.containsKey(name)) {
                throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
            }
            tensors.put(name, tensor);
            return this;
        }

        /** Sets metadata {@code key} to {@code value}. */
        public Builder meta(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        /** The file. */
        public TensorFile build() {
            return new TensorFile(tensors, metadata);
        }
    }
}
