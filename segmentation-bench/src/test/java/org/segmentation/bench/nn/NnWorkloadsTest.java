package org.segmentation.bench.nn;

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
    void workloadsAreWellFormedAndNameTheirBenchmarksParams() {
        List<Workload> nn = NnWorkloads.all();
        assertEquals(List.of("conv-forward", "conv-step", "unet-train-step", "unet-inference"),
                nn.stream().map(Workload::name).toList());
        Set<String> names = new HashSet<>();
        for (Workload w : ClassicWorkloads.all()) {
            names.add(w.name());
        }
        for (Workload w : nn) {
            assertTrue(names.add(w.name()), "duplicate workload name " + w.name());
            List<BenchmarkListEntry> found = JmhSmoke.find("^" + java.util.regex.Pattern.quote(w.benchmark()) + "$");
            assertEquals(1, found.size(), w.benchmark() + " in META-INF/BenchmarkList");
            Set<String> declared = found.get(0).getParams().get().keySet();
            for (boolean quick : new boolean[] {false, true}) {
                Map<String, String> p = w.params(quick);
                assertEquals(declared, p.keySet(), w.name() + " sets every @Param of " + w.benchmark());
                p.values().forEach(v -> assertTrue(Integer.parseInt(v) > 0, w.name() + " " + p));
                assertTrue(w.flops().of(p) > 0, w.name());
            }
            assertEquals(List.of("pytorch"), w.peers().stream().map(Workload.Peer::name).toList());
            assertEquals(2, w.peers().get(0).threads());
        }
    }

    @Test
    void convFlopsAreTwoMultiplyAddsPerTapAndStepIsThree() {
        Map<String, String> p = Map.of("n", "1", "cin", "5", "channels", "2", "size", "3", "kernel", "3");
        double forward = 2.0 * 1 * 2 * 5 * 9 * 9; // 2·N·K·C·k²·H·W
        assertEquals(forward, workload("conv-forward").flops().of(p));
        assertEquals(3 * forward, workload("conv-step").flops().of(p));
        // the reference shape: 9.66 GFLOP per forward
        assertEquals(2.0 * 8 * 64 * 64 * 9 * 128 * 128, workload("conv-forward").flops().of(
                workload("conv-forward").params()));
    }

    @Test
    void unetFlopsCountEveryConvolutionOfAHandCountedNet() {
        // depth 1, 1 filter, 2 classes, 2x2 input, counted by hand (2 flops per multiply-add):
        // down1 1->1 3x3 on 4 px: 72 + 72; bottleneck 1->2, 2->2 on 1 px: 36 + 72; transposed 2->1 2x2 from 1 px:
        // 16; up1 2->1, 1->1 on 4 px: 144 + 72; head 1->2 1x1 on 4 px: 16. Total 500 per sample.
        UNetConfig c = UNetConfig.of(1, 2).withDepth(1).withBaseFilters(1).withBatchNorm(false);
        assertEquals(500.0, UNetInputs.forwardFlops(c, 1, 2, 2));
        assertEquals(1000.0, UNetInputs.forwardFlops(c, 2, 2, 2));
        Map<String, String> p = Map.of("batch", "2", "size", "2");
        double experiment = UNetInputs.forwardFlops(UNetInputs.config(), 2, 2, 2);
        assertEquals(3 * experiment, workload("unet-train-step").flops().of(p));
        assertEquals(experiment, workload("unet-inference").flops().of(p));
    }

    private static Workload workload(String name) {
        return NnWorkloads.all().stream().filter(w -> w.name().equals(name)).findFirst().orElseThrow();
    }
}
