package org.segmentation.bench.classic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.bench.compare.Workload;
import org.segmentation.bench.testutil.PeerPython;

/**
 * The peer script on the inputs Java writes computes the same results as ours where the algorithms are the
 * same (exact equality: same input bytes, same definition), which shows that both sides of a ratio do the same
 * work. Needs /usr/bin/python3 with OpenCV and scikit-image; skipped without them.
 */
class ClassicPeersTest {
    private static final Path PYTHON = PeerPython.PYTHON;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private JsonNode peer(String workload, String peer, int size) throws IOException, InterruptedException {
        Path script = Path.of("peers", ClassicWorkloads.SCRIPT);
        Process p = new ProcessBuilder(PYTHON.toString(), script.toString(), "--workload", workload, "--peer", peer,
                "--inputs", dir.toString(), "--size", Integer.toString(size), "--repeats", "1", "--warmup", "0")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), workload + "/" + peer + ": " + out);
        return JSON.readTree(out);
    }

    @Test
    void peersAgreeWithOursOnTheSameInputs() throws Exception {
        PeerPython.require(PeerPython.canImport("cv2, skimage"), "/usr/bin/python3 with cv2 and skimage is needed");
        PeerPython.require(Files.isRegularFile(Path.of("peers", ClassicWorkloads.SCRIPT)), "run from segmentation-bench");
        // One scikit-image case only: importing skimage.segmentation takes seconds. The others agree in every
        // bench report's check column.
        String[][] cases = {{"otsu", "opencv"}, {"watershed", "skimage"}, {"flood", "opencv"},
            {"connected-components", "opencv"}};
        for (String[] c : cases) {
            Workload w = ClassicWorkloads.all().stream().filter(x -> x.name().equals(c[0])).findFirst().orElseThrow();
            Object ours = w.inputs().write(Map.of("size", "64"), dir);
            JsonNode r = peer(c[0], c[1], 64);
            assertEquals(JSON.valueToTree(ours).toString(), r.get("check").toString(), c[0] + " / " + c[1]);
            assertTrue(r.get("median_ms").asDouble() > 0, r.toString());
            assertEquals(1, r.get("threads").asInt(), "peers are told to use one thread");
        }
    }
}
