package org.segmentation.bench.testutil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The system Python the peers run on, and whether it has their libraries; tests skip without them. */
public final class PeerPython {
    /** Debian's Python, where apt installs python3-opencv, python3-skimage and python3-torch. */
    public static final Path PYTHON = Path.of("/usr/bin/python3");

    private PeerPython() {
    }

    /**
     * Whether {@link #PYTHON} exists and runs {@code import <modules>} successfully within a minute.
     *
     * @param modules comma-separated module names, e.g. {@code "torch, numpy"}
     */
    public static boolean canImport(String modules) throws IOException, InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import " + modules).redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return false;
        }
        return p.exitValue() == 0;
    }
}
