package org.segmentation.nn.data;

import java.nio.file.Path;

/**
 * A dataset's files are missing, unreadable or inconsistent. The message names the file and the problem;
 * {@link #file()} gives the file for programs.
 */
public class DatasetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /** A problem with {@code file}, which the message should name. */
    public DatasetException(Path file, String message) {
        this(file, message, null);
    }

    /** A problem with {@code file} caused by {@code cause}. */
    public DatasetException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** The file at fault, or {@code null} when the problem is not tied to one file. */
    public Path file() {
        return file;
    }
}
