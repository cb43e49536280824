package org.segmentation.bench.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kill-and-resume harness, shortened to 3 kills of an 8-epoch run (the bench command makes 20): every kill
 * leaves a checkpoint that loads, every resume starts, and the final weights equal an uninterrupted run's.
 */
class KillResumeExperimentTest {
    @TempDir
    Path dir;

    @Test
    void killedAndResumedTrainingEndsWithTheUninterruptedModel() throws Exception {
        StringWriter log = new StringWriter();
        KillResumeExperiment.Result r = KillResumeExperiment.run(dir, 3, 8, 1, new PrintWriter(log, true));
        System.out.print(log);
        assertFalse(r.kills().isEmpty(), log.toString());
        assertEquals(0, r.failures(), log.toString());
        assertEquals(0, r.finalExitCode(), log.toString());
        assertTrue(r.finalLoads(), log.toString());
        assertTrue(r.bitIdentical(), log.toString());
        assertTrue(r.passed());
    }
}
