package org.segmentation.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ComparisonReportTest {
    @Test
    void geometricMeanOfHandPickedRatios() {
        assertEquals(2.0, ComparisonReport.geometricMean(List.of(1.0, 4.0)), 1e-12);
        assertEquals(1.0, ComparisonReport.geometricMean(List.of(0.5, 2.0, 1.0)), 1e-12);
        assertEquals(3.0, ComparisonReport.geometricMean(List.of(1.0, 3.0, 9.0)), 1e-12);
        assertEquals(0.7, ComparisonReport.geometricMean(List.of(0.7)), 1e-12);
        assertTrue(Double.isNaN(ComparisonReport.geometricMean(List.of())));
        assertTrue(Double.isNaN(ComparisonReport.geometricMean(List.of(1.0, 0.0))));
    }

    /**
     * Two workloads of one group with two cases each and a third workload outside it: one mean per peer over the
     * group's four cases, a failed case left out; the ungrouped workload adds nothing.
     */
    @Test
    void groupMeansCoverEveryCaseOfTheGroupPerPeer() {
        Workload.Peer torch = new Workload.Peer("pytorch", "p.py", 2);
        Workload.Peer nd4j = Workload.Peer.jmh("nd4j", "a.B.c", 2);
        List<Map<String, String>> cases = List.of(Map.of("n", "1"), Map.of("n", "2"));
        Workload fwd = new Workload("fwd", "", "a.B.f", cases, Map.of("n", "1"), List.of(torch, nd4j),
                (p, d) -> null, null, Workload.Metric.TIME, "g");
        Workload bwd = new Workload("bwd", "", "a.B.b", cases, Map.of("n", "1"), List.of(torch, nd4j),
                (p, d) -> null, null, Workload.Metric.TIME, "g");
        Workload other = new Workload("other", "", "a.B.o", Map.of(), Map.of(), List.of(torch), (p, d) -> null,
                null);
        double[][] torchRatios = {{2.0}, {8.0}, {0.5}, {1.0}};     // fwd n=1, fwd n=2, bwd n=1, bwd n=2
        double[][] nd4jRatios = {{1.0, 3.0}, {4.0}, {}, {1.0}};    // two rounds (median 2), one failed case
        List<ComparisonRunner.WorkloadRun> runs = new java.util.ArrayList<>();
        int i = 0;
        for (Workload w : List.of(fwd, bwd)) {
            for (Map<String, String> c : cases) {
                ComparisonRunner.WorkloadRun r = new ComparisonRunner.WorkloadRun(w, c);
                for (double v : torchRatios[i]) {
                    r.peers.get(0).ratios.add(v);
                }
                for (double v : nd4jRatios[i]) {
                    r.peers.get(1).ratios.add(v);
                }
                runs.add(r);
                i++;
            }
        }
        ComparisonRunner.WorkloadRun o = new ComparisonRunner.WorkloadRun(other, Map.of());
        o.peers.get(0).ratios.add(100.0);
        runs.add(o);

        List<ComparisonReport.GroupMean> means = ComparisonReport.groupMeans(runs);
        assertEquals(2, means.size(), means.toString());
        ComparisonReport.GroupMean t = means.get(0);
        assertEquals("pytorch", t.peer());
        assertEquals(List.of("fwd", "bwd"), t.workloads());
        assertEquals(4, t.cases());
        assertEquals(Math.pow(2 * 8 * 0.5 * 1, 0.25), t.mean(), 1e-12);  // 8^(1/4) = 1.682
        ComparisonReport.GroupMean n = means.get(1);
        assertEquals("nd4j", n.peer());
        assertEquals(3, n.cases());
        assertEquals(2.0, n.mean(), 1e-12);                             // 2, 4, 1: 8^(1/3) = 2
        ComparisonRunner.Config config = new ComparisonRunner.Config(1, 1, false, 0, 1, 1, 1, 1, Path.of("py"),
                Path.of("peers"), Path.of("work"));
        String md = new ComparisonReport(runs, config, Instant.EPOCH, 1, 1).markdown();
        assertTrue(md.contains("| g | fwd, bwd | pytorch | 4 | 1.68 |"), md);
        assertTrue(md.contains("| g | fwd, bwd | nd4j | 3 | 2.00 |"), md);
    }
}
