package org.segmentation.bench.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.segmentation.bench.classic.ClassicWorkloads;
import org.segmentation.bench.compare.JmhSmoke;
import org.segmentation.bench.compare.Workload;
import org.segmentation.nn.model.UNetConfig;

class NnWorkloadsTest {
    @Test
    void workloadsAreWellFormedAndNameTheirBenchmarksParams() throws Exception {
        List<Workload> nn = NnWorkloads.all();
        assertEquals(List.of("conv-forward", "conv-backward-data", "conv-backward-weights", "conv-step",
                "unet-train-step", "unet-inference", "unet-train-memory", "maskrcnn-train-step", "maskrcnn-inference"),
                nn.stream().map(Workload::name).toList());
        Set<String> names = new HashSet<>();
        for (Workload w : ClassicWorkloads.all()) {
            names.add(w.name());
        }
        for (Workload w : nn) {
            assertTrue(names.add(w.name()), "duplicate workload name " + w.name());
            Set<String> declared;
            if (w.metric() == Workload.Metric.TIME) {
                declared = params(w.benchmark());
            } else {
                Class.forName(w.benchmark()).getMethod("main", String[].class);
                declared = Set.of("arch", "batch", "size", "steps");
            }
            for (boolean quick : new boolean[] {false, true}) {
                for (Map<String, String> p : w.cases(quick)) {
                    assertEquals(declared, p.keySet(), w.name() + " sets every @Param of " + w.benchmark());
                    List<String> archs = w.name().startsWith("maskrcnn") ? MaskRCNNInputs.ARCHITECTURES
                            : UNetInputs.ARCHITECTURES;
                    p.forEach((k, v) -> assertTrue(k.equals("arch") ? archs.contains(v)
                            : Integer.parseInt(v) > 0, w.name() + " " + p));
                    if (w.flops() != null) {
                        assertTrue(w.flops().of(p) > 0, w.name());
                    }
                }
            }
            assertEquals("pytorch", w.peers().get(0).name());
            assertEquals(2, w.peers().get(0).threads());
            for (Workload.Peer peer : w.peers().subList(1, w.peers().size())) {
                assertEquals("nd4j", peer.name());
                assertEquals(declared, params(peer.benchmark()), peer.benchmark() + " takes ours' params");
            }
        }
    }

    private static Set<String> params(String benchmark) {
        List<BenchmarkListEntry> found = JmhSmoke.find("^" + java.util.regex.Pattern.quote(benchmark) + "$");
        assertEquals(1, found.size(), benchmark + " in META-INF/BenchmarkList");
        return found.get(0).getParams().get().keySet();
    }

