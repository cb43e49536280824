package org.segmentation.bench.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.segmentation.nn.train.TrainingListener.StepEnd;

class ProgressBarListenerTest {
    private static final long SECOND = 1_000_000_000L;

    /** Step {@code step} of 1000 at {@code seconds} into the run, 2 steps per second. */
    private static StepEnd step(long step, double seconds) {
        return new StepEnd(step, 1000, 0, (int) step - 1, 1000, 0.5, 1e-3, 1.0, SECOND / 2,
                Math.round(seconds * SECOND), step);
    }

    @Test
    void withoutATerminalOneLineEveryTenSecondsAndAtTheEndNoCarriageReturns() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ProgressBarListener l = new ProgressBarListener(new PrintStream(bytes, true, StandardCharsets.UTF_8),
                "train", false)) {
            for (long s = 1; s <= 1000; s++) {
                l.onStepEnd(step(s, s / 2.0));   // 500 s of training
            }
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        List<String> lines = text.lines().toList();
        // step 1 at 0.5 s, then every 10 s (steps 21, 41, ..., 981), then step 1000: 1 + 49 + 1
        assertEquals(51, lines.size(), text);
        assertFalse(text.contains("\r"), "no carriage returns");
        assertTrue(lines.get(0).startsWith("train: step 1/1000 (0%) loss 0.5000"), lines.get(0));
        assertTrue(lines.get(1).startsWith("train: step 21/1000"), lines.get(1));
        assertTrue(lines.get(50).startsWith("train: step 1000/1000 (100%)"), lines.get(50));
        assertTrue(lines.get(25).contains("ETA "), lines.get(25));
    }
}
