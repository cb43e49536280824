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
     * Replaces (or creates) directory {@code target} with one that {@code content} fills, so that a crash at any
     * moment leaves a complete directory that {@link #existingDirectory} finds: the old one or the new one, never
     * a mix or a half-written one.
     *
     * <p>Steps, each a rename within {@code target}'s parent:
     * <ol>
     *   <li>{@code content} fills {@code .<name>.<random>.partial}, whose files are then forced to disk;</li>
     *   <li>it is renamed {@code .<name>.<random>.new}: complete from now on;</li>
     *   <li>an existing {@code target} (a directory holding only regular files whose names are in
     *       {@code replaceable}) is renamed {@code .<name>.<random>.old};</li>
     *   <li>the {@code .new} directory is renamed {@code target}, and the {@code .old} one deleted.</li>
     * </ol>
     * A crash between steps 3 and 4 leaves no {@code target}, but a complete {@code .new} and {@code .old}: a
     * reader then uses {@link #existingDirectory}, and the next write to {@code target} first finishes the
     * interrupted replace ({@link #recoverDirectory}), deleting the debris of killed writes. On a failure that
     * is not a crash the {@code .partial} directory is deleted and {@code target} keeps its old content (moved
     * back if it had been moved away). One writer per target at a time.
     *
     * @param replaceable names of the files an existing {@code target} may hold; a directory holding anything
     *     else is not replaced (it is probably not one this program wrote)
     * @throws FileAlreadyExistsException if {@code target} exists and is not a directory of replaceable files
     */
    public static void writeDirectory(Path target, Set<String> replaceable, DirectoryWriter content)
            throws IOException {
        Path parent = parentOf(target);
        recoverDirectory(target);
        checkReplaceable(target, replaceable);
        String stem = hiddenName(target, "");
        Path partial = Files.createDirectory(parent.resolve(stem + PARTIAL));
        Path complete = parent.resolve(stem + NEW);
        try {
            content.write(partial);
            try (Stream<Path> files = Files.walk(partial)) {
                for (Path f : files.filter(Files::isRegularFile).collect(Collectors.toList())) {
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                }
            }
            syncDirectory(partial);
            checkReplaceable(target, replaceable);
            Files.move(partial, complete, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(parent);
        } catch (Throwable t) {
            deleteTreeQuietly(Files.exists(partial) ? partial : complete, t);
            throw t;
        }
        Path old = null;
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            old = parent.resolve(stem + OLD);
            try {
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            } catch (Throwable t) {
                deleteTreeQuietly(complete, t);
                throw t;
            }
        }
        try {
            Files.move(complete, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (Throwable t) {
            if (old != null) {
                try {
                    Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException restore) {
                    t.addSuppressed(restore);
                    LOG.error("Replacing {} failed; the old directory is in {}, the new one in {}", target, old,
                            complete);
                    throw t;
                }
            }
            deleteTreeQuietly(complete, t);
            throw t;
        }
        syncDirectory(parent);
        if (old != null) {
            deleteTreeQuietly(old, null);
        }
    }

    /**
     * The directory a reader of {@code target} should read: {@code target} itself when it exists; otherwise, when
     * a {@link #writeDirectory} was killed between moving the old directory aside and moving the new one in, the
     * complete new one (or, failing that, the old one) under its hidden name; otherwise {@code target}, whose
     * absence the reader reports. Changes nothing on disk, so it is safe while a writer runs.
     */
    public static Path existingDirectory(Path target) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return target;
        }
        Path done = newest(siblings(target, NEW));
        if (done == null) {
            done = newest(siblings(target, OLD));
        }
        if (done != null) {
            LOG.warn("{} is missing (a save was interrupted); reading the complete copy {}", target, done);
            return done;
        }
        return target;
    }

    /**
     * Finishes or undoes a {@link #writeDirectory} of {@code target} that a crash interrupted, and deletes its
     * debris: a missing {@code target} is restored from the newest complete {@code .new} directory, else from
     * the {@code .old} one; then every hidden {@code .partial}, {@code .new} and {@code .old} sibling of
     * {@code target} is deleted. Must not run while another process writes {@code target}.
     */
    public static void recoverDirectory(Path target) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            Path restore = existingDirectory(target);
            if (!restore.equals(target)) {
                Files.move(restore, target, StandardCopyOption.ATOMIC_MOVE);
                syncDirectory(parentOf(target));
                LOG.warn("Restored {} from {}, left by an interrupted save", target, restore);
            }
        }
        for (String suffix : new String[] {PARTIAL, NEW, OLD, ""}) {
            for (Path debris : siblings(target, suffix)) {
                LOG.info("Deleting {}, left by an interrupted save of {}", debris, target);
                deleteTreeQuietly(debris, null);
            }
        }
    }

    private static final String PARTIAL = ".partial";
    private static final String NEW = ".new";
    private static final String OLD = ".old";

    /**
     * The hidden siblings {@code .<name>.<16 hex digits><suffix>} of {@code target} that are directories; with
     * suffix "" the temporary directories of earlier versions, which had no suffix.
     */
    private static List<Path> siblings(Path target, String suffix) throws IOException {
        Path parent = parentOf(target);
        if (!Files.isDirectory(parent)) {
            return List.of();
        }
        String prefix = "." + target.getFileName() + ".";
        try (Stream<Path> all = Files.list(parent)) {
            return all.filter(p -> {
                String n = p.getFileName().toString();
                if (!n.startsWith(prefix) || !n.endsWith(suffix)) {
                    return false;
                }
                String id = n.substring(prefix.length(), n.length() - suffix.length());
                return id.matches("[0-9a-f]{1,16}") && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
            }).collect(Collectors.toList());
        }
    }

    private static Path newest(List<Path> dirs) throws IOException {
        Path best = null;
        long bestTime = Long.MIN_VALUE;
        for (Path d : dirs) {
            long t = Files.getLastModifiedTime(d).toMillis();
            if (best == null || t > bestTime) {
                best = d;
                bestTime = t;
            }
        }
        return best;
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
