package org.segmentation.nn.layers;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.nn.Bcast;
import org.segmentation.nn.Memory;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.param.Init;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * Batch normalisation over (N,H,W) per channel (Ioffe and Szegedy, 2015), PyTorch's {@code BatchNorm2d(C)}:
 * y = gamma·(x − mean)/sqrt(var + eps) + beta, optionally followed by a ReLU fused into the same pass
 * ({@code BatchNorm2d} then {@code ReLU} in PyTorch). In training mode mean and the biased variance come from the
 * batch and the running averages are updated as running = (1 − momentum)·running + momentum·batch, with the
 * unbiased variance (PyTorch's convention); in evaluation mode the running averages are used. gamma starts at 1,
 * beta at 0, running mean at 0 and running variance at 1. The running averages are buffers, not parameters.
 *
 * <p>On ND4J's CPU backend ({@link Scalars#hostMemory}) and in float32, both passes are float32 loops over the
 * channels' planes, each plane copied in bulk into a reused array, with the channels split between one thread per
 * core ({@link ParallelRanges}): forward reads a channel's x once for its statistics and again, from the cache, to
 * write y; backward reads x and dY once for the two sums and again to write dX (the fused ReLU's mask recomputed
 * from x). The sums over (N,H,W) are element-wise float sums over the planes, added up pairwise and then in
 * double. On any other backend, and in float64, both passes are ND4J reductions over (N,H,W) and per-channel
 * broadcasts instead; in float32 the two agree to the rounding of the sums (about 1e-6 relative).
 * Nothing of (N,C,H,W) size is cached: backward recomputes x̂ = (x − mean)/sqrt(var + eps) from the input x, and
 * the fused ReLU's gradient mask from x (the loops) or from the sign of the output y (the ND4J ops), so the caller
 * must keep x and y unmodified until {@link #backward}. The output and dX are detached arrays owned by
 * the caller ({@link Memory}).
 */
public final class BatchNorm2d {
    private final int channels;
    private final double momentum;
    private final double eps;
    private final boolean relu;
    private final DataType dtype;
    private final Parameter gamma; // (C)
    private final Parameter beta;  // (C)
    private final INDArray runningMean; // (C)
    private final INDArray runningVar;  // (C)
    private boolean training = true;
    private boolean hostLoops;

    /** Per thread: plane-sized (H·W) float arrays of the loops, reused between calls and layers. */
    private static final ThreadLocal<float[][]> WORK = ThreadLocal.withInitial(() -> new float[0][0]);

    // caches for backward
    private INDArray x;       // (N,C,H,W) the input, owned by the caller
    private INDArray y;       // (N,C,H,W) the output, owned by the caller; read only with the fused ReLU
    private double[] mean;    // (C) of the statistics used
    private double[] invStd;  // (C) 1/sqrt(var + eps) of the statistics used
    private boolean cachedTraining;

    /** momentum 0.1 and eps 1e-5, PyTorch's defaults; no ReLU. */
    public BatchNorm2d(ParameterBuffer.Builder params, String name, int channels) {
        this(params, name, channels, 0.1, 1e-5, false);
    }

    /** momentum 0.1 and eps 1e-5; with {@code relu}, the output is max(BN(x), 0). */
    public BatchNorm2d(ParameterBuffer.Builder params, String name, int channels, boolean relu) {
        this(params, name, channels, 0.1, 1e-5, relu);
    }

    public BatchNorm2d(ParameterBuffer.Builder params, String name, int channels, double momentum, double eps) {
        this(params, name, channels, momentum, eps, false);
    }

    public BatchNorm2d(ParameterBuffer.Builder params, String name, int channels, double momentum, double eps,
            boolean relu) {
        if (channels <= 0 || !(momentum >= 0 && momentum <= 1) || !(eps > 0)) {
            throw new IllegalArgumentException("expected channels > 0, momentum in [0,1], eps > 0; got channels="
                    + channels + " momentum=" + momentum + " eps=" + eps);
        }
        this.channels = channels;
        this.momentum = momentum;
        this.eps = eps;
        this.relu = relu;
        this.dtype = params.dataType();
        this.gamma = params.add(name + ".weight", new long[] {channels}, Init.constant(1));
        this.beta = params.add(name + ".bias", new long[] {channels}, Init.constant(0));
        this.runningMean = Memory.detachedZeros(dtype, channels);
        this.runningVar = Memory.detachedZeros(dtype, channels).addi(1);
        this.hostLoops = Scalars.hostMemory() && dtype == DataType.FLOAT;
    }

    /** Training mode (batch statistics, running averages updated) or evaluation mode (running averages). */
    public void setTraining(boolean training) {
        this.training = training;
    }

    /** Whether a ReLU follows the normalisation. */
    public boolean relu() {
        return relu;
    }

    /**
     * In evaluation mode batch norm is the per-channel affine map y = scale·x + shift (then the ReLU, if fused),
     * with scale = gamma/sqrt(running var + eps) and shift = beta − running mean·scale: a preceding convolution can
     * absorb it ({@link Conv2d#forwardEvaluation}).
     *
     * @return {scale, shift}, each (C)
     * @throws IllegalStateException in training mode, where the batch's statistics are used instead
     */
    public double[][] evaluationAffine() {
        if (training) {
            throw new IllegalStateException("BatchNorm2d is an affine map in evaluation mode only");
        }
        double[] g = gamma.value().toDoubleVector(), b = beta.value().toDoubleVector();
        double[] rm = runningMean.toDoubleVector(), rv = runningVar.toDoubleVector();
        double[] scale = new double[channels], shift = new double[channels];
        for (int c = 0; c < channels; c++) {
            scale[c] = g[c] / Math.sqrt(rv[c] + eps);
            shift[c] = b[c] - rm[c] * scale[c];
        }
        return new double[][] {scale, shift};
    }

    /** For tests: computes with ND4J ops, as on a backend other than the CPU. */
    BatchNorm2d useNd4jOps() {
        hostLoops = false;
        return this;
    }

    /**
     * @param x input (N,C,H,W); kept for backward (a c-ordered copy of it if it is not c-contiguous)
     * @return output (N,C,H,W), a new detached array; with the fused ReLU kept for backward
     */
    public INDArray forward(INDArray x) {
        Shapes.require("BatchNorm2d input x", "(N,C,H,W)", x, Shapes.ANY, channels, Shapes.ANY, Shapes.ANY);
        Shapes.requireType("BatchNorm2d input x", x, dtype);
        x = Scalars.contiguous(x);
        int n = Math.toIntExact(x.size(0));
        int plane = Math.toIntExact(x.size(2) * x.size(3));
        long m = (long) n * plane;
        if (training && m < 2) {
            throw new IllegalArgumentException("BatchNorm2d in training mode needs more than one value per"
                    + " channel, got input shape " + java.util.Arrays.toString(x.shape()));
        }
        INDArray out = hostLoops ? forwardLoops(x, n, plane, m) : forwardNd4j(x, m);
        this.x = x;
        this.y = relu ? out : null;
        this.cachedTraining = training;
        return out;
    }

    /**
     * The forward pass as float32 loops over host memory; sets mean and invStd. Per channel, the statistics pass
     * adds each plane's x − k and (x − k)², k the channel's first value (so that no precision is lost to a mean far
     * from 0), element by element into two plane-sized float sums, which {@link #sum} then adds up in pairs: loops
     * with the same index on every array, which the JIT compiles to SIMD, where a running scalar sum is not
     * vectorised. The output pass computes {@link #preActivation} in float32.
     */
    private INDArray forwardLoops(INDArray x, int n, int plane, long m) {
        FloatBuffer xb = x.data().asNioFloat();
        int xo = (int) x.offset();
        double[] mu = new double[channels];
        double[] inv = new double[channels];
        INDArray out = Memory.detached(dtype, x.shape());
        FloatBuffer yb = out.data().asNioFloat();
        int yo = (int) out.offset();
        float[] g = gamma.value().toFloatVector(), b = beta.value().toFloatVector();
        double[] rm = runningMean.toDoubleVector(), rv = runningVar.toDoubleVector();
        boolean train = training;
        // channels are independent: each thread takes a range of them, its statistics pass then its output pass,
        // so that the second read of the channel's planes comes from the cache
        ParallelRanges.runDynamic(channels, (from, to) -> {
            float[][] w = work(4, plane);
            float[] xa = w[0], s = w[1], q = w[2], tmp = w[3];
            for (int c = from; c < to; c++) {
                if (train) {
                    float k = xb.get(xo + c * plane);
                    Arrays.fill(s, 0, plane, 0f);
                    Arrays.fill(q, 0, plane, 0f);
                    for (int i = 0; i < n; i++) {
                        xb.get(xo + (i * channels + c) * plane, xa, 0, plane);
                        for (int j = 0; j < plane; j++) {
                            s[j] += xa[j] - k;
                        }
                        for (int j = 0; j < plane; j++) {
                            q[j] += (xa[j] - k) * (xa[j] - k);
                        }
                    }
                    double meanShifted = sum(s, plane, tmp) / m;
                    double var = Math.max(0, sum(q, plane, tmp) / m - meanShifted * meanShifted);   // biased
                    double mc = k + meanShifted;
                    mu[c] = mc;
                    inv[c] = 1 / Math.sqrt(var + eps);
                    rm[c] = (1 - momentum) * rm[c] + momentum * mc;
                    rv[c] = (1 - momentum) * rv[c] + momentum * var * m / (m - 1.0);   // unbiased
                } else {
                    mu[c] = rm[c];
                    inv[c] = 1 / Math.sqrt(rv[c] + eps);
                }
                float mc = (float) mu[c], scale = (float) (inv[c] * g[c]), shift = b[c];
                for (int i = 0; i < n; i++) {
                    int at = (i * channels + c) * plane;
                    xb.get(xo + at, xa, 0, plane);
                    if (relu) {
                        for (int j = 0; j < plane; j++) {
                            xa[j] = Math.max(preActivation(xa[j], mc, scale, shift), 0f);
                        }
                    } else {
                        for (int j = 0; j < plane; j++) {
                            xa[j] = preActivation(xa[j], mc, scale, shift);
                        }
                    }
                    yb.put(yo + at, xa, 0, plane);
                }
            }
        });
        if (train) {
            runningMean.assign(Nd4j.createFromArray(rm).castTo(dtype));
            runningVar.assign(Nd4j.createFromArray(rv).castTo(dtype));
        }
        this.mean = mu;
        this.invStd = inv;
        return out;
    }

    /**
     * Σ a[0 .. len−1] in double: the upper half is added onto the lower half (copied out first, so that both sides of
     * the addition have the same index and the loop vectorises) until at most 64 values remain, which are added in
     * double. Pairwise summation: the float32 error grows with log2(len), not len. Overwrites a; tmp holds len/2.
     */
    static double sum(float[] a, int len, float[] tmp) {
        while (len > 64) {
            int half = len / 2, keep = len - half;
            System.arraycopy(a, keep, tmp, 0, half);
            for (int j = 0; j < half; j++) {
                a[j] += tmp[j];
            }
            len = keep;
        }
        double s = 0;
        for (int j = 0; j < len; j++) {
            s += a[j];
        }
        return s;
    }

    /**
     * The forward pass as ND4J ops (reductions over (N,H,W) and per-channel broadcasts), for any backend; sets mean
     * and invStd.
     */
    private INDArray forwardNd4j(INDArray x, long m) {
        double[] mu;
        double[] inv = new double[channels];
        if (training) {
            mu = x.mean(0, 2, 3).toDoubleVector();
            double[] var = x.var(false, 0, 2, 3).toDoubleVector();   // biased
            double[] rm = runningMean.toDoubleVector(), rv = runningVar.toDoubleVector();
            for (int c = 0; c < channels; c++) {
                inv[c] = 1 / Math.sqrt(var[c] + eps);
                rm[c] = (1 - momentum) * rm[c] + momentum * mu[c];
                rv[c] = (1 - momentum) * rv[c] + momentum * var[c] * m / (m - 1.0);   // unbiased
            }
            runningMean.assign(Nd4j.createFromArray(rm).castTo(dtype));
            runningVar.assign(Nd4j.createFromArray(rv).castTo(dtype));
        } else {
            mu = runningMean.toDoubleVector();
            double[] rv = runningVar.toDoubleVector();
            for (int c = 0; c < channels; c++) {
                inv[c] = 1 / Math.sqrt(rv[c] + eps);
            }
        }
        double[] g = gamma.value().toDoubleVector(), b = beta.value().toDoubleVector();
        double[] scale = new double[channels], shift = new double[channels];
        for (int c = 0; c < channels; c++) {
            scale[c] = inv[c] * g[c];
            shift[c] = b[c] - mu[c] * scale[c];
        }
        INDArray out = Memory.detached(dtype, x.shape());
        try (MemoryWorkspace ws = Memory.scratch()) {
            out.assign(x).muli(Bcast.perChannel(vector(scale))).addi(Bcast.perChannel(vector(shift)));
            if (relu) {
                Transforms.relu(out, false);
            }
        }
        this.mean = mu;
        this.invStd = inv;
        return out;
    }

    /** v as a (C) array of the layer's dtype, in the current workspace. */
    private INDArray vector(double[] v) {
        return Nd4j.createFromArray(v).castTo(dtype);
    }

    /**
     * Adds the gamma and beta gradients into the parameter buffer's gradients. With the fused ReLU, dY is the
     * gradient of the ReLU's output and is zeroed where the output is 0 (also at exactly 0, as PyTorch does).
     * Drops the references to x and y.
     *
     * @param dY gradient of the output (N,C,H,W)
     * @return gradient of the input (N,C,H,W), a new detached array
     */
    public INDArray backward(INDArray dY) {
        if (x == null) {
            throw new IllegalStateException("BatchNorm2d.backward called before forward");
        }
        return backward(dY, Memory.detached(dtype, x.shape()));
    }

    /**
     * {@link #backward(INDArray)} into a given array, which may be dY itself: the input gradient then overwrites
     * the output gradient in place, and no array is allocated (a network whose dY has no other reader).
     *
     * @param dY gradient of the output (N,C,H,W)
     * @param dX gradient of the input (N,C,H,W), c-contiguous, of the layer's type, overwritten; or dY
     * @return dX
     */
    public INDArray backward(INDArray dY, INDArray dX) {
        if (x == null) {
            throw new IllegalStateException("BatchNorm2d.backward called before forward");
        }
        Shapes.requireSameShape("BatchNorm2d output gradient dY", x, dY);
        Shapes.requireSameShape("BatchNorm2d input gradient dX", x, dX);
        Shapes.requireType("BatchNorm2d input gradient dX", dX, dtype);
        if (!Scalars.isContiguous(dX)) {
            throw new IllegalArgumentException("BatchNorm2d input gradient dX must be c-contiguous, got strides "
                    + java.util.Arrays.toString(dX.stride()));
        }
        int n = Math.toIntExact(x.size(0));
        int plane = Math.toIntExact(x.size(2) * x.size(3));
        double m = (double) n * plane;
        if (hostLoops) {
            backwardLoops(dY, dX, n, plane, m);   // plane by plane: each dY plane is read before dX's is written
        } else {
            backwardNd4j(dY, dX, m);
        }
        x = null;
        y = null;
        return dX;
    }

    /**
     * The backward pass as float32 loops over host memory, vectorised as the forward's: the two sums over (N,H,W)
     * are plane-sized float sums added up pairwise ({@link #sum}), in double from there on.
     */
    private void backwardLoops(INDArray dY, INDArray dX, int n, int plane, double m) {
        INDArray dYc = Scalars.contiguous(dY);
        FloatBuffer xb = x.data().asNioFloat();
        FloatBuffer db = dYc.data().asNioFloat();
        FloatBuffer dxb = dX.data().asNioFloat();
        int xo = (int) x.offset(), dyo = (int) dYc.offset(), dxo = (int) dX.offset();
        float[] g = gamma.value().toFloatVector(), b = beta.value().toFloatVector();
        double[] dGamma = new double[channels], dBeta = new double[channels];
        double[] mu = mean, inv = invStd;
        boolean train = cachedTraining;
        ParallelRanges.runDynamic(channels, (from, to) -> {
            float[][] w = work(5, plane);
            float[] xa = w[0], da = w[1], s = w[2], p = w[3], tmp = w[4];
            for (int c = from; c < to; c++) {
                double ic = inv[c];
                float mc = (float) mu[c];
                // the forward's pre-activation (x − mean)·fs + beta, recomputed bit for bit for the ReLU's mask
                float fs = (float) (ic * g[c]), shift = b[c];
                // Σ dZ and Σ dZ·(x − mean) over (N,H,W), dZ = dY masked by the ReLU
                Arrays.fill(s, 0, plane, 0f);
                Arrays.fill(p, 0, plane, 0f);
                for (int i = 0; i < n; i++) {
                    int at = (i * channels + c) * plane;
                    load(xb, xo + at, db, dyo + at, xa, da, plane, mc, fs, shift);
                    for (int j = 0; j < plane; j++) {
                        s[j] += da[j];
                    }
                    for (int j = 0; j < plane; j++) {
                        p[j] += da[j] * (xa[j] - mc);
                    }
                }
                double sumD = sum(s, plane, tmp), sumDXhat = sum(p, plane, tmp) * ic;
                dGamma[c] = sumDXhat;
                dBeta[c] = sumD;
                // training: dX = gamma·invStd·(dZ − mean(dZ) − x̂·mean(dZ·x̂)); evaluation: gamma·invStd·dZ
                float scale = (float) (g[c] * ic);
                float meanD = train ? (float) (sumD / m) : 0f;
                float slope = train ? (float) (ic * sumDXhat / m) : 0f;   // x̂·mean(dZ·x̂) = (x − mean)·slope
                for (int i = 0; i < n; i++) {
                    int at = (i * channels + c) * plane;
                    load(xb, xo + at, db, dyo + at, xa, da, plane, mc, fs, shift);
                    for (int j = 0; j < plane; j++) {
                        da[j] = scale * (da[j] - meanD - (xa[j] - mc) * slope);
                    }
                    dxb.put(dxo + at, da, 0, plane);
                }
            }
        });
        try (MemoryWorkspace ws = Memory.scratch()) {
            gamma.grad().addi(vector(dGamma));
            beta.grad().addi(vector(dBeta));
        }
    }

    /** The backward pass as ND4J ops, for any backend. */
    private void backwardNd4j(INDArray dY, INDArray dX, double m) {
        try (MemoryWorkspace ws = Memory.scratch()) {
            INDArray dZ = relu ? Transforms.step(y, true).muli(dY) : dY;            // dY masked by the ReLU
            double[] inv = invStd;
            double[] negMean = new double[channels];
            for (int c = 0; c < channels; c++) {
                negMean[c] = -mean[c];
            }
            INDArray xhat = x.add(Bcast.perChannel(vector(negMean))).muli(Bcast.perChannel(vector(inv)));
            double[] sumD = dZ.sum(0, 2, 3).toDoubleVector();
            double[] sumDXhat = dZ.mul(xhat).sum(0, 2, 3).toDoubleVector();
            double[] g = gamma.value().toDoubleVector();
            double[] scale = new double[channels], meanD = new double[channels], slope = new double[channels];
            for (int c = 0; c < channels; c++) {
                scale[c] = g[c] * inv[c];
                meanD[c] = cachedTraining ? -sumD[c] / m : 0;
                slope[c] = cachedTraining ? -sumDXhat[c] / m : 0;
            }
            gamma.grad().addi(vector(sumDXhat));
            beta.grad().addi(vector(sumD));
            // training: dX = gamma·invStd·(dZ − mean(dZ) − x̂·mean(dZ·x̂)); evaluation: gamma·invStd·dZ
            // computed in xhat's memory, then assigned: dX may be dY, which dZ may be
            dX.assign(xhat.muli(Bcast.perChannel(vector(slope))).addi(dZ).addi(Bcast.perChannel(vector(meanD)))
                    .muli(Bcast.perChannel(vector(scale))));
        }
    }

    /**
     * Reads one plane of x and of dY; with the fused ReLU, dY is zeroed where the output y was 0 (NaN where it was
     * NaN). y is not read: it is max(v, 0) with v = {@link #preActivation} as forward computed it in float32, so
     * recomputing v from x decides y &gt; 0 exactly, without a third array's traffic.
     */
    private void load(FloatBuffer xb, int xAt, FloatBuffer db, int dAt, float[] xa, float[] da, int plane, float mc,
            float scale, float shift) {
        xb.get(xAt, xa, 0, plane);
        db.get(dAt, da, 0, plane);
        if (!relu) {
            return;
        }
        // with u = max(v, 0), min(u·2^100·2^100, 1) is exactly 1 where u > 0 (the smallest positive float, 2^-149,
        // becomes 2^51) and 0 elsewhere: the mask as a product, which the JIT vectorises, where a branch
        // mispredicted on about half the elements and made backward 3.5 times slower
        for (int j = 0; j < plane; j++) {
            da[j] *= Math.min(Math.max(preActivation(xa[j], mc, scale, shift), 0f) * 0x1p100f * 0x1p100f, 1f);
        }
    }

    /**
     * (x − mean)·scale + shift, the normalised value before the ReLU, with scale = invStd·gamma and shift = beta, in
     * float32: one expression for forward and for the backward's recomputed ReLU mask, which must agree bit for bit.
     */
    private static float preActivation(float x, float mean, float scale, float shift) {
        return (x - mean) * scale + shift;
    }

    /** This thread's {@code count} work arrays of at least {@code len} floats, grown when needed and reused. */
    private static float[][] work(int count, int len) {
        float[][] work = WORK.get();
        if (work.length < count || work[0].length < len) {
            work = new float[Math.max(count, work.length)][Math.max(len, work.length == 0 ? 0 : work[0].length)];
            WORK.set(work);
        }
        return work;
    }

    public Parameter gamma() {
        return gamma;
    }

    public Parameter beta() {
        return beta;
    }

    /** Running mean (C), updated in training mode. */
    public INDArray runningMean() {
        return runningMean;
    }

    /** Running unbiased variance (C), updated in training mode. */
    public INDArray runningVar() {
        return runningVar;
    }
}
