package org.segmentation.nn.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.nn.Memory;
import org.segmentation.nn.testutil.GradCheck;

/**
 * Every convolution algorithm against {@link NaiveConv2d} (double-precision loops) on random shapes: batch 1,
 * odd and tiny sizes, sizes that are not multiples of Winograd's 4×4 tile, chunks that split the batch, and
 * gradients accumulated into non-zero buffers.
 */
class Conv2dAlgorithmsTest {
    /**
     * Float32 tolerance, relative to the largest reference value. A direct sum of up to C·k·k = 360 products of
     * unit Gaussians rounds to about 1e-6 of the output scale. Winograd F(4×4, 3×3) scales values by up to 25 in its
     * transforms (Bᵀ has entries 4 and 5 on both sides) before cancelling them again, which costs about one more
     * decimal digit: measured at most 5e-6 on these shapes. 2e-5 leaves a 4× margin and still fails an algorithm
     * with any wrong tap, border or channel (errors of order 1).
     */
    private static final double FLOAT_TOL = 2e-5;
    private static final double DOUBLE_TOL = 1e-12;

    @Test
    void winogradMatchesTheDefinition() {
        // these shapes have at most 40 channels: block by block, with the default block size
        check(() -> new WinogradConv2d(2), 3, DataType.FLOAT, 40);
    }

    @Test
    void winogradOnWholeLayersMatchesTheDefinition() {
        // with any filter size large enough, these shapes (fewer than 2 x 128 tiles) run whole: transforms split
        // over channels (those of at least 8192 channel-tiles over the threads), the 36 products over 2 threads
        check(() -> new WinogradConv2d(2, WinogradConv2d.BLOCK_TILES, 1, WinogradConv2d.ACCUMULATOR_BUDGET), 3,
                DataType.FLOAT, 40);
        INDArray x = GradCheck.gaussian(new Random(5), DataType.FLOAT, 3, 300, 16, 16);
        INDArray w = GradCheck.gaussian(new Random(6), DataType.FLOAT, 260, 300, 3, 3);
        INDArray b = GradCheck.gaussian(new Random(7), DataType.FLOAT, 260);
        INDArray dY = GradCheck.gaussian(new Random(8), DataType.FLOAT, 3, 260, 16, 16);
        // 300 x 260 filters, 48 tiles: whole by default, and 300 x 48 channel-tiles: transforms on both threads
        double[] e = errors(new WinogradConv2d(2), x, w, b, dY);
        for (int i = 0; i < 4; i++) {
            assertTrue(e[i] < FLOAT_TOL, "pass " + i + " relative error " + e[i]);
        }
    }

    @Test
    void winogradInSmallBlocksMatchesTheDefinition() {
        // block by block: blocks of one tile row (the least), and blocks of a few rows split unevenly over three
        // threads
        check(() -> new WinogradConv2d(1, 1, Long.MAX_VALUE, WinogradConv2d.ACCUMULATOR_BUDGET), 3, DataType.FLOAT,
                12);
        check(() -> new WinogradConv2d(3, 7, Long.MAX_VALUE, WinogradConv2d.ACCUMULATOR_BUDGET), 3, DataType.FLOAT,
                12);
    }

    @Test
    void winogradBackwardWeightsInChunksMatchesTheDefinition() {
        // an accumulator budget of one scalar leaves room for one part only, so backward-weights takes a chunk of a
        // block per thread at a time, its products over the threads, into one accumulator: many chunks of one or a
        // few tile rows, the last one short
        check(() -> new WinogradConv2d(2, 1, Long.MAX_VALUE, 1), 3, DataType.FLOAT, 12);
        check(() -> new WinogradConv2d(3, 7, Long.MAX_VALUE, 1), 3, DataType.FLOAT, 12);
    }

    @Test
    void shiftedGemmMatchesTheDefinition() {
        for (int k : new int[] {1, 3, 5}) {
            check(ShiftedGemmConv2d::new, k, DataType.FLOAT, 12);
            check(ShiftedGemmConv2d::new, k, DataType.DOUBLE, 12);
        }
    }

    @Test
    void shiftedGemmInChunksMatchesTheDefinition() {
        // chunks of one sample, and of two (a partial last chunk when N = 3)
        check(() -> new ShiftedGemmConv2d(1), 3, DataType.FLOAT, 8);
        check(() -> new ShiftedGemmConv2d(2 * 40 * 9 * 25 * 25), 3, DataType.DOUBLE, 8);
    }

