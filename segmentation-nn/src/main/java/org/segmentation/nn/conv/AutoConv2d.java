package org.segmentation.nn.conv;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The convolution a layer runs: for each pass (forward, backward-data, backward-weights) and each shape, one of
 * {@link WinogradConv2d}, {@link ColumnsConv2d} and {@link ShiftedGemmConv2d}.
 *
 * <ul>
 *   <li><b>{@link Choice#RULE}</b> (the default): deterministic. {@link ColumnsConv2d} for the forward and
 *       backward-weights passes of layers with at most {@link #THIN_CHANNELS} input channels (float32, odd k, CPU
 *       backend): the first layer's. Elsewhere Winograd F(4×4, 3×3) wherever it runs (float32, 3×3, CPU backend, fewer than 2^31
 *       scalars), whatever the channel counts; the shifted GEMM everywhere else (1×1 and 5×5 kernels, float64,
 *       other backends). The same inputs give the same bits on every run on machines with the same number of
 *       cores and the same BLAS kernels; forward and backward-data also whatever the caller's thread limit,
 *       backward-weights only at the same limit.</li>
 *   <li><b>{@link Choice#TUNED}</b>: the first call of each (pass, shape, type) times every algorithm that runs
 *       it, on the call's own inputs (the gradients into scratch copies), and keeps the fastest for the rest of the
 *       process. The choice is shared by all layers and threads. Results then depend on the timing, within the
 *       algorithms' agreement (about 1e-5 relative in float32, see {@code Conv2dAlgorithmsTest}).</li>
 * </ul>
 *
 * <p>On the CUDA backend only {@link ShiftedGemmConv2d}, which is made of ND4J ops, is a candidate.
 */
public final class AutoConv2d extends LayoutAwareConv2d {
    /** How the algorithm of a pass and shape is picked. */
    public enum Choice {
        /** Deterministic, by the rule above. */
        RULE,
        /** Fastest on the first call of each pass and shape, timed then. */
        TUNED
    }

    enum Pass {
        FORWARD, BACKWARD_DATA, BACKWARD_WEIGHTS
    }

    private record Key(Pass pass, DataType type, List<Long> xShape, List<Long> wShape) {
    }

    /** Tuned choices of this process, shared by every layer and thread. */
    private static final Map<Key, Integer> TUNED_CHOICE = new ConcurrentHashMap<>();

    private final Choice choice;
    /**
     * Input channels, at most, for which the rule takes {@link ColumnsConv2d} for the forward and backward-weights
     * passes: the first layer's 1 to 3, where the columns are 1.4-3x faster than Winograd on the AMD guest (Winograd's
     * 36 products are thin there). Out of the rule from 2026-12-04 21:45 UTC to 2026-12-05 01:10: U-Nets trained with
     * them on the composites task from PyTorch's draws had ended 0.027-0.030 mIoU below PyTorch on three seeds of
     * three, because of the columns' float32 bias gradient (fixed: see {@link ColumnsConv2d}); after the fix five
     * seeds showed no gap (bench README, composites paired runs).
     */
    static final int THIN_CHANNELS = 4;

    private final Conv2dAlgorithm[] algorithms = {new WinogradConv2d(), new ShiftedGemmConv2d(), new ColumnsConv2d()};

    /** The deterministic rule. */
    public AutoConv2d() {
        this(Choice.RULE);
    }

    public AutoConv2d(Choice choice) {
        if (choice == null) {
            throw new IllegalArgumentException("choice must not be null");
        }
        this.choice = choice;
    }

    @Override
    public void forward(INDArray x, boolean xPhased, INDArray w, INDArray b, INDArray y, boolean yPhased,
            boolean relu) {
        algorithm(Pass.FORWARD, x, w, i -> algorithms[i].forward(x, xPhased, w, b, y, yPhased, false))
                .forward(x, xPhased, w, b, y, yPhased, relu);
    }

    @Override
    public void backwardData(INDArray dY, boolean dYPhased, INDArray w, INDArray dX, boolean dXPhased) {
        algorithm(Pass.BACKWARD_DATA, dX, w, i -> algorithms[i].backwardData(dY, dYPhased, w, dX, dXPhased))
                .backwardData(dY, dYPhased, w, dX, dXPhased);
    }

    @Override
    public void backwardWeights(INDArray x, boolean xPhased, INDArray dY, boolean dYPhased, INDArray dW,
            INDArray dB) {
        algorithm(Pass.BACKWARD_WEIGHTS, x, dW, i -> {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                INDArray dW2 = dW.dup();
                INDArray dB2 = dB.dup();
                algorithms[i].backwardWeights(x, xPhased, dY, dYPhased, dW2, dB2);
                dW2.close();
                dB2.close();
            }
        }).backwardWeights(x, xPhased, dY, dYPhased, dW, dB);
    }

    /** Index 0 (Winograd), 1 (shifted GEMM) or 2 (columns) by the rule, for a pass with these tensors. */
    static int byRule(Pass pass, INDArray x, INDArray w) {
        if (x.length() >= Integer.MAX_VALUE) {
            return 1;
        }
        if (pass != Pass.BACKWARD_DATA && w.size(1) <= THIN_CHANNELS && ColumnsConv2d.supports(w)) {
            return 2;
        }
        return WinogradConv2d.supports(w) ? 0 : 1;
    }

    private interface Trial {
        void run(int algorithm);
    }

    /**
     * The algorithm for this pass: by the rule, or the tuned choice, timing the candidates with {@code trial} on
     * the first call of a key. x is the pass's (N,C,H,W) input-side tensor, w its weight-shaped tensor.
     */
    private Conv2dAlgorithm algorithm(Pass pass, INDArray x, INDArray w, Trial trial) {
        int rule = byRule(pass, x, w);
        if (choice == Choice.RULE || !WinogradConv2d.supports(w) || x.length() >= Integer.MAX_VALUE) {
            return algorithms[rule];
        }
        Key key = new Key(pass, w.dataType(), boxed(x.shape()), boxed(w.shape()));
        Integer tuned = TUNED_CHOICE.get(key);
        if (tuned == null) {
            long[] best = {Long.MAX_VALUE, rule};
            for (int round = 0; round < 2; round++) {        // the first round warms up
                for (int i = 0; i < algorithms.length; i++) {
                    long t0 = System.nanoTime();
                    trial.run(i);
                    long dt = System.nanoTime() - t0;
                    if (round == 1 && dt < best[0]) {
                        best[0] = dt;
                        best[1] = i;
                    }
                }
            }
            tuned = (int) best[1];
            TUNED_CHOICE.putIfAbsent(key, tuned);
        }
        return algorithms[tuned];
    }

    private static List<Long> boxed(long[] shape) {
        return Arrays.stream(shape).boxed().toList();
    }
}
