package org.segmentation.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static void put(java.nio.channels.FileChannel ch, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    @Test
    void writeCreatesAndReplaces() throws IOException {
        Path f = dir.resolve("a.txt");
        AtomicFiles.write(f, ch -> put(ch, "first, longer content"));
        AtomicFiles.write(f, ch -> put(ch, "second"));
        assertEquals("second", Files.readString(f));
        assertEquals(List.of("a.txt"), listing(dir));
    }

    @Test
    void failureMidwayKeepsOldFileAndLeavesNoTemporary() throws IOException {
        Path f = dir.resolve("model.safetensors");
        Files.writeString(f, "old");
        IOException io = assertThrows(IOException.class, () -> AtomicFiles.write(f, ch -> {
            put(ch, "half of the new con");
            throw new IOException("disk full");
        }));
        assertEquals("disk full", io.getMessage());
        assertThrows(UncheckedIOException.class, () -> AtomicFiles.write(f, ch -> {
            put(ch, "half");
            throw new UncheckedIOException(new IOException("tensor source failed"));
        }));
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("model.safetensors"), listing(dir));
    }

    @Test
    void writeThatFailsAtTheRenameKeepsTargetAndLeavesNoTemporary() throws IOException {
        // the target is a non-empty directory: all data is written to the temporary file, then the move fails
        Path target = dir.resolve("w.bin");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep"), "x");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, ch -> put(ch, "data")));
        assertEquals(List.of("w.bin"), listing(dir));
        assertEquals("x", Files.readString(target.resolve("keep")));
    }

    @Test
    void filesAndDirectoriesGetTheModesOfAnyNewFileNotThoseOfTemporaryFiles() throws IOException {
        assumePosix();
        Path plainFile = Files.createFile(dir.resolve("plain"));
        Path plainDir = Files.createDirectory(dir.resolve("plain-dir"));
        Path f = dir.resolve("f");
        AtomicFiles.write(f, ch -> put(ch, "x"));
        Path d = dir.resolve("d");
        AtomicFiles.writeDirectory(d, Set.of("a"), tmp -> Files.writeString(tmp.resolve("a"), "1"));
        assertEquals(Files.getPosixFilePermissions(plainFile), Files.getPosixFilePermissions(f));
        assertEquals(Files.getPosixFilePermissions(plainDir), Files.getPosixFilePermissions(d));
        assertEquals(Files.getPosixFilePermissions(plainFile), Files.getPosixFilePermissions(d.resolve("a")));
    }

    private static void assumePosix() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.FileSystems.getDefault()
                .supportedFileAttributeViews().contains("posix"), "POSIX file modes");
    }

    @Test
    void directoryIsCreatedThenReplacedWholeWithNoLeftovers() throws IOException {
        Path d = dir.resolve("ckpt");
        Set<String> own = Set.of("a", "b");
        AtomicFiles.writeDirectory(d, own, tmp -> {
            Files.writeString(tmp.resolve("a"), "1");
            Files.writeString(tmp.resolve("b"), "1");
        });
        AtomicFiles.writeDirectory(d, own, tmp -> Files.writeString(tmp.resolve("a"), "2"));
        assertEquals(List.of("a"), listing(d), "b of the old save is gone");
        assertEquals("2", Files.readString(d.resolve("a")));
        assertEquals(List.of("ckpt"), listing(dir));
    }

    @Test
    void directoryWriteFailureKeepsOldDirectory() throws IOException {
        Path d = dir.resolve("ckpt");
        Set<String> own = Set.of("a", "b");
        AtomicFiles.writeDirectory(d, own, tmp -> {
            Files.writeString(tmp.resolve("a"), "1");
            Files.writeString(tmp.resolve("b"), "1");
        });
        byte[] before = Files.readAllBytes(d.resolve("a"));
        assertThrows(IOException.class, () -> AtomicFiles.writeDirectory(d, own, tmp -> {
            Files.writeString(tmp.resolve("a"), "2");
            throw new IOException("failed before b");
        }));
        assertArrayEquals(before, Files.readAllBytes(d.resolve("a")));
        assertEquals(List.of("a", "b"), listing(d));
        assertEquals(List.of("ckpt"), listing(dir), "temporary directory removed");
    }

    @Test
    void refusesToReplaceForeignDirectoryOrFile() throws IOException {
        Path d = dir.resolve("mine");
        Files.createDirectory(d);
        Files.writeString(d.resolve("notes.txt"), "user's file");
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> AtomicFiles.writeDirectory(d, Set.of("a"), tmp -> Files.writeString(tmp.resolve("a"), "")));
        assertTrue(e.getMessage().contains("notes.txt"), e.getMessage());
        assertEquals("user's file", Files.readString(d.resolve("notes.txt")));
        Path f = dir.resolve("plain");
        Files.writeString(f, "file");
        assertThrows(FileAlreadyExistsException.class,
                () -> AtomicFiles.writeDirectory(f, Set.of("a"), tmp -> Files.writeString(tmp.resolve("a"), "")));
        assertEquals(List.of("mine", "plain"), listing(dir));
    }

    /** A complete directory "a" = text under a hidden name, as a killed writeDirectory leaves it. */
    private Path leftover(String name, String text) throws IOException {
        Path d = Files.createDirectory(dir.resolve(name));
        Files.writeString(d.resolve("a"), text);
        return d;
    }

    /**
     * Every state a kill can leave between the renames of writeDirectory (old save "1", new save "2"): readers
     * find a complete directory with the newest complete save, and the next write restores the name, deletes
     * the debris and replaces the directory.
     */
    @Test
    void everyCrashPointLeavesACompleteDirectoryAndTheNextWriteCleansUp() throws IOException {
        Set<String> own = Set.of("a");
        String[][] states = {
            // {target content or null, hidden siblings "suffix=content"...,  expected content read}
            {"1", ".ckpt.00aa.partial=2", "1"},          // killed while writing the new save
            {"1", ".ckpt.00aa.new=2", "1"},              // killed after it was complete, before the old moved
            {null, ".ckpt.00aa.new=2", ".ckpt.00aa.old=1", "2"},  // killed between the two moves: the gap
            {"2", ".ckpt.00aa.old=1", "2"},              // killed before the old one was deleted
            {null, ".ckpt.00aa.old=1", "1"},             // the new one lost (a failed move)
            {"1", ".ckpt.0123456789abcdef=x", "1"},      // an earlier version's temporary directory
        };
        for (String[] state : states) {
            Path d = dir.resolve("ckpt");
            if (state[0] != null) {
                leftover("ckpt", state[0]);
            }
            for (int k = 1; k < state.length - 1; k++) {
                String[] kv = state[k].split("=");
                leftover(kv[0], kv[1]);
            }
            String expected = state[state.length - 1];
            Path found = AtomicFiles.existingDirectory(d);
            assertEquals(expected, Files.readString(found.resolve("a")), String.join(" ", state));
            AtomicFiles.recoverDirectory(d);
            assertEquals(List.of("ckpt"), listing(dir), String.join(" ", state));
            assertEquals(expected, Files.readString(d.resolve("a")));
            leftover(".ckpt.00bb.partial", "junk");
            AtomicFiles.writeDirectory(d, own, tmp -> Files.writeString(tmp.resolve("a"), "3"));
            assertEquals(List.of("ckpt"), listing(dir), "debris deleted by the next write");
            assertEquals("3", Files.readString(d.resolve("a")));
            AtomicFiles.recoverDirectory(d);
            deleteTree(d);
        }
        // nothing at all: the target is reported as given, for the reader to say it is missing
        assertEquals(dir.resolve("none"), AtomicFiles.existingDirectory(dir.resolve("none")));
        assertEquals(dir.resolve("no/such"), AtomicFiles.existingDirectory(dir.resolve("no/such")));
    }

    private static void deleteTree(Path d) throws IOException {
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.delete(p);
            }
        }
    }
}