    @Test
    void columnsMatchTheDefinition() {
        for (int k : new int[] {1, 3, 5}) {
            check(ColumnsConv2d::new, k, DataType.FLOAT, 12);
        }
        // chunks of one row, and of a few rows with a partial last chunk, on odd sizes
        check(() -> new ColumnsConv2d(1), 3, DataType.FLOAT, 8);
        check(() -> new ColumnsConv2d(37), 3, DataType.FLOAT, 8);
    }

    @Test
    void autoMatchesTheDefinitionByRuleAndTuned() {
        for (AutoConv2d.Choice choice : AutoConv2d.Choice.values()) {
            check(() -> new AutoConv2d(choice), 3, DataType.FLOAT, 12);
            check(() -> new AutoConv2d(choice), 1, DataType.FLOAT, 4);
            check(() -> new AutoConv2d(choice), 3, DataType.DOUBLE, 4);
        }
    }

    @Test
    void algorithmsAgreeInsideTheScratchWorkspace() {
        // as in training: temporaries in the scratch workspace, work buffers outside it
        Random rng = new Random(11);
        INDArray x = GradCheck.gaussian(rng, DataType.FLOAT, 2, 9, 13, 10);
        INDArray w = GradCheck.gaussian(rng, DataType.FLOAT, 12, 9, 3, 3);
        INDArray b = GradCheck.gaussian(rng, DataType.FLOAT, 12);
        INDArray dY = GradCheck.gaussian(rng, DataType.FLOAT, 2, 12, 13, 10);
        for (int round = 0; round < 3; round++) {
            try (MemoryWorkspace ignored = Memory.scratch()) {
                double[] e = errors(new WinogradConv2d(), x, w, b, dY);
                for (double v : e) {
                    assertTrue(v < FLOAT_TOL, "round " + round + ": " + java.util.Arrays.toString(e));
                }
            }
        }
    }

    @Test
    void biasGradientOfChannelsThatSumToZeroIsZero() {
        // before a batch norm, a convolution's output gradient sums to about zero over each channel, so its bias
        // gradient is rounding noise, which Adam divides by its own size into steps of about the learning rate: the
        // bias then walks, and with it the running mean that eval subtracts. A float32 sum of the (K, L) · ones
        // product made such noise about 1e-7 of Σ|dY| and cost U-Nets 0.03 mIoU on the composites (bench README).
        // Here every channel holds values paired with their negations: their exact sum is 0, which a double
        // accumulator reaches exactly (the floats' sums are exact in double at these magnitudes), so the gradient
        // must be exactly zero
        Random rng = new Random(17);
        int n = 4, c = 3, k = 16, h = 32, w = 32;
        INDArray x = GradCheck.gaussian(rng, DataType.FLOAT, n, c, h, w);
        float[] dy = new float[n * k * h * w];
        for (int i = 0; i < dy.length; i += 2) {   // pairs within one row of one channel: (v, −v), scales within a factor of about 50
            float v = (float) (rng.nextGaussian() * Math.exp(rng.nextGaussian()));
            dy[i] = v;
            dy[i + 1] = -v;
        }
        INDArray dY = Nd4j.createFromArray(dy).reshape(n, k, h, w);
        List<Supplier<Conv2dAlgorithm>> algorithms = List.of(() -> new WinogradConv2d(2), ColumnsConv2d::new,
                () -> new ColumnsConv2d(9), ShiftedGemmConv2d::new, AutoConv2d::new);
        for (Supplier<Conv2dAlgorithm> make : algorithms) {
            Conv2dAlgorithm conv = make.get();
            for (boolean phased : new boolean[] {false, true}) {
                INDArray dW = Nd4j.zeros(DataType.FLOAT, k, c, 3, 3);
                INDArray dB = Nd4j.zeros(DataType.FLOAT, k);
                conv.backwardWeights(x, false, phased ? PhasedLayout.phased(dY) : dY, phased, dW, dB);
                assertArrayEquals(new float[k], dB.toFloatVector(),
                        conv.getClass().getSimpleName() + (phased ? " phased dY" : ""));
            }
        }
    }

