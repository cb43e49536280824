package org.segmentation.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class SegCliTest {
    /** Exit code, stdout and stderr of one run. */
    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SegCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void helpListsSubcommandsAndExitsZero() {
        Result r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("demo"), r.out());
    }

    @Test
    void everySubcommandHasHelp() {
        for (String sub : new String[] {"demo", "evaluate", "segment", "train", "predict", "bench"}) {
            Result r = run(sub, "--help");
            assertEquals(0, r.code(), sub);
            assertTrue(r.out().contains("Usage: seg " + sub), r.out());
        }
    }

    @Test
    void unknownOptionIsAUsageError() {
        Result r = run("demo", "--no-such-option");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--no-such-option"), r.err());
    }

    @Test
    void failureIsOneLineWithoutStackTraceUnlessVerbose(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        // The output "folder" is an existing regular file, so creating it fails.
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("taken"), "x");
        Result r = run("demo", "--out", file.toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("taken"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());

        Result verbose = run("demo", "--verbose", "--out", file.toString());
        assertEquals(1, verbose.code());
        assertTrue(verbose.err().contains("\tat "), verbose.err());
    }
}
