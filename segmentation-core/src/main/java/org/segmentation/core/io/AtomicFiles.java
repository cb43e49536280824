package org.segmentation.core.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes that never leave a half-written file or directory where a reader, or a later run after a crash, could
 * find it. The content goes to a hidden temporary sibling of the target (same directory, so same file system),
 * is forced to disk, and is then renamed over the target with an atomic move; on any failure the temporary file
 * is deleted and the target is untouched. After the rename the parent directory is forced too (where the platform
 * can open a directory), so the new name survives a crash.
 *
 * <p>Files and directories get the modes of any other new file or directory (the process umask), not the 0600
 * and 0700 of {@link Files#createTempFile} and {@link Files#createTempDirectory}, which the rename would keep.
 */
public final class AtomicFiles {
    private static final Logger LOG = LoggerFactory.getLogger(AtomicFiles.class);

    private AtomicFiles() {
    }

    /** Writes a file's content to an open channel. */
    @FunctionalInterface
    public interface ContentWriter {
        /** Writes the whole content to {@code channel}, which is positioned at 0 and empty. */
        void write(FileChannel channel) throws IOException;
    }

    /** Fills a fresh, empty directory. */
    @FunctionalInterface
    public interface DirectoryWriter {
        /** Writes every file of the directory into {@code dir}. */
        void write(Path dir) throws IOException;
    }

    /**
     * Replaces (or creates) file {@code target} with what {@code content} writes: into a temporary file
     * {@code .<name>.<random>.tmp} in the same directory, forced to disk, then atomically moved over the
     * target. If {@code content} or any step fails, the temporary file is deleted, the exception is rethrown and
     * {@code target} keeps its previous content.
     *
     * @throws AtomicMoveNotSupportedException if the file system cannot rename atomically
     */
    public static void write(Path target, ContentWriter content) throws IOException {
        Path dir = parentOf(target);
        Path tmp = Files.createFile(dir.resolve(hiddenName(target, ".tmp")));
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                content.write(ch);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable t) {
            deleteQuietly(tmp, t);
            throw t;
        }
        syncDirectory(dir);
    }

    /**
     * Replaces (or creates) directory {@code target} with one that {@code content} fills: into a temporary
     * directory {@code .<name>.<random>} next to it, whose files are forced to disk, then renamed to
     * {@code target}.
     *
     * <p>When {@code target} does not exist, the rename is one atomic step. When it exists (a directory
     * containing only regular files whose names are in {@code replaceable}), it is first renamed to
     * {@code .<name>.<random>.old}, the new directory is renamed into place, and the old one deleted: a reader
     * in between finds no {@code target} (never a mix of old and new files), and a crash in between leaves both
     * complete directories as hidden siblings of {@code target}. On any failure the temporary directory is
     * deleted and {@code target} keeps its old content (moved back if it had been moved away).
     *
     * @param replaceable names of the files an existing {@code target} may hold; a directory holding anything
     *     else is not replaced (it is probably not one this program wrote)
     * @throws FileAlreadyExistsException if {@code target} exists and is not a directory of replaceable files
     */
    public static void writeDirectory(Path target, Set<String> replaceable, DirectoryWriter content)
            throws IOException {
        Path parent = parentOf(target);
        checkReplaceable(target, replaceable);
        Path tmp = Files.createDirectory(parent.resolve(hiddenName(target, "")));
        try {
            content.write(tmp);
            try (Stream<Path> files = Files.walk(tmp)) {
                for (Path f : files.filter(Files::isRegularFile).collect(Collectors.toList())) {
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                }
            }
            syncDirectory(tmp);
            checkReplaceable(target, replaceable);
        } catch (Throwable t) {
            deleteTreeQuietly(tmp, t);
            throw t;
        }
        Path old = null;
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            old = parent.resolve(tmp.getFileName() + ".old");
            try {
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            } catch (Throwable t) {
                deleteTreeQuietly(tmp, t);
                throw t;
            }
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (Throwable t) {
            if (old != null) {
                try {
                    Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException restore) {
                    t.addSuppressed(restore);
                    LOG.error("Replacing {} failed; the old directory is in {}, the new one in {}", target, old,
                            tmp);
                    throw t;
                }
            }
            deleteTreeQuietly(tmp, t);
            throw t;
        }
        syncDirectory(parent);
        if (old != null) {
            deleteTreeQuietly(old, null);
        }
    }

    /** {@code .<name>.<random><suffix>}: hidden, beside the target, unlikely to collide. */
    private static String hiddenName(Path target, String suffix) {
        return "." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + suffix;
    }

    private static void checkReplaceable(Path target, Set<String> replaceable) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null, "exists and is not a directory");
        }
        try (Stream<Path> files = Files.list(target)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (!replaceable.contains(f.getFileName().toString())
                        || !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    throw new FileAlreadyExistsException(target.toString(), null, "exists and holds "
                            + f.getFileName() + ", which this writer does not own; not replacing it");
                }
            }
        }
    }

    private static Path parentOf(Path target) {
        Path abs = target.toAbsolutePath();
        Path parent = abs.getParent();
        if (parent == null) {
            throw new IllegalArgumentException("no parent directory: " + target);
        }
        return parent;
    }

    /** Forces a directory's entries (a rename) to disk where the platform allows opening a directory. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("Cannot sync directory {} (not supported on this platform?)", dir, e);
        }
    }

    private static void deleteQuietly(Path file, Throwable cause) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            if (cause != null) {
                cause.addSuppressed(e);
            }
            LOG.warn("Cannot delete temporary file {}", file, e);
        }
    }

    private static void deleteTreeQuietly(Path dir, Throwable cause) {
        List<Path> all;
        try (Stream<Path> files = Files.walk(dir)) {
            all = files.sorted(Comparator.reverseOrder()).collect(Collectors.toList());
        } catch (IOException e) {
            if (cause != null) {
                cause.addSuppressed(e);
            }
            LOG.warn("Cannot list temporary directory {}", dir, e);
            return;
        }
        for (Path f : all) {
            deleteQuietly(f, cause);
        }
    }
}
