package org.segmentation.core.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file could not be read as an image or array: it is missing, of an unknown format, truncated, corrupt,
 * declares a size beyond the configured limit, or (for {@code .npy}) has a bad header, dtype or shape.
 *
 * <p>The message always starts with the file, then says what is wrong, e.g.
 * {@code "/data/a.png: truncated: chunk IDAT declares 8192 bytes but the file ends after 100"}.
 */
public class ImageFormatException extends IOException {
    private final transient Path file;

    /** A problem with {@code file}; {@code problem} says what is wrong. */
    public ImageFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** A problem with {@code file} found by a decoder, which is kept as the cause. */
    public ImageFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file that could not be read. */
    public Path file() {
        return file;
    }
}