    @Test
    void ruleTakesColumnsForThinInputsWinogradForOtherFloat3x3AndShiftedElsewhere() {
        INDArray x = Nd4j.create(DataType.FLOAT, 1, 16, 8, 8);
        for (AutoConv2d.Pass pass : AutoConv2d.Pass.values()) {
            assertEquals(0, AutoConv2d.byRule(pass, x, Nd4j.create(DataType.FLOAT, 16, 16, 3, 3)), pass.name());
            assertEquals(1, AutoConv2d.byRule(pass, x, Nd4j.create(DataType.FLOAT, 16, 16, 1, 1)), pass.name());
            assertEquals(1, AutoConv2d.byRule(pass, x, Nd4j.create(DataType.DOUBLE, 16, 16, 3, 3)), pass.name());
            assertEquals(0, AutoConv2d.byRule(pass, x, Nd4j.create(DataType.FLOAT, 1, 16, 3, 3)), pass.name());
            assertEquals(0, AutoConv2d.byRule(pass, Nd4j.create(DataType.FLOAT, 1, 5, 8, 8),
                    Nd4j.create(DataType.FLOAT, 16, AutoConv2d.THIN_CHANNELS + 1, 3, 3)), pass.name());
        }
        // up to THIN_CHANNELS input channels (none while it is 0): columns, except for backward-data
        INDArray thin = Nd4j.create(DataType.FLOAT, 1, 3, 8, 8);
        INDArray w = Nd4j.create(DataType.FLOAT, 16, 3, 3, 3);
        int thinChoice = 3 <= AutoConv2d.THIN_CHANNELS ? 2 : 0;
        assertEquals(thinChoice, AutoConv2d.byRule(AutoConv2d.Pass.FORWARD, thin, w));
        assertEquals(thinChoice, AutoConv2d.byRule(AutoConv2d.Pass.BACKWARD_WEIGHTS, thin, w));
        assertEquals(0, AutoConv2d.byRule(AutoConv2d.Pass.BACKWARD_DATA, thin, w));
        assertEquals(1, AutoConv2d.byRule(AutoConv2d.Pass.FORWARD, thin, w.castTo(DataType.DOUBLE)));
    }

