package org.segmentation.bench.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.classic.watershed.SplitConfig;
import org.segmentation.classic.watershed.SplitResult;
import org.segmentation.classic.watershed.SplitTouching;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.RgbU8;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.visual.Overlay;

/** The README's quick start, line for line, on the bundled coins image. */
class ReadmeQuickStartTest {
    @Test
    void quickStartRuns(@TempDir Path dir) throws Exception {
        try (InputStream in = Demo.class.getResourceAsStream("coins.png")) {
            Files.copy(in, dir.resolve("coins.png"));
        }
        // --- README begins
        GrayU8 coins = ImageFiles.readGrayU8(dir.resolve("coins.png"));
        SplitConfig config = new SplitConfig(true, 30, 3, 10, Connectivity.EIGHT);   // 30 px top-hat: uneven light
        SplitResult split = new SplitTouching(config).process(coins, null);
        System.out.println(split.count() + " objects");                    // 24 objects
        RgbU8 overlay = Overlay.blend(coins, split.labels(), 0.45, null);
        Overlay.boundaries(overlay, split.labels(), 0xFFFF00, overlay);
        ImageFiles.writePng(overlay, dir.resolve("coins-overlay.png"));
        // --- README ends
        assertEquals(24, split.count(), "the README promises 24 coins");
        RgbU8 back = ImageFiles.readRgb(dir.resolve("coins-overlay.png"));
        assertEquals(coins.width, back.width);
        assertEquals(split.labels().maxLabel(), split.count());
    }
}
