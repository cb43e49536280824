package org.segmentation.nn.testutil;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The rule for tests that need a peer (PyTorch, NumPy) or a data set installed on the machine: they skip where it
 * is missing, except under {@code CI=true}, where {@code .ci/run} installs every peer and a skip would hide that a
 * comparison no longer runs, so they fail.
 */
public final class Peers {
    private Peers() {
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
}
