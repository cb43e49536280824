package org.segmentation.bench.testutil;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The system Python the peers run on, and whether it has their libraries. Tests skip without them, except under
 * {@code CI=true} ({@link #require}), where {@code .ci/run} installs every peer and a skip would hide that a
 * comparison no longer runs.
 */
public final class PeerPython {
    /** Debian's Python, where apt installs python3-opencv, python3-skimage and python3-torch. */
    public static final Path PYTHON = Path.of("/usr/bin/python3");

    private PeerPython() {
    }

    /**
     * Skips the test (fails it under {@code CI=true}) unless {@code available}.
     *
     * @param what what is missing, for the message
     */
    public static void require(boolean available, String what) {
        if (!available && "true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(what + " (CI=true: a peer test may not skip; .ci/run installs the peers)");
        }
        assumeTrue(available, what);
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
