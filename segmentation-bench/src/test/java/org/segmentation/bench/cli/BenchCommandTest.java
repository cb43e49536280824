package org.segmentation.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.bench.cli.SegCliTest.Result;
import org.segmentation.bench.compare.Workload;
import org.segmentation.bench.nn.NnWorkloads;

class BenchCommandTest {
    @Test
    void helpAndListNameTheOptionsAndWorkloads() {
        Result help = SegCliTest.run("bench", "--help");
        assertEquals(0, help.code());
        for (String s : new String[] {"--out", "--rounds", "--quick", "--workloads", "--smoke", "--python"}) {
            assertTrue(help.out().contains(s), s + " in\n" + help.out());
        }
        Result list = SegCliTest.run("bench", "--list");
        assertEquals(0, list.code());
        for (String w : new String[] {"otsu", "multi-otsu", "watershed", "kmeans", "flood", "connected-components",
            "conv-forward", "conv-step", "unet-train-step", "unet-inference"}) {
            assertTrue(list.out().lines().anyMatch(l -> l.startsWith(w + " ")), w + " in\n" + list.out());
        }
    }

    @Test
    void badOptionsAreUsageErrorsAndMissingFilesFailures(@TempDir Path dir) {
        assertEquals(2, SegCliTest.run("bench", "-w", "nope", "--out", dir.toString()).code());
        assertEquals(2, SegCliTest.run("bench", "-w", "otsu,otsu", "--out", dir.toString()).code());
        assertEquals(2, SegCliTest.run("bench", "--rounds", "0", "--peers", dir.toString()).code());
        Result noPeers = SegCliTest.run("bench", "--peers", dir.resolve("none").toString());
        assertEquals(1, noPeers.code());
        assertTrue(noPeers.err().contains("none") && noPeers.err().strip().lines().count() == 1, noPeers.err());
        Result noPython = SegCliTest.run("bench", "--peers", dir.toString(), "--python",
                dir.resolve("python9").toString());
        assertEquals(1, noPython.code());
        assertTrue(noPython.err().contains("python9"), noPython.err());
        Result noMatch = SegCliTest.run("bench", "--smoke", "--include", "NoSuchBenchmarkAnywhere");
        assertEquals(1, noMatch.code());
        Result noCase = SegCliTest.run("bench", "-w", "unet-train-step", "--where", "arch=huge", "--out",
                dir.toString());
        assertEquals(2, noCase.code());
        assertTrue(noCase.err().contains("arch=huge") && noCase.err().contains("arch=tiny"), noCase.err());
        assertEquals(2, SegCliTest.run("bench", "--quick", "--where", "arch=tiny", "--out", dir.toString()).code());
    }

    @Test
    void whereKeepsTheCasesWithTheGivenParameters() {
        Workload train = NnWorkloads.all().stream().filter(w -> w.name().equals("unet-train-step")).findFirst()
                .orElseThrow();
        assertEquals(3, train.cases(false).size());
        List<Map<String, String>> tiny = train.where(Map.of("arch", "tiny")).cases(false);
        assertEquals(List.of(Map.of("arch", "tiny", "batch", "8", "size", "64")), tiny);
        assertEquals(1, train.where(Map.of("arch", "wide", "batch", "2")).cases(false).size());
        assertThrows(IllegalArgumentException.class, () -> train.where(Map.of("arch", "wide", "batch", "8")));
        assertThrows(IllegalArgumentException.class, () -> train.where(Map.of("kernel", "3")));
    }

    @Test
    void smokeRunsTheMatchingBenchmarkOnItsSmallestParam(@TempDir Path dir) throws Exception {
        // Other engineers' JMH runs on this machine hold JMH's lock; a smoke run's times do not matter.
        String ignoreLock = System.setProperty("jmh.ignoreLock", "true");
        try {
            Result r = SegCliTest.run("bench", "--smoke", "--include", "classic\\.OtsuBenchmark\\.threshold$",
                    "--out", dir.toString());
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(r.out().contains("ok   org.segmentation.bench.classic.OtsuBenchmark.threshold{size=256}"),
                    r.out());
            assertTrue(r.out().contains("1 benchmarks ran"), r.out());
            assertTrue(java.nio.file.Files.exists(dir.resolve("smoke")
                    .resolve("org.segmentation.bench.classic.OtsuBenchmark.threshold.log")));
        } finally {
            if (ignoreLock == null) {
                System.clearProperty("jmh.ignoreLock");
            } else {
                System.setProperty("jmh.ignoreLock", ignoreLock);
            }
        }
    }
}
