package org.segmentation.bench.nn;

import java.util.List;
import java.util.Map;
import org.segmentation.bench.compare.Workload;
import org.segmentation.bench.compare.Workload.Peer;
import org.segmentation.bench.conv.Conv2dBenchmark;
import org.segmentation.bench.conv.ConvInputs;

/**
 * The neural workloads of {@code seg bench}: our convolution ({@code ShiftedGemmConv2d}) and U-Net against
 * PyTorch 1.13 on the CPU ({@code peers/torch_peers.py}, told to use 2 threads). Ours runs on ND4J's default
 * threads (OpenMP and OpenBLAS: one per core), which is 2 on the 2-core machine the comparison is made on.
 */
public final class NnWorkloads {
    /** The peer script of these workloads. */
    public static final String SCRIPT = "torch_peers.py";
    /** Threads PyTorch is told to use. */
    public static final int TORCH_THREADS = 2;

    private static final Peer PYTORCH = new Peer("pytorch", SCRIPT, TORCH_THREADS);
    private static final String CONV = Conv2dBenchmark.class.getName() + ".";
    private static final String UNET = UNetBenchmark.class.getName() + ".";
    private static final String THREADS = "; ours on ND4J's default threads (one per core), PyTorch on "
            + TORCH_THREADS;

    private NnWorkloads() {
    }

    /** All neural workloads, in report order. */
    public static List<Workload> all() {
        // cin = channels: the peer's inputs are C -> C (it ignores --cin)
        Map<String, String> conv = Map.of("n", "8", "cin", "64", "channels", "64", "size", "128", "kernel", "3");
        Map<String, String> convQuick = Map.of("n", "2", "cin", "16", "channels", "16", "size", "32", "kernel",
                "3");
        return List.of(
                new Workload("conv-forward", "3x3 same-padded convolution forward with bias, NCHW float32, C -> C"
                        + " channels; ours ShiftedGemmConv2d into a reused output, PyTorch F.conv2d under no_grad"
                        + " (check: sum|y| to 4 digits)" + THREADS,
                        CONV + "shiftedForward", conv, convQuick, List.of(PYTORCH),
                        (p, dir) -> {
                            ConvInputs in = convInputs(p);
                            in.write(dir);
                            return in.check(false);
                        }, p -> convFlops(p)),
                new Workload("conv-step", "the same convolution's forward, backward-data and backward-weights"
                        + " (+ bias) for a given dY, as in a training step; PyTorch: conv2d then y.backward(dY) with"
                        + " x, w and b requiring gradients (check: sum|y|, sum|dX|, sum|dW| to 4 digits;"
                        + " GFLOP/s counts 3 times the forward)" + THREADS,
                        CONV + "shiftedStep", conv, convQuick, List.of(PYTORCH),
                        (p, dir) -> {
                            ConvInputs in = convInputs(p);
                            in.write(dir);
                            return in.check(true);
                        }, p -> 3 * convFlops(p)),
                new Workload("unet-train-step", "U-Net training step (1 channel in, 3 classes, depth 3, 16 base"
                        + " filters, batch norm, transposed up-sampling): zero grads, forward, softmax"
                        + " cross-entropy, backward, Adam 1e-3, same initial weights and batch on both sides"
                        + " (check: first step's loss and sum|logits|; GFLOP/s counts the convolutions, 3 times"
                        + " the forward)" + THREADS,
                        UNET + "trainStep", unet(8, 64), unet(2, 16), List.of(PYTORCH),
                        (p, dir) -> {
                            UNetInputs.write(batch(p), size(p), dir);
                            return UNetInputs.trainCheck(batch(p), size(p));
                        }, p -> 3 * UNetInputs.forwardFlops(UNetInputs.config(), batch(p), size(p), size(p))),
                new Workload("unet-inference", "the same U-Net in evaluation mode, forward only (PyTorch under"
                        + " no_grad), logits of the batch (check: sum|logits| to 4 digits; GFLOP/s counts the"
                        + " convolutions)" + THREADS,
                        UNET + "inference", unet(8, 128), unet(2, 16), List.of(PYTORCH),
                        (p, dir) -> {
                            UNetInputs.write(batch(p), size(p), dir);
                            return UNetInputs.inferenceCheck(batch(p), size(p));
                        }, p -> UNetInputs.forwardFlops(UNetInputs.config(), batch(p), size(p), size(p))));
    }

    /** FLOPs of one forward convolution: 2·N·C_out·C_in·k²·H·W (C_out = channels, C_in = cin). */
    static double convFlops(Map<String, String> p) {
        double c = integer(p, "channels"), ci = integer(p, "cin"), s = integer(p, "size"), k = integer(p, "kernel");
        return 2.0 * integer(p, "n") * c * ci * k * k * s * s;
    }

    private static ConvInputs convInputs(Map<String, String> p) {
        if (integer(p, "cin") != integer(p, "channels")) {
            throw new IllegalArgumentException("the PyTorch peer compares C -> C convolutions only, got " + p);
        }
        return new ConvInputs(integer(p, "n"), integer(p, "channels"), integer(p, "size"), integer(p, "kernel"));
    }

    private static Map<String, String> unet(int batch, int size) {
        return Map.of("batch", Integer.toString(batch), "size", Integer.toString(size));
    }

    private static int batch(Map<String, String> p) {
        return integer(p, "batch");
    }

    private static int size(Map<String, String> p) {
        return integer(p, "size");
    }

    private static int integer(Map<String, String> p, String key) {
        String v = p.get(key);
        if (v == null) {
            throw new IllegalArgumentException("parameter '" + key + "' is missing from " + p);
        }
        return Integer.parseInt(v);
    }
}
