package org.segmentation.bench.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.segmentation.bench.compare.ComparisonRunner;
import org.segmentation.bench.compare.Workload;
import org.segmentation.bench.compare.Workload.Metric;
import org.segmentation.bench.compare.Workload.Peer;
import org.segmentation.bench.conv.Conv2dBenchmark;
import org.segmentation.bench.conv.ConvInputs;

/**
 * The neural workloads of {@code seg bench}: our convolution ({@link ConvInputs#ours()}) per pass at every 3×3
 * shape of the standard U-Net, our U-Net's training step, inference and training memory, against PyTorch 1.13
 * on the CPU ({@code peers/torch_peers.py}, told to use 2 threads) and, for the convolutions, ND4J's own
 * {@code conv2d} / {@code conv2d_bp} timed in the same JMH run. Ours runs on ND4J's default threads (OpenMP and
 * OpenBLAS: one per core), which is 2 on the 2-core machine the comparison is made on.
 */
public final class NnWorkloads {
    /** The peer script of these workloads. */
    public static final String SCRIPT = "torch_peers.py";
    /** Threads PyTorch is told to use. */
    public static final int TORCH_THREADS = 2;
    /** Group of the per-pass convolution workloads, whose ratios the report sums up in one geometric mean. */
    public static final String CONV_GROUP = "conv-shapes";
    /** Batch of the convolution shapes taken from the standard U-Net (its training batch). */
    public static final int CONV_BATCH = 4;

    private static final Peer PYTORCH = new Peer("pytorch", SCRIPT, TORCH_THREADS);
    private static final String CONV = Conv2dBenchmark.class.getName() + ".";
    private static final String UNET = UNetBenchmark.class.getName() + ".";
    private static final String MASKRCNN = MaskRCNNBenchmark.class.getName() + ".";
    private static final Peer ND4J_CONV2D = Peer.jmh("nd4j", CONV + "nd4jConv2d",
            Runtime.getRuntime().availableProcessors());
    private static final Peer ND4J_CONV2D_BP = Peer.jmh("nd4j", CONV + "nd4jConv2dBp",
            Runtime.getRuntime().availableProcessors());
    private static final String THREADS = "; ours on ND4J's default threads (one per core), PyTorch on "
            + TORCH_THREADS;

    private NnWorkloads() {
    }

    /**
     * The convolution cases: every distinct 3×3 shape of the standard U-Net ({@link UNetInputs#convShapes}) at
     * batch {@link #CONV_BATCH}, then the reference shape N=8, 64→64, 128².
     */
    public static List<Map<String, String>> convCases() {
        List<Map<String, String>> cases = new ArrayList<>();
        for (UNetInputs.ConvShape s : UNetInputs.convShapes(UNetInputs.config("standard"), 256)) {
            cases.add(conv(CONV_BATCH, s.cin(), s.cout(), s.size()));
        }
        cases.add(conv(8, 64, 64, 128));
        return cases;
    }

    /** The U-Net cases: tiny at batch 8 of 64², standard at batch 4 of 256², wide at batch 2 of 256². */
    public static List<Map<String, String>> unetCases() {
        return List.of(unet("tiny", 8, 64), unet("standard", 4, 256), unet("wide", 2, 256));
    }

    /** The Mask R-CNN cases: tiny at batch 2 of 64², small at batch 2 of 128². */
    public static List<Map<String, String>> maskRcnnCases() {
        return List.of(unet("tiny", 2, 64), unet("small", 2, 128));
    }