    @Test
    void convCasesAreTheStandardUNetShapesThenTheReference() {
        // Counted by hand from UNet.java: down1..down4 (3->32, 32->32 at 256; 32->64, 64->64 at 128; ... ),
        // the bottleneck 256->512, 512->512 at 16, then up4..up1 on concat(skip, up): 2f -> f, f -> f (f -> f at
        // each level already seen in the encoder).
        int[][] expected = {{3, 32, 256}, {32, 32, 256}, {32, 64, 128}, {64, 64, 128}, {64, 128, 64},
            {128, 128, 64}, {128, 256, 32}, {256, 256, 32}, {256, 512, 16}, {512, 512, 16}, {512, 256, 32},
            {256, 128, 64}, {128, 64, 128}, {64, 32, 256}};
        List<Map<String, String>> cases = NnWorkloads.convCases();
        assertEquals(expected.length + 1, cases.size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Map.of("n", "4", "cin", Integer.toString(expected[i][0]), "channels",
                    Integer.toString(expected[i][1]), "size", Integer.toString(expected[i][2]), "kernel", "3"),
                    cases.get(i), "case " + i);
        }
        assertEquals(Map.of("n", "8", "cin", "64", "channels", "64", "size", "128", "kernel", "3"),
                cases.get(expected.length));
        for (String name : List.of("conv-forward", "conv-backward-data", "conv-backward-weights")) {
            assertEquals(NnWorkloads.CONV_GROUP, workload(name).group(), name);
            assertEquals(cases, workload(name).cases(false), name);
        }
    }

    @Test
    void convFlopsAreTwoMultiplyAddsPerTapAndStepIsThree() {
        Map<String, String> p = Map.of("n", "1", "cin", "5", "channels", "2", "size", "3", "kernel", "3");
        double forward = 2.0 * 1 * 2 * 5 * 9 * 9; // 2·N·K·C·k²·H·W
        assertEquals(forward, workload("conv-forward").flops().of(p));
        assertEquals(forward, workload("conv-backward-data").flops().of(p));
        assertEquals(forward, workload("conv-backward-weights").flops().of(p));
        assertEquals(3 * forward, workload("conv-step").flops().of(p));
        // the reference shape: 9.66 GFLOP per forward, 3 of them
        assertEquals(3 * 2.0 * 8 * 64 * 64 * 9 * 128 * 128, workload("conv-step").flops().of(
                workload("conv-step").cases(false).get(0)));
    }

    @Test
    void unetFlopsCountEveryConvolutionOfAHandCountedNet() {
        // depth 1, 1 filter, 2 classes, 2x2 input, counted by hand (2 flops per multiply-add):
        // down1 1->1 3x3 on 4 px: 72 + 72; bottleneck 1->2, 2->2 on 1 px: 36 + 72; transposed 2->1 2x2 from 1 px:
        // 16; up1 2->1, 1->1 on 4 px: 144 + 72; head 1->2 1x1 on 4 px: 16. Total 500 per sample.
        UNetConfig c = UNetConfig.of(1, 2).withDepth(1).withBaseFilters(1).withBatchNorm(false);
        assertEquals(500.0, UNetInputs.forwardFlops(c, 1, 2, 2));
        assertEquals(1000.0, UNetInputs.forwardFlops(c, 2, 2, 2));
        Map<String, String> p = Map.of("arch", "wide", "batch", "2", "size", "16");
        double wide = UNetInputs.forwardFlops(UNetInputs.config("wide"), 2, 16, 16);
        assertEquals(3 * wide, workload("unet-train-step").flops().of(p));
        assertEquals(wide, workload("unet-inference").flops().of(p));
    }

    @Test
    void architecturesAreTheIssues() {
        UNetConfig tiny = UNetInputs.config("tiny");
        UNetConfig standard = UNetInputs.config("standard");
        UNetConfig wide = UNetInputs.config("wide");
        assertEquals(List.of(1, 3, 16), List.of(tiny.inputChannels(), tiny.depth(), tiny.baseFilters()));
        assertEquals(List.of(3, 4, 32), List.of(standard.inputChannels(), standard.depth(), standard.baseFilters()));
        assertEquals(List.of(1, 4, 64), List.of(wide.inputChannels(), wide.depth(), wide.baseFilters()));
        for (UNetConfig c : List.of(tiny, standard, wide)) {
            assertEquals(3, c.classes());
            assertTrue(c.batchNorm());
            assertEquals(UNetConfig.Upsampling.TRANSPOSED, c.upsampling());
        }
        assertEquals(List.of(Map.of("arch", "tiny", "batch", "8", "size", "64"),
                Map.of("arch", "standard", "batch", "4", "size", "256"),
                Map.of("arch", "wide", "batch", "2", "size", "256")), NnWorkloads.unetCases());
    }

    @Test
    void labelsComeFromTheFirstChannelOfEachSample() {
        // 2 samples, 2 channels, 1x2 pixels: (n, c, x)
        float[] images = {0.1f, 0.5f, /* n0 c1 */ 0.9f, 0.9f, /* n1 c0 */ 0.7f, 0.99f, /* n1 c1 */ 0f, 0f};
        assertArrayEquals(new int[] {0, 1, 2, 2}, UNetInputs.labels(images, 2, 2));
    }

    private static Workload workload(String name) {
        return NnWorkloads.all().stream().filter(w -> w.name().equals(name)).findFirst().orElseThrow();
    }
}
