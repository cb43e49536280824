package org.segmentation.bench.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks of the paths a command will write, made before any work so that a wrong path fails at once with a
 * message naming the option and the path, rather than after minutes of computing with a file-system error.
 */
final class CliFiles {
    private CliFiles() {
    }

    /**
     * Checks that {@code file} can be written as a file: it is not an existing folder and its folder exists.
     *
     * @throws IOException naming {@code option} and the path when it cannot
     */
    static void checkOutputFile(Path file, String option) throws IOException {
        if (file == null) {
            return;
        }
        if (Files.isDirectory(file)) {
            throw new IOException(option + " " + file + " is a folder; give a file name, e.g. "
                    + file.resolve("labels.png"));
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new IOException(option + " " + file + ": folder " + parent + " does not exist");
        }
    }

    /**
     * Checks that {@code dir} is an existing folder or can be created as one: it is not an existing file.
     *
     * @throws IOException naming {@code option} and the path when it cannot
     */
    static void checkOutputDirectory(Path dir, String option) throws IOException {
        if (dir != null && Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException(option + " " + dir + " exists and is not a folder");
        }
    }
}
