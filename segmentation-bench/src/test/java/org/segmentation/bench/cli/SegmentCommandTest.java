package org.segmentation.bench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.bench.cli.SegCliTest.Result;
import org.segmentation.classic.kmeans.FeatureSpace;
import org.segmentation.classic.kmeans.KMeans;
import org.segmentation.classic.kmeans.KMeansConfig;
import org.segmentation.classic.threshold.MultiOtsuOps;
import org.segmentation.classic.threshold.OtsuOps;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.RgbU8;
import org.segmentation.core.io.ImageFiles;

class SegmentCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    Path coins;

    @BeforeEach
    void copyCoins() throws IOException {
        coins = dir.resolve("coins.png");
        try (InputStream in = SegmentCommandTest.class.getResourceAsStream("/org/segmentation/bench/demo/coins.png")) {
            Files.copy(in, coins);
        }
    }

    private static JsonNode json(Result r) throws IOException {
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().strip().lines().count(), "one JSON line: " + r.out());
        return JSON.readTree(r.out());
    }

    @Test
    void helpListsTheAlgorithmsAndOptions() {
        Result r = SegCliTest.run("segment", "--help");
        assertEquals(0, r.code());
        for (String s : new String[] {"--algorithm", "multi-otsu", "split-touching", "--seeds", "--tolerance",
            "--connectivity", "--markers", "--overlay", "--json"}) {
            assertTrue(r.out().contains(s), s + " in\n" + r.out());
        }
    }

    @Test
    void otsuJsonMatchesOtsuOpsAndWritesLabelsAndOverlay() throws IOException {
        Path labels = dir.resolve("labels.png");
        Path overlay = dir.resolve("overlay.png");
        JsonNode j = json(SegCliTest.run("segment", coins.toString(), "-a", "otsu", "--json", "--out",
                labels.toString(), "--overlay", overlay.toString()));
        GrayU8 gray = ImageFiles.readGrayU8(coins);
        int t = OtsuOps.threshold(gray, null);
        assertEquals("otsu", j.get("algorithm").asText());
        assertEquals(384, j.get("width").asInt());
        assertEquals(303, j.get("height").asInt());
        assertTrue(j.get("millis").asDouble() >= 0, j.toString());
        assertEquals(1, j.get("thresholds").size());
        assertEquals(t, j.get("thresholds").get(0).asInt());
        assertEquals(1, j.get("regions").asInt(), "Otsu labels one foreground");

        LabelMap written = ImageFiles.readLabels(labels);
        int on = 0;
        for (int i = 0; i < written.data.length; i++) {
            assertEquals((gray.data[i] & 0xFF) > t ? 1 : 0, written.data[i], "pixel " + i);
            on += written.data[i];
        }
        assertTrue(on > 0 && on < written.data.length);
        RgbU8 shown = ImageFiles.readRgb(overlay);
        assertEquals(384, shown.width);
        assertEquals(303, shown.height);
    }

    @Test
    void multiOtsuThresholdsMatchTheLibrary() throws IOException {
        JsonNode j = json(SegCliTest.run("segment", coins.toString(), "-a", "multi-otsu", "--classes", "3",
                "--json"));
        int[] expected = MultiOtsuOps.thresholds(ImageFiles.readGrayU8(coins), 3);
        int[] got = new int[j.get("thresholds").size()];
        for (int i = 0; i < got.length; i++) {
            got[i] = j.get("thresholds").get(i).asInt();
        }
        assertArrayEquals(expected, got);
        assertEquals(3, j.get("regions").asInt());
    }

    @Test
    void splitTouchingFindsTheTwentyFourCoins() throws IOException {
        // skimage.data.coins() shows 24 coins in four rows of six; these are SplitTouchingTest's settings.
        Path labels = dir.resolve("coins-labels.png");
        JsonNode j = json(SegCliTest.run("segment", coins.toString(), "-a", "split-touching",
                "--background-radius", "30", "--opening-radius", "3", "--min-distance", "10", "--json", "--out",
                labels.toString()));
        assertEquals(24, j.get("regions").asInt());
        assertEquals(24, ImageFiles.readLabels(labels).maxLabel());
    }

    @Test
    void kmeansRegionsAreTheClustersOrderedByBrightness() throws IOException {
        Path labels = dir.resolve("k.png");
        JsonNode j = json(SegCliTest.run("segment", coins.toString(), "-a", "kmeans", "-k", "3", "--seed", "7",
                "--json", "--out", labels.toString()));
        assertEquals(3, j.get("regions").asInt());
        GrayU8 gray = ImageFiles.readGrayU8(coins);
        LabelMap l = ImageFiles.readLabels(labels);
        // Mean gray value per label rises with the label.
        double[] sum = new double[4];
        int[] n = new int[4];
        for (int i = 0; i < l.data.length; i++) {
            sum[l.data[i]] += gray.data[i] & 0xFF;
            n[l.data[i]]++;
        }
        assertEquals(0, n[0]);
        assertTrue(sum[1] / n[1] < sum[2] / n[2] && sum[2] / n[2] < sum[3] / n[3], Arrays.toString(sum));
        double inertia = new KMeans(KMeansConfig.of(3).withSeed(7)).segment(gray, 0.0, null).clustering().inertia();
        assertEquals(inertia, j.get("inertia").asDouble(), 1e-9 * inertia, "same clustering as the library");
    }

    @Test
    void floodAndRegionGrowLabelOneRegionPerSeed() throws IOException {
        JsonNode f = json(SegCliTest.run("segment", coins.toString(), "-a", "flood", "--seeds", "5,5;120,70",
                "--tolerance", "20", "--json"));
        assertEquals(2, f.get("regions").asInt());
        JsonNode g = json(SegCliTest.run("segment", coins.toString(), "-a", "region-grow", "--seeds",
                "5,5;120,70", "--connectivity", "8", "--json"));
        assertEquals(2, g.get("regions").asInt());
    }

    @Test
    void watershedWithAutomaticAndFileMarkers() throws IOException {
        JsonNode auto = json(SegCliTest.run("segment", coins.toString(), "-a", "watershed", "--h", "20",
                "--json"));
        int regions = auto.get("regions").asInt();
        assertTrue(regions > 1, auto.toString());
        LabelMap markers = new LabelMap(384, 303);
        markers.set(10, 10, 1);
        markers.set(200, 150, 2);
        markers.set(380, 300, 7);
        Path m = dir.resolve("markers.png");
        ImageFiles.writeLabels(markers, m);
        JsonNode file = json(SegCliTest.run("segment", coins.toString(), "-a", "watershed", "--markers",
                m.toString(), "--json"));
        assertEquals(3, file.get("regions").asInt());
    }

    @Test
    void missingFileIsExitOneWithOneLineNamingIt() {
        Path missing = dir.resolve("nope.png");
        Result r = SegCliTest.run("segment", missing.toString(), "-a", "otsu");
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(missing.toString()), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void corruptFileIsExitOne() throws IOException {
        Path bad = dir.resolve("bad.png");
        byte[] bytes = Files.readAllBytes(coins);
        Files.write(bad, Arrays.copyOf(bytes, bytes.length / 2));
        Result r = SegCliTest.run("segment", bad.toString(), "-a", "otsu");
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("bad.png"), r.err());
    }

    @Test
    void badOptionsAreUsageErrors() {
        String c = coins.toString();
        String[][] cases = {
            {"segment", c, "-a", "no-such"},
            {"segment", c},
            {"segment", c, "-a", "otsu", "--connectivity", "6"},
            {"segment", c, "-a", "multi-otsu", "--classes", "9"},
            {"segment", c, "-a", "flood"},
            {"segment", c, "-a", "flood", "--seeds", "1;2"},
            {"segment", c, "-a", "region-grow", "--seeds", "1000,5"},
            {"segment", c, "-a", "kmeans", "--space", "hsv"},
            {"segment", c, "-a", "otsu", "--no-such-option"},
        };
        for (String[] args : cases) {
            Result r = SegCliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
        }
    }
}
