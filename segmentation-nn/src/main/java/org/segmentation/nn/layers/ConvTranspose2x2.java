package org.segmentation.nn.layers;

import java.nio.FloatBuffer;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Gemm;
import org.segmentation.nn.Bcast;
import org.segmentation.nn.Memory;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.param.Init;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * The U-Net up-convolution: a 2×2 transposed convolution with stride 2, PyTorch's
 * {@code ConvTranspose2d(C, K, 2, stride=2)}. Windows do not overlap, so
 * y[n,o,2i+a,2j+b] = Σ_c x[n,c,i,j]·w[c,o,a,b] + b[o] is one GEMM per sample, (K·2·2, C) × (C, H·W), whose
 * result is then interleaved into the output's rows; backward de-interleaves dY the same way and runs two GEMMs
 * per sample, the weight gradient accumulated over the batch. No operand is transposed in memory: a sample of x
 * and of dX is already a (C, H·W) matrix. Weights are (C,K,2,2) as in PyTorch and initialised like PyTorch's
 * default, uniform on ±1/sqrt(K·2·2).
 *
 * <p>For float32 on ND4J's CPU backend ({@link Scalars#hostMemory}) the (de)interleave is a loop over host memory,
 * the channels split over the cores, which also adds the bias (forward) and sums the bias gradient (backward), so
 * neither takes a pass of its own: 8×32×32² → 16 channels, one thread, forward 1.75 → 1.0 ms, backward 2.5 → 1.7 ms.
 * In float64 and on other backends it is an ND4J permuted assign, with the bias as ND4J ops. The cache is a reference to the input x,
 * which the caller keeps alive until {@link #backward}. Temporaries live in the scratch workspace; the output and
 * dX are detached arrays owned by the caller ({@link Memory}).
 */
public final class ConvTranspose2x2 {
    private final int inChannels;
    private final int outChannels;
    private final DataType dtype;
    private final Parameter weight; // (C,K,2,2)
    private final Parameter bias;   // (K)

    private boolean hostLoops = Scalars.hostMemory();

    // cache for backward
    private INDArray x; // (N,C,H,W), owned by the caller

    public ConvTranspose2x2(ParameterBuffer.Builder params, String name, int inChannels, int outChannels,
            Random rng) {
        if (inChannels <= 0 || outChannels <= 0) {
            throw new IllegalArgumentException("channel counts must be positive, got in=" + inChannels
                    + " out=" + outChannels);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.dtype = params.dataType();
        // PyTorch computes fan_in of a transposed-conv weight (C,K,2,2) from its dimension 1: K·2·2
        double bound = 1.0 / Math.sqrt(outChannels * 4.0);
        this.weight = params.add(name + ".weight", new long[] {inChannels, outChannels, 2, 2},
                Init.uniform(rng, bound));
        this.bias = params.add(name + ".bias", new long[] {outChannels}, Init.uniform(rng, bound));
    }

    /** For tests: (de)interleaves with ND4J ops, as in float64 or on a backend other than the CPU. */
    ConvTranspose2x2 useNd4jOps() {
        hostLoops = false;
        return this;
    }

    /**
     * @param x input (N,C,H,W)
     * @return output (N,K,2H,2W), a new detached array
     */
    public INDArray forward(INDArray x) {
        return forward(x, null);
    }

    /**
     * Writes the output into {@code out}, which may be a view whose samples are each contiguous, such as a range
     * of channels of a concatenation's buffer ({@link Concat#withFirst}): the up-sampled half of a U-Net decoder's
     * input is then written in place instead of copied.
     *
     * @param x input (N,C,H,W)
     * @param out receives the output (N,K,2H,2W); or null for a new detached array
     * @return out
     */
    public INDArray forward(INDArray x, INDArray out) {
        Shapes.require("ConvTranspose2x2 input x", "(N,C,H,W)", x, Shapes.ANY, inChannels, Shapes.ANY, Shapes.ANY);
        Shapes.requireType("ConvTranspose2x2 input x", x, dtype);
        long n = x.size(0), h = x.size(2), w = x.size(3);
        INDArray y = out != null ? out : Memory.detached(dtype, n, outChannels, 2 * h, 2 * w);
        Shapes.require("ConvTranspose2x2 output", "(N,K,2H,2W)", y, n, outChannels, 2 * h, 2 * w);
        Shapes.requireType("ConvTranspose2x2 output", y, dtype);
        boolean loops = loops();
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray w2d = weight.value().reshape('c', inChannels, outChannels * 4L);       // (C, K·2·2)
            INDArray y6 = Nd4j.createUninitialized(dtype, outChannels * 4L, h * w);          // (K·2·2, H·W)
            float[] b = loops ? bias.value().toFloatVector() : null;
            for (long i = 0; i < n; i++) {
                Gemm.gemm(w2d, sample(x, i), y6, true, false, 1.0, 0.0);
                INDArray yi = sampleOf(y, i);
                INDArray yc = Scalars.contiguous(yi);
                if (loops) {
                    interleave(y6, b, yc, h, w);
                } else {
                    yc.reshape('c', outChannels, h, 2, w, 2)
                            .assign(y6.reshape('c', outChannels, 2, 2, h, w).permute(0, 3, 1, 4, 2));
                }
                if (yc != yi) {
                    yi.assign(yc);
                }
            }
            if (!loops) {
                y.addi(Bcast.perChannel(bias.value()));
            }
        }
        this.x = x;
        return y;
    }

    /**
     * Adds the weight and bias gradients into the parameter buffer's gradients.
     *
     * @param dY gradient of the output (N,K,2H,2W)
     * @return gradient of the input (N,C,H,W)
     */
    public INDArray backward(INDArray dY) {
        if (x == null) {
            throw new IllegalStateException("ConvTranspose2x2.backward called before forward");
        }
        long n = x.size(0), h = x.size(2), w = x.size(3);
        Shapes.require("ConvTranspose2x2 output gradient dY", "(N,K,2H,2W)", dY, n, outChannels, 2 * h, 2 * w);
        Shapes.requireType("ConvTranspose2x2 output gradient dY", dY, dtype);
        INDArray dX = Memory.detached(dtype, x.shape());
        boolean loops = loops();
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray w2d = weight.value().reshape('c', inChannels, outChannels * 4L);       // (C, K·2·2)
            INDArray dW2d = weight.grad().reshape('c', inChannels, outChannels * 4L);
            INDArray g = Nd4j.createUninitialized(dtype, outChannels * 4L, h * w);           // (K·2·2, H·W)
            double[] biasSums = new double[outChannels];
            for (long i = 0; i < n; i++) {
                INDArray dYi = Scalars.contiguous(sampleOf(dY, i));   // a view's sample: no copy if contiguous
                if (loops) {
                    deinterleave(dYi, h, w, g, biasSums);
                } else {
                    g.reshape('c', outChannels, 2, 2, h, w)
                            .assign(dYi.reshape('c', outChannels, h, 2, w, 2).permute(0, 2, 4, 1, 3));
                }
                Gemm.gemm(sample(x, i), g, dW2d, false, true, 1.0, 1.0);
                Gemm.gemm(w2d, g, sample(dX, i), false, false, 1.0, 0.0);
            }
            if (loops) {
                float[] sums = new float[outChannels];
                for (int o = 0; o < outChannels; o++) {
                    sums[o] = (float) biasSums[o];
                }
                bias.grad().addi(Nd4j.createFromArray(sums));
            } else {
                bias.grad().addi(dY.sum(0, 2, 3));
            }
        }
        x = null;
        return dX;
    }

    /** Sample i of an (N,C,H,W) array as a (C, H·W) matrix: a view if the sample is contiguous, else a copy. */
    private static INDArray sample(INDArray a, long i) {
        return Scalars.contiguous(sampleOf(a, i)).reshape('c', a.size(1), a.size(2) * a.size(3));
    }

    /**
     * Sample i of an (N,C,H,W) array, a view with the array's strides. Built from the buffer, because ND4J
     * 1.0.0-M2.1's {@code slice(i)} of a channel-range view (from {@code get(all(), interval(..))}) with N &gt; 1
     * returns an empty array.
     */
    private static INDArray sampleOf(INDArray a, long i) {
        long[] st = a.stride();
        return Nd4j.create(a.data(), new long[] {a.size(1), a.size(2), a.size(3)}, new long[] {st[1], st[2], st[3]},
                a.offset() + i * st[0], 'c');
    }

    /** Whether the (de)interleaves run as loops: float32 on the CPU backend. */
    private boolean loops() {
        return hostLoops && dtype == DataType.FLOAT;
    }

    /**
     * yi[k, 2r+a, 2c+b] = y6[(k,a,b), (r,c)] + bias[k] for every k, a, b, r, c: one sample of the output (K,2H,2W),
     * c-contiguous, from the GEMM's (K·2·2, H·W) result, a loop per output row over host memory, the channels split
     * over the cores.
     */
    private void interleave(INDArray y6, float[] bias, INDArray yi, long h, long w) {
        int k = outChannels, hh = (int) h, ww = (int) w;
        FloatBuffer src = y6.data().asNioFloat(), dst = yi.data().asNioFloat();
        int srcOff = (int) y6.offset(), dstOff = (int) yi.offset();
        int plane = hh * ww, out = 4 * plane;
        ParallelRanges.runDynamic(k, (from, to) -> {
            float[] b0 = new float[ww], b1 = new float[ww], row = new float[2 * ww];
            for (int o = from; o < to; o++) {
                float b = bias[o];
                for (int a = 0; a < 2; a++) {
                    int s0 = srcOff + ((o * 2 + a) * 2) * plane, s1 = s0 + plane;   // (o, a, 0) and (o, a, 1)
                    for (int r = 0; r < hh; r++) {
                        src.get(s0 + r * ww, b0, 0, ww);
                        src.get(s1 + r * ww, b1, 0, ww);
                        for (int c = 0; c < ww; c++) {
                            row[2 * c] = b0[c] + b;
                            row[2 * c + 1] = b1[c] + b;
                        }
                        dst.put(dstOff + o * out + (2 * r + a) * 2 * ww, row, 0, 2 * ww);
                    }
                }
            }
        });
    }

    /**
     * The inverse of {@link #interleave}: g[(k,a,b), (r,c)] = dYi[k, 2r+a, 2c+b], dYi one c-contiguous sample; adds
     * each channel's sum of dYi to {@code biasSums[k]} (each channel is one thread's, so sums do not race).
     */
    private void deinterleave(INDArray dYi, long h, long w, INDArray g, double[] biasSums) {
        int k = outChannels, hh = (int) h, ww = (int) w;
        FloatBuffer src = dYi.data().asNioFloat(), dst = g.data().asNioFloat();
        int srcOff = (int) dYi.offset(), dstOff = (int) g.offset();
        int plane = hh * ww, out = 4 * plane;
        ParallelRanges.runDynamic(k, (from, to) -> {
            float[] b0 = new float[ww], b1 = new float[ww], row = new float[2 * ww];
            for (int o = from; o < to; o++) {
                double sum = 0;
                for (int a = 0; a < 2; a++) {
                    int d0 = dstOff + ((o * 2 + a) * 2) * plane, d1 = d0 + plane;
                    for (int r = 0; r < hh; r++) {
                        src.get(srcOff + o * out + (2 * r + a) * 2 * ww, row, 0, 2 * ww);
                        float s0 = 0, s1 = 0;
                        for (int c = 0; c < ww; c++) {
                            b0[c] = row[2 * c];
                            b1[c] = row[2 * c + 1];
                            s0 += b0[c];
                            s1 += b1[c];
                        }
                        sum += (double) s0 + s1;
                        dst.put(d0 + r * ww, b0, 0, ww);
                        dst.put(d1 + r * ww, b1, 0, ww);
                    }
                }
                biasSums[o] += sum;
            }
        });
    }

    /** K, the output channels. */
    public int outChannels() {
        return outChannels;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }
}
