package org.segmentation.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.BenchmarkListEntry;

class ComparisonRunnerTest {
    @TempDir
    Path dir;

    /**
     * A peer that takes 2 ms by its own account; "python" is /bin/sh so the protocol is tested without Python.
     * It also records its arguments, to check what the runner passes.
     */
    private Path fakePeers() throws Exception {
        Path peers = Files.createDirectories(dir.resolve("peers"));
        Files.writeString(peers.resolve("fake.sh"), "echo \"$@\" >> \"" + dir.resolve("args.txt") + "\"\n"
                + "echo 'some log line'\n"
                + "echo '{\"median_ms\": 2.0, \"threads\": 1, \"version\": \"fake 1.0\", \"check\": 42}'\n");
        Files.writeString(peers.resolve("broken.sh"), "echo 'no module named cv2' >&2\nexit 3\n");
        return peers;
    }

    @Test
    void interleavesJmhAndPeersAndReportsMedianRatios() throws Exception {
        Path peers = fakePeers();
        Workload w = new Workload("otsu-threshold", "test", "org.segmentation.bench.classic.OtsuBenchmark.threshold",
                Map.of("size", "4096"), Map.of("size", "256"),
                List.of(new Workload.Peer("fake", "fake.sh", 1), new Workload.Peer("broken", "broken.sh", 1)),
                (p, d) -> 42, null);
        ComparisonRunner.Config config = new ComparisonRunner.Config(2, 1, true, 0, 1, 50, 3, 0.5, Path.of("/bin/sh"),
                peers, dir.resolve("work"));
        StringWriter progress = new StringWriter();
        // Other engineers' JMH runs on this machine hold JMH's lock; this test's times do not matter.
        String ignoreLock = System.setProperty("jmh.ignoreLock", "true");
        List<ComparisonRunner.WorkloadRun> runs;
        try {
            runs = new ComparisonRunner(config, new PrintWriter(progress, true)).run(List.of(w));
        } finally {
            if (ignoreLock == null) {
                System.clearProperty("jmh.ignoreLock");
            } else {
                System.setProperty("jmh.ignoreLock", ignoreLock);
            }
        }

        ComparisonRunner.WorkloadRun r = runs.get(0);
        assertNull(r.error(), r.error());
        assertEquals(2, r.millis().size(), "one JMH score per round");
        // our score is the median sampled call, the peers' statistic: JMH's log prints it as the p0.50 line
        // (rounded to 3 decimals there)
        try (var logs = Files.list(dir.resolve("work").resolve("jmh"))) {
            Path log = logs.filter(f -> f.getFileName().toString().endsWith("round1.log")).findFirst().orElseThrow();
            String p50 = Files.readString(log).lines().filter(l -> l.contains("p0.50")).findFirst()
                    .orElseThrow(() -> new AssertionError("no sampled median in " + log));
            String[] cols = p50.trim().split("\\s+");
            double logged = Double.parseDouble(cols[cols.length - 2]);
            assertEquals(logged, r.millis().get(0), 5e-4 + 1e-3 * logged, p50);
        }
        assertEquals(Map.of("size", "256"), r.params(), "quick parameters");
        ComparisonRunner.PeerRun fake = r.peers().get(0);
        assertEquals(2, fake.ratios().size());
        for (int i = 0; i < 2; i++) {
            assertEquals(r.millis().get(i) / 2.0, fake.ratios().get(i), 1e-12, "ratio of the same round");
        }
        assertEquals("fake 1.0", fake.version());
        assertEquals(42, fake.check().asInt());
        String args = Files.readString(dir.resolve("args.txt"));
        assertTrue(args.contains("--workload otsu-threshold --peer fake --inputs ") && args.contains("--size 256"),
                args);
        assertEquals(2, args.strip().lines().count(), "the peer ran once per round");

        ComparisonRunner.PeerRun broken = r.peers().get(1);
        assertTrue(broken.ratios().isEmpty());
        assertEquals("no module named cv2", broken.error());

        ComparisonReport report = new ComparisonReport(runs, config, Instant.now(), 1.0, 1.0);
        report.write(dir.resolve("out"));
        String md = Files.readString(dir.resolve("out").resolve(ComparisonReport.MARKDOWN_FILE));
        assertTrue(md.contains("| workload | params | ours ms | peer | peer threads | peer ms | ours/peer |"), md);
        assertTrue(md.contains(String.format(java.util.Locale.ROOT, "| %.2f |", fake.medianRatio())), md);
        assertTrue(md.contains("failed: no module named cv2"), md);
        assertTrue(md.contains("| 42 / 42 |"), md);
        BufferedImage png = ImageIO.read(dir.resolve("out").resolve(ComparisonReport.CHART_FILE).toFile());
        assertNotNull(png);
        assertEquals(1000, png.getWidth());
        assertTrue(Files.readString(dir.resolve("out").resolve(ComparisonReport.JSON_FILE)).contains("\"ratios\""));
    }

