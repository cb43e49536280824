package org.segmentation.nn.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The files of a model or checkpoint directory as bytes, for a Spark broadcast: read on the driver, written back
 * into a temporary directory on an executor, where the library's own loaders read them with all their checks.
 * Immutable.
 */
final class DirectoryBytes implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, byte[]> files;

    private DirectoryBytes(Map<String, byte[]> files) {
        this.files = files;
    }

    /** The named files of {@code dir}. */
    static DirectoryBytes read(Path dir, String... names) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : names) {
            files.put(name, Files.readAllBytes(dir.resolve(name)));
        }
        return new DirectoryBytes(files);
    }

    /** Total size in bytes. */
    long size() {
        return files.values().stream().mapToLong(b -> b.length).sum();
    }

    /** What a reader of a directory returns. */
    @FunctionalInterface
    interface DirectoryReader<T> {
        T read(Path dir) throws IOException;
    }

    /**
     * Writes the files into a directory {@code copy} inside a new temporary directory (so that the copy's parent
     * holds nothing else, such as a training history a loader would look for), runs {@code reader} on it, and
     * deletes both.
     */
    <T> T withCopy(String prefix, DirectoryReader<T> reader) throws IOException {
        Path tmp = Files.createTempDirectory(prefix);
        try {
            Path dir = Files.createDirectory(tmp.resolve("copy"));
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Files.write(dir.resolve(f.getKey()), f.getValue());
            }
            return reader.read(dir);
        } finally {
            deleteTree(tmp);
        }
    }

    /** Deletes a directory and everything in it. */
    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(f);
            }
        }
    }
}
