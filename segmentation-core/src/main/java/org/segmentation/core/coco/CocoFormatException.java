package org.segmentation.core.coco;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A COCO instances JSON could not be read: it is not JSON, lacks a required field, or its content is
 * inconsistent (an annotation of an image or category it does not list, an image file that does not exist, a
 * polygon outside its image, a run-length mask that does not fit its image).
 *
 * <p>The message starts with the file, then names the record and what is wrong, e.g.
 * {@code "/data/instances.json: annotation 17 (image 3): category 9 is not among the categories [1, 2]"}.
 */
public class CocoFormatException extends IOException {
    private final transient Path file;

    public CocoFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public CocoFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The JSON file that could not be read. */
    public Path file() {
        return file;
    }
}