    @Test
    void memoryWorkloadsRunOnlyInTheFirstMemoryRounds() {
        Workload.Inputs none = (p, d) -> null;
        Workload time = new Workload("t", "time", "a.B.c", Map.of(), Map.of(), List.of(), none, null);
        Workload memory = new Workload("m", "memory", "a.Main", List.of(Map.of()), Map.of(), List.of(), none, null,
                Workload.Metric.PEAK_RSS, null);
        ComparisonRunner.Config config = new ComparisonRunner.Config(3, 2, false, 0, 1, 1, 1, 1, Path.of("py"),
                dir, dir);
        for (int round = 1; round <= 3; round++) {
            assertTrue(ComparisonRunner.runsIn(round, time, config), "time, round " + round);
            assertEquals(round <= 2, ComparisonRunner.runsIn(round, memory, config), "memory, round " + round);
        }
        assertThrows(IllegalArgumentException.class, () -> new ComparisonRunner.Config(3, 4, false, 0, 1, 1, 1, 1,
                Path.of("py"), dir, dir));
        assertThrows(IllegalArgumentException.class, () -> new ComparisonRunner.Config(3, 0, false, 0, 1, 1, 1, 1,
                Path.of("py"), dir, dir));
    }

    @Test
    void lastMessageSkipsStackFrames() {
        String java = "[main] INFO x - started\n"
                + "Exception in thread \"main\" java.lang.OutOfMemoryError: Cannot allocate new LongPointer(3)\n"
                + "\tat org.bytedeco.javacpp.LongPointer.<init>(LongPointer.java:88)\n"
                + "Caused by: java.lang.OutOfMemoryError: Physical memory usage is too high\n"
                + "\tat org.bytedeco.javacpp.Pointer.deallocator(Pointer.java:700)\n"
                + "\t... 13 more\n";
        assertEquals("Caused by: java.lang.OutOfMemoryError: Physical memory usage is too high",
                ComparisonRunner.lastMessage(java));
        String python = "Traceback (most recent call last):\n  File \"p.py\", line 3, in <module>\n"
                + "    import cv2\nModuleNotFoundError: No module named 'cv2'\n";
        assertEquals("ModuleNotFoundError: No module named 'cv2'", ComparisonRunner.lastMessage(python));
        assertEquals("", ComparisonRunner.lastMessage("\n"));
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, ComparisonRunner.median(List.of(3.0, 1.0, 2.0)));
        assertEquals(2.5, ComparisonRunner.median(List.of(4.0, 1.0, 2.0, 3.0)));
        assertTrue(Double.isNaN(ComparisonRunner.median(List.of())));
    }

    @Test
    void smokeFindsTheBenchmarksWithTheirSmallestParamFirst() {
        List<BenchmarkListEntry> found = JmhSmoke.find("classic\\.OtsuBenchmark\\.");
        assertEquals(2, found.size(), found.toString());
        for (BenchmarkListEntry e : found) {
            assertEquals("256", e.getParams().get().get("size")[0]);
        }
        assertTrue(JmhSmoke.find("classic\\.").size() >= 7);
    }
}
