package org.segmentation.bench.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.image.RgbU8;
import org.segmentation.core.io.ImageFiles;

class DemoTest {
    @Test
    void writesEveryImageTheIndexShowsAndTheMetrics(@TempDir Path dir) throws Exception {
        // A 3-step U-Net keeps the test fast; the scores are then only checked to be scores.
        new Demo(dir, 3, false).run();
        String html = Files.readString(dir.resolve("index.html"));
        Matcher m = Pattern.compile("<img src=\"([^\"]+)\"").matcher(html);
        int images = 0;
        while (m.find()) {
            Path png = dir.resolve(m.group(1));
            assertTrue(Files.exists(png), "index.html shows a missing file " + png);
            RgbU8 rgb = ImageFiles.readRgb(png);
            assertTrue(rgb.width > 0);
            images++;
        }
        assertTrue(images >= 10, "images shown: " + images);
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("metrics.json").toFile());
        // The classic module's tests pin the coins count to 24 against scikit-image; the demo must show it.
        assertEquals(24, metrics.get("split_touching").get("regions").asInt());
        // Measured 0.74 on 16 generated images; 0.3 is far below it, so only a broken pipeline (labels that do not
        // overlap the cells at all) fails, while changes to the generator's look do not.
        assertTrue(metrics.get("synthetic_cells_classic").get("ap50").asDouble() > 0.3);
        JsonNode unet = metrics.get("synthetic_cells_unet");
        assertEquals(3, unet.get("train_steps").asInt());
        for (String key : new String[] {"foreground_iou", "ap50", "classic_foreground_iou", "classic_ap50"}) {
            double v = unet.get(key).asDouble(Double.NaN);
            assertTrue(v >= 0 && v <= 1, key + " = " + v);
        }
        // The classic numbers of the U-Net section are the classic section's, recomputed on the same images.
        assertEquals(metrics.get("synthetic_cells_classic").get("ap50").asDouble(), unet.get("classic_ap50").asDouble(),
                1e-12);
        assertTrue(html.contains("unet-curves.png"));
        assertTrue(Files.isRegularFile(dir.resolve("unet/model/config.json")));
    }
}
