package org.segmentation.bench.conv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConvSummaryTest {
    private static final String B = "org.segmentation.bench.conv.Conv2dBenchmark.";

    // Shape N=1, 2 -> 4 channels, 10x10, k=3: one pass F = 2·1·4·2·9·100 = 14 400 FLOPs.
    // A second shape (N=2, 4 -> 4, 10x10: F = 57 600) has only forward; another benchmark is ignored.
    private static final String JSON = "["
            + entry("forward", 1, 2, 4, 0.001)
            + "," + entry("backwardData", 1, 2, 4, 0.002)
            + "," + entry("backwardWeights", 1, 2, 4, 0.002)
            + "," + entry("step", 1, 2, 4, 0.006)
            + "," + entry("nd4jConv2d", 1, 2, 4, 0.002)
            + "," + entry("nd4jConv2dBp", 1, 2, 4, 0.008)
            + "," + entry("forward", 2, 4, 4, 0.004)
            + ",{\"benchmark\":\"org.segmentation.bench.nn.UNetBenchmark.trainStep\",\"params\":{\"batch\":\"2\"},"
            + "\"primaryMetric\":{\"score\":1.0,\"scoreUnit\":\"ms/op\"}}"
            + "]";

    private static String entry(String method, int n, int cin, int c, double ms) {
        return "{\"benchmark\":\"" + B + method + "\",\"mode\":\"avgt\",\"params\":{\"n\":\"" + n + "\",\"cin\":\""
                + cin + "\",\"channels\":\"" + c + "\",\"size\":\"10\",\"kernel\":\"3\"},"
                + "\"primaryMetric\":{\"score\":" + ms + ",\"scoreError\":0.0,\"scoreUnit\":\"ms/op\"}}";
    }

    @Test
    void readsOneShapePerParameterSetAndComputesFlopsByHand() throws Exception {
        List<ConvSummary.Shape> shapes = ConvSummary.read(new ObjectMapper().readTree(JSON));
        assertEquals(2, shapes.size());
        ConvSummary.Shape s = shapes.get(0);
        assertEquals(14_400.0, s.passFlops());
        // forward: 14 400 FLOPs in 0.001 ms = 1.44e10 FLOP/s = 14.4 GFLOP/s
        assertEquals(14.4, s.gflops(1, s.ms("forward")), 1e-9);
        // step: 3 passes, 43 200 FLOPs in 0.006 ms = 7.2 GFLOP/s; conv2d_bp: 2 passes in 0.008 ms = 3.6 GFLOP/s
        assertEquals(7.2, s.gflops(3, s.ms("step")), 1e-9);
        assertEquals(3.6, s.gflops(2, s.ms("nd4jConv2dBp")), 1e-9);
        assertEquals(57_600.0, shapes.get(1).passFlops());
        assertTrue(Double.isNaN(shapes.get(1).ms("step")));
    }

    @Test
    void tableGivesMillisGflopsAndRatiosOursOverNd4j() throws Exception {
        String t = ConvSummary.table(ConvSummary.read(new ObjectMapper().readTree(JSON)));
        String[] lines = t.split("\n");
        assertEquals(4, lines.length, t);
        // forward ratio: ND4J 0.002 ms / ours 0.001 ms = 2.00 (ours 14.4 GFLOP/s vs ND4J 7.2);
        // backward: conv2d_bp 0.008 / (0.002 + 0.002) = 2.00; step: (0.002 + 0.008) / 0.006 = 1.67
        assertEquals("| N=1 2→4 10² k=3 | 0.00100 (14.4) | 0.00200 (7.2) | 0.00200 (7.2) | 0.00600 (7.2)"
                + " | 0.00200 (7.2) | 0.00800 (3.6) | 2.00 | 2.00 | 1.67 |", lines[2]);
        // the second shape: forward 57 600 FLOPs in 0.004 ms = 14.4 GFLOP/s, everything else missing
        assertEquals("| N=2 4→4 10² k=3 | 0.00400 (14.4) | – | – | – | – | – | – | – | – |", lines[3]);
    }
}
