package org.segmentation.core.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file by writing a hidden temporary file in the same directory, forcing it to disk, and renaming it
 * over the target with {@link StandardCopyOption#ATOMIC_MOVE}. A reader sees the old file or the complete new
 * one, never a partial one; on any failure the temporary file is deleted and the target is untouched.
 */
final class AtomicFiles {
    /** Writes the whole content into a new, empty file. */
    @FunctionalInterface
    interface Body {
        void writeTo(Path file) throws IOException;
    }

    private AtomicFiles() {
    }

    static void write(Path file, Body body) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        // Not Files.createTempFile: it creates the file with mode 0600, which the renamed file would keep.
        Path tmp = dir.resolve("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        Files.createFile(tmp);
        try {
            body.writeTo(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException d) {
                e.addSuppressed(d);
            }
            throw e;
        }
    }
}
