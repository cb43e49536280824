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
}
