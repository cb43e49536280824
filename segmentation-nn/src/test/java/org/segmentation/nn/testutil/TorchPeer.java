package org.segmentation.nn.testutil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a peer script of src/test/python with the system Python that has PyTorch 1.13 and torchvision 0.14
 * ({@code /usr/bin/python3}; CI installs python3-torch and python3-torchvision). Tests guard with
 * {@code Peers.require(TorchPeer.available(), ...)}: skipped where torchvision is missing, failed under
 * {@code CI=true}.
 */
public final class TorchPeer {
    public static final Path PYTHON = Path.of("/usr/bin/python3");
    private static Boolean available;

    private TorchPeer() {
    }

    /** Whether {@link #PYTHON} exists and imports torchvision (checked once). */
    public static synchronized boolean available() {
        if (available == null) {
            try {
                available = Files.isExecutable(PYTHON)
                        && run(List.of(PYTHON.toString(), "-c", "import torchvision")).exit() == 0;
            } catch (IOException | InterruptedException e) {
                available = false;
            }
        }
        return available;
    }

    /** The exit code and the merged standard output and error of a run. */
    public record Result(int exit, String output) {
    }

    /** Runs src/test/python/{@code script} with the arguments, from the module's directory. */
    public static Result script(String script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(PYTHON.toString(), "src/test/python/" + script));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        Process proc = pb.start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!proc.waitFor(300, TimeUnit.SECONDS)) {
            proc.destroyForcibly();
            return new Result(-1, "timed out: " + out);
        }
        return new Result(proc.exitValue(), out);
    }
}