    /** All neural workloads, in report order. */
    public static List<Workload> all() {
        Map<String, String> convQuick = conv(2, 8, 16, 32);
        String convNote = "3x3 same-padded convolution, NCHW float32, at every 3x3 shape of the standard U-Net"
                + " (batch " + CONV_BATCH + ") and N=8 64->64 128^2; ours " + ConvInputs.ours().getClass()
                .getSimpleName() + " inside the Memory.scratch workspace, a fresh instance per call (nothing cached by a forward)";
        return List.of(
                new Workload("conv-forward", convNote + "; forward + bias into a reused output. PyTorch F.conv2d"
                        + " under no_grad; ND4J conv2d in the same JMH run (check: sum|y| to 4 digits)" + THREADS,
                        CONV + "forward", convCases(), convQuick, List.of(PYTORCH, ND4J_CONV2D),
                        (p, dir) -> convCheck(p, dir, 0), NnWorkloads::convFlops, Metric.TIME, CONV_GROUP),
                new Workload("conv-backward-data", convNote + "; gradient of the input for a given dY. PyTorch"
                        + " torch.nn.grad.conv2d_input; ND4J conv2d_bp in the same JMH run, which computes the"
                        + " input's, the weights' and the bias's gradients in one call and is reported as is"
                        + " (check: sum|dX| to 4 digits)" + THREADS,
                        CONV + "backwardData", convCases(), convQuick, List.of(PYTORCH, ND4J_CONV2D_BP),
                        (p, dir) -> convCheck(p, dir, 1), NnWorkloads::convFlops, Metric.TIME, CONV_GROUP),
                new Workload("conv-backward-weights", convNote + "; gradients of the weights and the bias for a"
                        + " given dY, zeroed first. PyTorch torch.nn.grad.conv2d_weight and dY.sum((0,2,3)); ND4J"
                        + " conv2d_bp as for conv-backward-data (both gradients, as is) (check: sum|dW| to 4"
                        + " digits)" + THREADS,
                        CONV + "backwardWeights", convCases(), convQuick, List.of(PYTORCH, ND4J_CONV2D_BP),
                        (p, dir) -> convCheck(p, dir, 2), NnWorkloads::convFlops, Metric.TIME, CONV_GROUP),
                new Workload("conv-step", "the reference convolution N=8 64->64 128^2: forward, backward-data and"
                        + " backward-weights (+ bias) for a given dY, as in a training step; PyTorch: conv2d then"
                        + " y.backward(dY) with x, w and b requiring gradients (check: sum|y|, sum|dX|, sum|dW| to 4"
                        + " digits; GFLOP/s counts 3 times the forward)" + THREADS,
                        CONV + "step", List.of(conv(8, 64, 64, 128)), convQuick, List.of(PYTORCH),
                        (p, dir) -> {
                            ConvInputs in = convInputs(p);
                            in.write(dir);
                            return in.check(true);
                        }, p -> 3 * convFlops(p), Metric.TIME, null),
                new Workload("unet-train-step", "U-Net training step (3 classes, batch norm, transposed"
                        + " up-sampling; arch tiny: 1 channel in, depth 3, 16 base filters; standard: 3 channels,"
                        + " depth 4, 32; wide: 1 channel, depth 4, 64): zero grads, forward, softmax"
                        + " cross-entropy, backward, Adam 1e-3, same initial weights and batch on both sides"
                        + " (check: first step's loss and sum|logits|; GFLOP/s counts the convolutions, 3 times"
                        + " the forward)" + THREADS,
                        UNET + "trainStep", unetCases(), unet("tiny", 2, 16), List.of(PYTORCH),
                        (p, dir) -> {
                            UNetInputs.write(arch(p), batch(p), size(p), dir);
                            return UNetInputs.trainCheck(arch(p), batch(p), size(p));
                        }, p -> 3 * unetFlops(p), Metric.TIME, null),
                new Workload("unet-inference", "the same U-Nets in evaluation mode, forward only (PyTorch under"
                        + " no_grad), logits of the batch (check: sum|logits| to 4 digits; GFLOP/s counts the"
                        + " convolutions)" + THREADS,
                        UNET + "inference", unetCases(), unet("tiny", 2, 16), List.of(PYTORCH),
                        (p, dir) -> {
                            UNetInputs.write(arch(p), batch(p), size(p), dir);
                            return UNetInputs.inferenceCheck(arch(p), batch(p), size(p));
                        }, NnWorkloads::unetFlops, Metric.TIME, null),
                new Workload("unet-train-memory", "peak resident set (VmHWM of /proc/<pid>/status, MB) of a fresh"
                        + " process that runs `steps` training steps of the standard U-Net as unet-train-step"
                        + " does; ours: TrainingMemory in a new JVM with " + String.join(" ",
                        ComparisonRunner.PROCESS_JVM_ARGS) + " and JavaCPP's default limits (the whole process:"
                        + " heap, JVM, off-heap); PyTorch: the same steps in a new python (check: first step's"
                        + " loss)" + THREADS,
                        TrainingMemory.class.getName(), List.of(memory("standard", 4, 256, 100)),
                        memory("tiny", 2, 16, 5), List.of(PYTORCH),
                        (p, dir) -> {
                            UNetInputs.write(arch(p), batch(p), size(p), dir);
                            return null;
                        }, null, Metric.PEAK_RSS, null),
                new Workload("maskrcnn-train-step", "Mask R-CNN training step (3 classes; arch tiny: basic-block"
                        + " ResNet of widths 8-16, 16-channel FPN, 64 RPN and 64 box samples per image; small:"
                        + " MaskRCNNConfig.small, ResNet widths 16-128, 64-channel FPN, 256 and 256 samples): zero"
                        + " grads, the five losses of a batch of noisy images with 4 rectangles and ellipses each,"
                        + " backward, Adam 1e-4, same initial weights and batch on both sides; each side draws its"
                        + " own anchor and proposal samples. torchvision 0.14's MaskRCNN with its transform's"
                        + " resizing off (no check: the samples differ)" + THREADS,
                        MASKRCNN + "trainStep", maskRcnnCases(), unet("tiny", 1, 64), List.of(PYTORCH),
                        (p, dir) -> {
                            MaskRCNNInputs.write(arch(p), batch(p), size(p), dir);
                            return null;
                        }, null, Metric.TIME, null),
                new Workload("maskrcnn-inference", "the same Mask R-CNNs in evaluation mode from the initial"
                        + " weights: proposals, detections, masks pasted into the image (ours thresholded into an"
                        + " instance label map, torchvision's left as probabilities) (check: detections and sum of"
                        + " scores to 4 digits)" + THREADS,
                        MASKRCNN + "inference", maskRcnnCases(), unet("tiny", 1, 64), List.of(PYTORCH),
                        (p, dir) -> {
                            MaskRCNNInputs.write(arch(p), batch(p), size(p), dir);
                            return MaskRCNNInputs.inferenceCheck(arch(p), batch(p), size(p));
                        }, null, Metric.TIME, null));
    }

