package org.segmentation.core.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzz tests of the file readers (Jazzer). The contract under test: whatever the bytes, a reader
 * returns or throws {@link ImageFormatException}; any other exception, an {@link OutOfMemoryError}, a stack
 * overflow or a hang is a finding.
 *
 * <p>Under {@code mvn test} each target runs once per seed in {@code ReaderFuzzTestInputs/<target>/} (test
 * resources, copied from {@code segmentation-core/src/test/hostile}) and per crash reproducer saved there, as regression tests. With
 * {@code JAZZER_FUZZ=1} and one target selected ({@code -Dtest=ReaderFuzzTest#png}) Jazzer mutates the seeds for
 * {@code maxDuration}, as {@code .ci/run} does; a crashing input is saved beside the seeds, to be committed.
 *
 * <p>The pixel limit is 2^16 here, so that an input may claim a large image without the fuzzer spending its time
 * on allocating it; the limit itself is tested by {@code SampleFormatTest} and the corpus test.
 */
class ReaderFuzzTest {
    private static final long MAX_PIXELS = 1 << 16;
    private static final Path FILE = scratchFile();

    private static Path scratchFile() {
        try {
            Path shm = Path.of("/dev/shm");
            Path f = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempFile(shm, "fuzz", ".bin")
                    : Files.createTempFile("fuzz", ".bin");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path write(byte[] data) throws IOException {
        Files.write(FILE, data);
        return FILE;
    }

    /** Every typed image reader over one file; each may refuse it, but only with an ImageFormatException. */
    private static void readImage(byte[] data) throws IOException {
        Path f = write(data);
        try {
            ImageFiles.info(f);
        } catch (ImageFormatException expected) {
            return;
        }
        try {
            ImageFiles.readGrayU8(f, MAX_PIXELS);
            ImageFiles.readRgb(f, MAX_PIXELS);
            ImageFiles.readUnitPlanar(f, 1, MAX_PIXELS);
            ImageFiles.readMask(f, MAX_PIXELS);
        } catch (ImageFormatException expected) {
            // refused: the contract
        }
        try {
            ImageFiles.readLabels(f, MAX_PIXELS);
        } catch (ImageFormatException expected) {
            // a colour or float image is not a label image
        }
    }

    @FuzzTest(maxDuration = "15s")
    void png(byte[] data) throws IOException {
        readImage(data);
    }

    @FuzzTest(maxDuration = "15s")
    void tiff(byte[] data) throws IOException {
        readImage(data);
    }

    /** JPEG and BMP seeds. */
    @FuzzTest(maxDuration = "15s")
    void jpegBmp(byte[] data) throws IOException {
        readImage(data);
    }

    @FuzzTest(maxDuration = "15s")
    void npy(byte[] data) throws IOException {
        try {
            NpyFiles.read(write(data));
        } catch (ImageFormatException expected) {
            // refused: the contract
        }
    }
}
