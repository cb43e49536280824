package org.segmentation.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file written by Java parses in Python with the same values and loads into the PyTorch module it came from.
 * Runs only where {@code /usr/bin/python3} has numpy and torch (skipped otherwise).
 */
class SafeTensorsPythonInteropTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path dir;

    @Test
    void javaRewrittenFixtureLoadsIntoTorchModule() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "no " + PYTHON);
        // find_spec only locates the packages, it does not import torch (which takes seconds)
        assumeTrue(run(List.of(PYTHON.toString(), "-c", "import importlib.util as u, sys; "
                + "sys.exit(0 if u.find_spec('numpy') and u.find_spec('torch') else 3)"), null).exit == 0,
                "no numpy/torch for " + PYTHON);
        Path fixture = SafeTensorsTest.resource("torch_small.safetensors");
        Path copy = dir.resolve("java.safetensors");
        SafeTensors.write(copy, SafeTensors.read(fixture));
        Path scripts = fixture.getParent();
        Result r = run(List.of(PYTHON.toString(), "check_safetensors.py", copy.toString(),
                "torch_small_expected.json", "--torch"), scripts);
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
