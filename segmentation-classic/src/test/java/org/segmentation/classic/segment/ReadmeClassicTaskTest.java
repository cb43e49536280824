package org.segmentation.classic.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.classic.watershed.SplitConfig;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.label.LabelOps;
import org.segmentation.core.segment.Segmenter;

/** The README's first task, "segment with a classic algorithm", line for line on the bundled coins image. */
class ReadmeClassicTaskTest {
    @Test
    void splitTouchingFindsTheTwentyFourCoins(@TempDir Path dir) throws Exception {
        try (InputStream in = ReadmeClassicTaskTest.class.getResourceAsStream("/images/coins.png")) {
            Files.copy(in, dir.resolve("coins.png"));
        }
        Path coinsFile = dir.resolve("coins.png");
        // --- README (segment) begins
        // Bright coins; a 30 px top-hat evens out the lighting, centres at least 10 px apart.
        Segmenter segmenter = ClassicSegmenters.splitTouching(new SplitConfig(true, 30, 3, 10, Connectivity.EIGHT));
        LabelMap labels = segmenter.segment(ImageFiles.readGrayU8(coinsFile));
        System.out.println(LabelOps.countRegions(labels) + " coins");   // 24 coins
        // --- README (segment) ends
        assertEquals(Segmenter.Output.INSTANCES, segmenter.output());
        assertEquals(24, LabelOps.countRegions(labels));
        assertEquals(24, labels.maxLabel(), "labels 1..24, each used");
    }
}
