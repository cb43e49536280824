package org.segmentation.nn.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model, checkpoint, training history or safetensors file is malformed, inconsistent or of an unsupported
 * version. The message names the file and, when one is at fault, the tensor; {@link #file()} and
 * {@link #tensor()} give them to programs.
 */
public class ModelFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;

    /**
     * A problem in {@code file} (may be {@code null}) with {@code tensor} (may be {@code null}); the message is
     * prefixed with both.
     */
    public ModelFormatException(Path file, String tensor, String problem) {
        this(file, tensor, problem, null);
    }

    /** As {@link #ModelFormatException(Path, String, String)}, caused by {@code cause}. */
    public ModelFormatException(Path file, String tensor, String problem, Throwable cause) {
        super(describe(file, tensor, problem), cause);
        this.file = file;
        this.tensor = tensor;
    }

    /** The file at fault, or {@code null} when the data did not come from a file. */
    public Path file() {
        return file;
    }

    /** The tensor at fault, or {@code null} when the problem is not tied to one tensor. */
    public String tensor() {
        return tensor;
    }

    private static String describe(Path file, String tensor, String problem) {
        StringBuilder b = new StringBuilder();
        b.append(file == null ? "<no file>" : file.toString());
        if (tensor != null) {
            b.append(": tensor '").append(tensor).append('\'');
        }
        return b.append(": ").append(problem).toString();
    }
}
