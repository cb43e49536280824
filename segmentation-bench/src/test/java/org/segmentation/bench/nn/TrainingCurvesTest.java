package org.segmentation.bench.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.nn.train.TrainingHistory;
import org.segmentation.nn.train.ValidationResult;

class TrainingCurvesTest {
    @Test
    void smoothingKeepsTheFirstValueAndAConstantSeries() {
        double[] s = TrainingCurves.smooth(new double[] {2, 2, 2, 2}, 0.1);
        for (double v : s) {
            assertEquals(2.0, v, 1e-12, "debiasing must not pull a constant series towards 0");
        }
        double[] t = TrainingCurves.smooth(new double[] {1, 3}, 0.5);
        assertEquals(1.0, t[0], 1e-12);
        // m = 0.5*0.5 + 0.5*3 = 1.75 over 1 - 0.25 = 0.75
        assertEquals(1.75 / 0.75, t[1], 1e-12);
    }

    @Test
    void nonFiniteLossesAreSkipped() {
        double[] s = TrainingCurves.smooth(new double[] {Double.NaN, 4, Double.POSITIVE_INFINITY, 4}, 0.3);
        assertTrue(Double.isNaN(s[0]), "no finite value yet");
        assertEquals(4.0, s[1], 1e-12);
        assertEquals(4.0, s[2], 1e-12);
        assertEquals(4.0, s[3], 1e-12);
    }

    @Test
    void writesBothPanelsForALongRun(@TempDir Path dir) throws Exception {
        TrainingHistory h = new TrainingHistory();
        for (int step = 1; step <= 1200; step++) {
            h.addStep(step, 0, 2.0 / Math.sqrt(step), 1e-3);
            if (step % 100 == 0) {
                h.addValidation(new ValidationResult(step, 0, 1.0 / step, 0.5, 0.6, 0.9, new double[] {0.5},
                        new double[] {0.6}));
            }
        }
        Path file = dir.resolve(TrainingCurves.FILE);
        TrainingCurves.write(h, file);
        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(2 * TrainingCurves.PANEL_WIDTH, img.getWidth());
        assertEquals(TrainingCurves.HEIGHT, img.getHeight());
        assertTrue(Files.size(file) > 10_000, "a chart, not a blank image");
    }

    @Test
    void anEmptyHistoryStillRenders() {
        BufferedImage img = TrainingCurves.render(new TrainingHistory());
        assertEquals(2 * TrainingCurves.PANEL_WIDTH, img.getWidth());
    }
}
