package org.segmentation.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.nn.testutil.Peers;

/**
 * A file written by Java parses in Python (numpy, with an independent strict reader) with exactly the values
 * PyTorch wrote. Runs only where {@code /usr/bin/python3} has numpy (skipped otherwise). The checker's
 * {@code --torch} option, which also loads the tensors into the PyTorch module with
 * {@code load_state_dict(strict=True)}, is left to a manual run: importing torch takes several seconds.
 */
class SafeTensorsPythonInteropTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path dir;

    @Test
    void javaRewrittenFixtureParsesInPythonWithTheSameValues() throws Exception {
        Peers.require(Files.isExecutable(PYTHON), "no " + PYTHON);
        Peers.require(run(List.of(PYTHON.toString(), "-c", "import numpy"), null).exit == 0, "no numpy for " + PYTHON);
        Path fixture = SafeTensorsTest.resource("torch_small.safetensors");
        Path copy = dir.resolve("java.safetensors");
        SafeTensors.write(copy, SafeTensors.read(fixture));
        Path scripts = fixture.getParent();
        Result r = run(List.of(PYTHON.toString(), "check_safetensors.py", copy.toString(),
                "torch_small_expected.json"), scripts);
        assertEquals(0, r.exit, r.output);
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command, Path workDir) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out: " + out);
        }
        return new Result(p.exitValue(), out);
    }
}