    private static Map<String, String> conv(int n, int cin, int channels, int size) {
        return Map.of("n", Integer.toString(n), "cin", Integer.toString(cin), "channels",
                Integer.toString(channels), "size", Integer.toString(size), "kernel", "3");
    }

    /** Writes the convolution's inputs and returns our check of one pass (0 forward, 1 data, 2 weights). */
    private static List<String> convCheck(Map<String, String> p, Path dir, int pass) throws IOException {
        ConvInputs in = convInputs(p);
        in.write(dir);
        return List.of(in.check(pass > 0).get(pass));
    }

    private static double unetFlops(Map<String, String> p) {
        return UNetInputs.forwardFlops(UNetInputs.config(arch(p)), batch(p), size(p), size(p));
    }

    /** FLOPs of one forward convolution: 2·N·C_out·C_in·k²·H·W (C_out = channels, C_in = cin). */
    static double convFlops(Map<String, String> p) {
        double c = integer(p, "channels"), ci = integer(p, "cin"), s = integer(p, "size"), k = integer(p, "kernel");
        return 2.0 * integer(p, "n") * c * ci * k * k * s * s;
    }

    private static ConvInputs convInputs(Map<String, String> p) {
        return new ConvInputs(integer(p, "n"), integer(p, "cin"), integer(p, "channels"), integer(p, "size"),
                integer(p, "kernel"));
    }

    private static Map<String, String> unet(String arch, int batch, int size) {
        return Map.of("arch", arch, "batch", Integer.toString(batch), "size", Integer.toString(size));
    }

    private static Map<String, String> memory(String arch, int batch, int size, int steps) {
        return Map.of("arch", arch, "batch", Integer.toString(batch), "size", Integer.toString(size), "steps",
                Integer.toString(steps));
    }

    private static String arch(Map<String, String> p) {
        String v = p.get("arch");
        if (v == null) {
            throw new IllegalArgumentException("parameter 'arch' is missing from " + p);
        }
        return v;
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
