package org.segmentation.nn.spark;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.segmentation.core.io.ImageFormatException;

/**
 * Decodes the {@code content} of a {@code binaryFile} row with one of the library's file readers
 * ({@link org.segmentation.core.io.ImageFiles}), so that every format, limit and typed error is the one machine's:
 * the bytes go to a file in a task's temporary folder, the reader reads it, the file is deleted.
 */
final class BinaryImages {
    /** A reader of a local file, such as {@code ImageFiles::readLabels}. */
    @FunctionalInterface
    interface Reader<T> {
        T read(Path file) throws IOException;
    }

    private BinaryImages() {
    }

    /**
     * The image {@code content} read from {@code uri}.
     *
     * @param tmp a folder of the calling task's own; the copy is named as the input, so the folder must not hold
     *     two copies at once (the tasks call this for one row at a time)
     * @throws ImageFormatException naming {@code uri} (not the copy) if the reader refuses the content
     * @throws IOException if the copy cannot be written
     */
    static <T> T read(String uri, byte[] content, Path tmp, Reader<T> reader) throws IOException {
        Path local = tmp.resolve(fileName(uri));
        try {
            Files.write(local, content);
            return reader.read(local);
        } catch (ImageFormatException e) {
            String m = e.getMessage();
            String problem = m.startsWith(local + ": ") ? m.substring(local.toString().length() + 2) : m;
            throw new ImageFormatException(path(uri), problem, e.getCause());
        } finally {
            Files.deleteIfExists(local);
        }
    }

    /** The last segment of a URI or path. */
    static String fileName(String uri) {
        return uri.substring(uri.lastIndexOf('/') + 1);
    }

    /** The name without its extension. */
    static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /** A local path for a {@code file:} URI; the URI's text as a path otherwise, for messages. */
    static Path path(String uri) {
        try {
            URI u = new URI(uri);
            if ("file".equals(u.getScheme())) {
                return Path.of(u);
            }
        } catch (URISyntaxException | IllegalArgumentException e) {
            // not a well-formed URI (e.g. a space in a Hadoop path): named as it is
        }
        return Path.of(uri);
    }
}
