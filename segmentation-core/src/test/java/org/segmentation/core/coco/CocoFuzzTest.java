package org.segmentation.core.coco;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.segmentation.core.image.Mask;

/**
 * Coverage-guided fuzz test of the COCO instances reader (Jazzer), as {@code ReaderFuzzTest} does for the image
 * readers. The contract: whatever the bytes, {@link CocoDataset#read} returns or throws
 * {@link CocoFormatException}; any other exception, an {@link OutOfMemoryError}, a stack overflow or a hang is a
 * finding. A dataset it returns must also hold what the file says: every category and image id, width and height
 * as written (not wrapped into an int), and every annotation's mask of its image's size, decodable.
 *
 * <p>Under {@code mvn test} the target runs once per seed in {@code CocoFuzzTestInputs/instances/} and per crash
 * reproducer saved there; with {@code JAZZER_FUZZ=1 -Dtest=CocoFuzzTest#instances} Jazzer mutates the seeds for
 * {@code maxDuration}, as {@code .ci/run} does.
 *
 * <p>The pixel limit is 2^16 here, so that a file may claim large images without the fuzzer spending its time
 * on decoding masks of that size.
 */
class CocoFuzzTest {
    private static final long MAX_PIXELS = 1 << 16;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILE = scratchFile();

    private static Path scratchFile() {
        try {
            Path shm = Path.of("/dev/shm");
            Path f = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempFile(shm, "fuzz", ".json")
                    : Files.createTempFile("fuzz", ".json");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "15s")
    void instances(byte[] data) throws IOException {
        Files.write(FILE, data);
        CocoDataset d;
        try {
            d = CocoDataset.read(FILE, null, MAX_PIXELS);
        } catch (CocoFormatException expected) {
            return;
        }
        JsonNode root = JSON.readTree(data);       // valid JSON, or the reader would have refused it
        Set<Long> categoryIds = new HashSet<>();
        for (JsonNode c : root.get("categories")) {
            categoryIds.add(c.get("id").longValue());
        }
        Set<Long> read = new HashSet<>();
        d.categories().keySet().forEach(id -> read.add((long) id));
        check(categoryIds.equals(read), "category ids " + categoryIds + " read as " + read);
        for (JsonNode i : root.get("images")) {
            CocoDataset.Image img = d.images().get(i.get("id").longValue());
            check(img != null, "image " + i.get("id") + " is missing");
            check(img.width() == i.get("width").longValue() && img.height() == i.get("height").longValue(),
                    "image " + img.id() + ": " + i.get("width") + "x" + i.get("height") + " read as " + img.width()
                            + "x" + img.height());
            check((long) img.width() * img.height() <= MAX_PIXELS, "image " + img.id() + " exceeds the limit");
            for (CocoDataset.Annotation a : d.annotations(img.id())) {
                check(a.mask().width() == img.width() && a.mask().height() == img.height(),
                        "annotation " + a.id() + ": mask of another size than its image");
                check(d.categories().containsKey(a.categoryId()), "annotation " + a.id() + ": unknown category");
                Mask m = a.mask().decode(null);
                check(a.mask().area() == count(m), "annotation " + a.id() + ": area differs from the decoded mask");
            }
        }
    }

    private static long count(Mask m) {
        long n = 0;
        for (byte b : m.data) {
            n += b != 0 ? 1 : 0;
        }
        return n;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
