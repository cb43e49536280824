package org.segmentation.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.classic.segment.ClassicSegmenters;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.segment.Baselines;
import org.segmentation.core.segment.Segmenter;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.eval.EvaluationConfig;
import org.segmentation.nn.eval.EvaluationReport;
import org.segmentation.nn.eval.Evaluator;

class ReportChartTest {
    private static EvaluationReport report;

    /** Three segmenters on two generated composites: enough bars in two series colours to count. */
    @BeforeAll
    static void evaluate() {
        SegmentationDataset data = EvaluateCommand.synthetic(EvaluateCommand.Synthetic.composites, 2, 4L, 64);
        report = new Evaluator(EvaluationConfig.defaults()).evaluate("composites", data,
                List.of(Baselines.meanThreshold(), Baselines.allBackground(), ClassicSegmenters.otsu()));
    }

    @Test
    void theChartIsAReadablePngWithOneColourPerAlgorithm(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(ReportChart.FILE);
        ReportChart.write(report, file);
        String keep = System.getProperty("eval.keep");
        if (keep != null) {
            // -Deval.keep=/tmp/chart.png keeps the chart for a look by eye.
            Files.copy(file, Path.of(keep), StandardCopyOption.REPLACE_EXISTING);
        }
        BufferedImage png = ImageIO.read(file.toFile());
        assertNotNull(png, "the chart is a readable PNG");
        assertEquals(ReportChart.WIDTH, png.getWidth());
        assertEquals(ReportChart.HEIGHT, png.getHeight());
        // Bars of the first two algorithms are drawn in the first two series colours.
        assertTrue(countColour(png, 0x0072B2) > 500, "bars of the first algorithm");
        assertTrue(countColour(png, 0xE69F00) > 500, "bars of the second algorithm");
    }

    @Test
    void aLegendTooWideForOneLineGetsOneLinePerAlgorithm() {
        SegmentationDataset tiny = new SyntheticCells(new SyntheticCells.Config(16, 16, 1, 1, 0, 0, 0, 0))
                .dataset(1, 3L);
        List<Segmenter> many = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            many.add(Segmenter.of("a-rather-long-segmenter-name-" + k, Segmenter.Output.CLASSES,
                    in -> new LabelMap(in.width(), in.height())));
        }
        EvaluationReport wide = new Evaluator(EvaluationConfig.defaults()).evaluate("tiny", tiny, many);
        BufferedImage png = ReportChart.render(wide);
        assertEquals(ReportChart.WIDTH, png.getWidth());
        assertTrue(png.getHeight() > ReportChart.HEIGHT, "taller for a six-line legend: " + png.getHeight());
        assertEquals(ReportChart.HEIGHT, ReportChart.render(report).getHeight(), "three short names fit a line");
    }

    private static int countColour(BufferedImage img, int rgb) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                n += (img.getRGB(x, y) & 0xFFFFFF) == rgb ? 1 : 0;
            }
        }
        return n;
    }
}