    @Test
    void winogradRefusesWhatItCannotCompute() {
        WinogradConv2d conv = new WinogradConv2d();
        INDArray x = Nd4j.create(DataType.FLOAT, 1, 2, 5, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> conv.forward(x, Nd4j.create(DataType.FLOAT, 2, 2, 5, 5), Nd4j.create(DataType.FLOAT, 2),
                        Nd4j.create(DataType.FLOAT, 1, 2, 5, 5)));
        assertTrue(e.getMessage().contains("[2, 2, 5, 5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new WinogradConv2d(0));
    }

    @Test
    void phasedLayoutsGiveTheStandardResultsBitForBit() {
        // the phased layout only moves where values are read and written: the same floats in the same order, so
        // every pass in any combination of layouts equals the standard pass exactly (tolerance 0), but for the
        // order of the bias gradient's sum, and for the columns (below)
        List<Supplier<Conv2dAlgorithm>> algorithms = List.of(() -> new WinogradConv2d(2),
                () -> new WinogradConv2d(2, WinogradConv2d.BLOCK_TILES, 1, WinogradConv2d.ACCUMULATOR_BUDGET),
                () -> new WinogradConv2d(3, 7, Long.MAX_VALUE, WinogradConv2d.ACCUMULATOR_BUDGET),
                () -> new WinogradConv2d(2, 1, Long.MAX_VALUE, 1), ShiftedGemmConv2d::new, ColumnsConv2d::new,
                () -> new ColumnsConv2d(9), AutoConv2d::new);
        Random rng = new Random(11);
        for (int trial = 0; trial < 12; trial++) {
            int n = 1 + rng.nextInt(3), c = 1 + rng.nextInt(20), kOut = 1 + rng.nextInt(20);
            int h = 1 + rng.nextInt(23), w = 4 * (1 + rng.nextInt(6));
            INDArray x = GradCheck.gaussian(rng, DataType.FLOAT, n, c, h, w);
            INDArray wt = GradCheck.gaussian(rng, DataType.FLOAT, kOut, c, 3, 3);
            INDArray b = GradCheck.gaussian(rng, DataType.FLOAT, kOut);
            INDArray dY = GradCheck.gaussian(rng, DataType.FLOAT, n, kOut, h, w);
            for (Supplier<Conv2dAlgorithm> make : algorithms) {
                Conv2dAlgorithm conv = make.get();
                String shape = conv.getClass().getSimpleName() + " trial " + trial + " N=" + n + " C=" + c + " K="
                        + kOut + " H=" + h + " W=" + w;
                // the columns' products take a phased tensor's pixels in the phased order: each output is the same
                // sum, but the BLAS may round a column differently at another position of the product, and
                // backward-weights sums the pixels in another order; float rounding only (about 1e-7 relative,
                // 1e-5 allowed)
                boolean columns = conv instanceof ColumnsConv2d
                        || conv instanceof AutoConv2d && c <= AutoConv2d.THIN_CHANNELS;
                INDArray y = Nd4j.create(DataType.FLOAT, n, kOut, h, w);
                conv.forward(x, wt, b, y);
                INDArray yRelu = Nd4j.create(DataType.FLOAT, n, kOut, h, w);
                conv.forwardRelu(x, wt, b, yRelu);
                INDArray dX = Nd4j.create(DataType.FLOAT, n, c, h, w);
                conv.backwardData(dY, wt, dX);
                INDArray dW = Nd4j.zeros(DataType.FLOAT, kOut, c, 3, 3);
                INDArray dB = Nd4j.zeros(DataType.FLOAT, kOut);
                conv.backwardWeights(x, dY, dW, dB);
                for (int layouts = 1; layouts < 4; layouts++) {
                    boolean in = (layouts & 1) != 0, out = (layouts & 2) != 0;
                    String what = shape + (in ? " input phased" : "") + (out ? " output phased" : "");
                    INDArray xIn = in ? PhasedLayout.phased(x) : x;
                    INDArray dYIn = out ? PhasedLayout.phased(dY) : dY;
                    for (boolean relu : new boolean[] {false, true}) {
                        INDArray y2 = Nd4j.create(DataType.FLOAT, n, kOut, h, w);
                        conv.forward(xIn, in, wt, b, y2, out, relu);
                        INDArray y2s = out ? PhasedLayout.standard(y2) : y2;
                        if (columns) {
                            assertTrue(relError(y2s, relu ? yRelu : y) < 1e-5, what + " forward");
                        } else {
                            exactly(relu ? yRelu : y, y2s, what + " forward");
                        }
                    }
                    INDArray dX2 = Nd4j.create(DataType.FLOAT, n, c, h, w);
                    conv.backwardData(dYIn, out, wt, dX2, in);
                    INDArray dX2s = in ? PhasedLayout.standard(dX2) : dX2;
                    if (conv instanceof ColumnsConv2d) {   // AutoConv2d's backward-data is never the columns'
                        assertTrue(relError(dX2s, dX) < 1e-5, what + " backward-data");
                    } else {
                        exactly(dX, dX2s, what + " backward-data");
                    }
                    INDArray dW2 = Nd4j.zeros(DataType.FLOAT, kOut, c, 3, 3);
                    INDArray dB2 = Nd4j.zeros(DataType.FLOAT, kOut);
                    conv.backwardWeights(xIn, in, dYIn, out, dW2, dB2);
                    if (columns) {
                        assertTrue(relError(dW2, dW) < 1e-5, what + " backward-weights");
                    } else {
                        exactly(dW, dW2, what + " backward-weights");
                    }
                    // the bias gradient sums dY in memory order, which the phased layout permutes within rows: the
                    // same terms in another order, so float rounding only (about 1e-7 relative; 1e-5 allowed)
                    assertTrue(relError(dB2, dB) < 1e-5, what + " bias gradient");
                }
            }
        }
    }

    /** Same shape and the same floats, bit for bit (INDArray.equals would allow a difference of 1e-5). */
    private static void exactly(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        assertArrayEquals(expected.ravel().toFloatVector(), actual.ravel().toFloatVector(), what);
    }

    @Test
    void phasedLayoutIsAPermutationWithinRows() {
        INDArray s = Nd4j.arange(2 * 3 * 8).castTo(DataType.FLOAT).reshape(1, 2, 3, 8);
        INDArray p = PhasedLayout.phased(s);
        // row 0 of plane 0: columns 0, 4, then 1, 5, then 2, 6, then 3, 7
        assertEquals(Nd4j.createFromArray(0f, 4f, 1f, 5f, 2f, 6f, 3f, 7f), p.get(NDArrayIndex.point(0),
                NDArrayIndex.point(0), NDArrayIndex.point(0), NDArrayIndex.all()));
        exactly(s, PhasedLayout.standard(p), "standard(phased(s))");
        assertThrows(IllegalArgumentException.class, () -> PhasedLayout.phased(Nd4j.create(DataType.FLOAT, 1, 1, 4,
                6)));
        assertThrows(IllegalArgumentException.class, () -> new WinogradConv2d().forward(Nd4j.create(DataType.FLOAT,
                1, 1, 4, 6), true, Nd4j.create(DataType.FLOAT, 1, 1, 3, 3), Nd4j.create(DataType.FLOAT, 1),
                Nd4j.create(DataType.FLOAT, 1, 1, 4, 6), false, false));
    }

    /** {@code trials} random shapes with k×k kernels, each algorithm's three passes against the definition. */
    static void check(Supplier<Conv2dAlgorithm> algorithm, int k, DataType dt, int trials) {
        Random rng = new Random(7 + k + trials);
        double tol = dt == DataType.FLOAT ? FLOAT_TOL : DOUBLE_TOL;
        for (int trial = 0; trial < trials; trial++) {
            int n = trial % 4 == 0 ? 1 : 1 + rng.nextInt(3);
            int c = 1 + rng.nextInt(trial % 3 == 0 ? 40 : 6);
            int kOut = 1 + rng.nextInt(trial % 3 == 1 ? 40 : 6);
            int h = 1 + rng.nextInt(trial % 2 == 0 ? 23 : 9);
            int w = 1 + rng.nextInt(trial % 2 == 1 ? 23 : 9);
            INDArray x = GradCheck.gaussian(rng, dt, n, c, h, w);
            INDArray wt = GradCheck.gaussian(rng, dt, kOut, c, k, k);
            INDArray b = GradCheck.gaussian(rng, dt, kOut);
            INDArray dY = GradCheck.gaussian(rng, dt, n, kOut, h, w);
            double[] e = errors(algorithm.get(), x, wt, b, dY);
            String shape = "trial " + trial + " N=" + n + " C=" + c + " K=" + kOut + " H=" + h + " W=" + w + " k=" + k
                    + " " + dt;
            String[] names = {"forward", "dX", "dW", "dB"};
            for (int i = 0; i < 4; i++) {
                assertTrue(e[i] < tol, shape + " " + names[i] + " relative error " + e[i]);
            }
            // the fused ReLU is max(0, ·) of the very floats forward writes: exactly relu(forward)
            assertEquals(0.0, e[4], shape + " forwardRelu differs from relu(forward)");
        }
    }

    /** max |a-b| / max(max|b|, 1e-12): error relative to the scale of the reference. */
    static double relError(INDArray a, INDArray b) {
        double diff = a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        double scale = Math.max(b.castTo(DataType.DOUBLE).amaxNumber().doubleValue(), 1e-12);
        return diff / scale;
    }

    /**
     * Relative errors {y, dX, dW, dB} of {@code conv} against {@link NaiveConv2d} (dW and dB start at 1), and the
     * largest difference between {@code forwardRelu} and relu(forward).
     */
    static double[] errors(Conv2dAlgorithm conv, INDArray x, INDArray w, INDArray b, INDArray dY) {
        DataType dt = x.dataType();
        INDArray y = Nd4j.create(dt, x.size(0), w.size(0), x.size(2), x.size(3));
        conv.forward(x, w, b, y);
        INDArray dX = Nd4j.create(dt, x.shape());
        conv.backwardData(dY, w, dX);
        INDArray dW = Nd4j.ones(dt, w.shape());
        INDArray dB = Nd4j.ones(dt, b.shape());
        conv.backwardWeights(x, dY, dW, dB);
        INDArray[] ref = NaiveConv2d.backward(x, w, dY);
        INDArray yRelu = Nd4j.create(dt, y.shape());
        conv.forwardRelu(x, w, b, yRelu);
        return new double[] {relError(y, NaiveConv2d.forward(x, w, b)), relError(dX, ref[0]),
            relError(dW.subi(1), ref[1]), relError(dB.subi(1), ref[2]),
            yRelu.castTo(DataType.DOUBLE).sub(Transforms.relu(y, true).castTo(DataType.DOUBLE)).amaxNumber()
                    .doubleValue()};
    }
}
