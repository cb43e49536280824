package org.segmentation.bench.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.bench.compare.Workload;
import org.segmentation.bench.testutil.PeerPython;

/**
 * The PyTorch peer runs every neural workload on its quick inputs, as {@code seg bench --quick} calls it, and
 * its check values equal ours to the 4 printed digits (compared within 1e-3 relative, since two float32 sums in
 * different orders may round to neighbouring 4-digit values). Needs /usr/bin/python3 with torch; skipped without.
 */
class TorchPeersTest {
    private static final Path PYTHON = PeerPython.PYTHON;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void peerTimesEveryWorkloadAndAgreesWithOurCheck() throws Exception {
        PeerPython.require(PeerPython.canImport("torch, numpy"), "/usr/bin/python3 with torch is needed");
        Path script = Path.of("peers", NnWorkloads.SCRIPT);
        PeerPython.require(Files.isRegularFile(script), "run from segmentation-bench");
        for (Workload w : NnWorkloads.all()) {
            Map<String, String> params = w.cases(true).get(0);
            Object ours = w.inputs().write(params, dir);
            List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), script.toString(), "--workload", w.name(),
                    "--peer", "pytorch", "--inputs", dir.toString(), "--threads", "2", "--repeats", "1",
                    "--warmup", "0"));
            params.forEach((k, v) -> {
                cmd.add("--" + k);
                cmd.add(v);
            });
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), w.name() + ": " + out);
            JsonNode r = JSON.readTree(out.strip().substring(out.strip().lastIndexOf('\n') + 1));
            assertTrue(r.get(w.metric().key()).asDouble() > 0, r.toString());
            if (ours == null && w.metric() == Workload.Metric.TIME) {   // maskrcnn-train-step: no check
                assertTrue(r.get("check").isNull(), w.name() + ": " + r);
                continue;
            }
            if (ours == null) { // unet-train-memory: our check comes from our process; the loss is trainCheck's
                assertEquals(Workload.Metric.PEAK_RSS, w.metric());
                ours = List.of(UNetInputs.trainCheck(params.get("arch"), Integer.parseInt(params.get("batch")),
                        Integer.parseInt(params.get("size"))).get(0));
            }
            assertEquals(2, r.get("threads").asInt(), "PyTorch is told to use 2 threads");
            assertTrue(r.get("version").asText().startsWith("pytorch "), r.toString());
            JsonNode ourCheck = JSON.valueToTree(ours);
            JsonNode theirs = r.get("check");
            assertEquals(ourCheck.size(), theirs.size(), w.name() + ": " + ourCheck + " / " + theirs);
            for (int i = 0; i < ourCheck.size(); i++) {
                double a = Double.parseDouble(ourCheck.get(i).asText());
                double b = Double.parseDouble(theirs.get(i).asText());
                assertEquals(a, b, 1e-3 * Math.abs(a), w.name() + " check " + i + ": " + ourCheck + " / " + theirs);
            }
        }
    }
}
