package org.segmentation.nn.layers;

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
 * <p>Both passes are loops over the channels' planes ({@link Scalars}), each plane copied into a reused double
 * array, statistics and sums in double, with the channels split between one thread per core
 * ({@link ParallelRanges}): forward reads a channel's x once for its statistics and again, from the cache, to write
 * y; backward reads x and dY once for the two sums and again to write dX (the fused ReLU's mask recomputed from
 * x). These loops address the arrays' memory directly, so they run on ND4J's CPU backend
 * ({@link Scalars#hostMemory}); on any other backend both
 * passes are ND4J reductions over (N,H,W) and per-channel broadcasts instead, with the same results up to the
 * rounding of ND4J's float32 reductions.
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
    private boolean hostLoops = Scalars.hostMemory();

    /** Per thread: one plane (H·W) each of x, dY and y, reused between calls and layers. */
    private static final ThreadLocal<double[][]> WORK = ThreadLocal.withInitial(() -> new double[3][]);

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

    /** The forward pass as loops over host memory; sets mean and invStd. */
    private INDArray forwardLoops(INDArray x, int n, int plane, long m) {
        Scalars xs = Scalars.of(x);
        double[] mu = new double[channels];
        double[] inv = new double[channels];
        INDArray out = Memory.detached(dtype, x.shape());
        Scalars ys = Scalars.of(out);
        Scalars g = Scalars.of(gamma.value());
        Scalars b = Scalars.of(beta.value());
        Scalars rm = Scalars.of(runningMean);
        Scalars rv = Scalars.of(runningVar);
        boolean train = training;
        // channels are independent: each thread takes a range of them, its statistics pass then its output pass,
        // so that the second read of the channel's planes comes from the cache
        ParallelRanges.run(channels, ParallelRanges.THREADS, (from, to) -> {
            double[] xa = work(0, plane);
            for (int c = from; c < to; c++) {
                if (train) {
                    // sums of (x − k) and (x − k)² with k the channel's first value, so that no precision is lost
                    // to a mean far from 0; four partial sums each, so that the additions do not wait on each other
                    double k = xs.get(c * plane);
                    double s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
                    for (int i = 0; i < n; i++) {
                        xs.get((i * channels + c) * plane, xa, plane);
                        int j = 0;
                        for (; j + 3 < plane; j += 4) {
                            double d0 = xa[j] - k, d1 = xa[j + 1] - k, d2 = xa[j + 2] - k, d3 = xa[j + 3] - k;
                            s0 += d0;
                            s1 += d1;
                            s2 += d2;
                            s3 += d3;
                            q0 += d0 * d0;
                            q1 += d1 * d1;
                            q2 += d2 * d2;
                            q3 += d3 * d3;
                        }
                        for (; j < plane; j++) {
                            double d0 = xa[j] - k;
                            s0 += d0;
                            q0 += d0 * d0;
                        }
                    }
                    double meanShifted = (s0 + s1 + s2 + s3) / m;
                    double var = Math.max(0, (q0 + q1 + q2 + q3) / m - meanShifted * meanShifted);   // biased
                    double mc = k + meanShifted;
                    mu[c] = mc;
                    inv[c] = 1 / Math.sqrt(var + eps);
                    rm.set(c, (1 - momentum) * rm.get(c) + momentum * mc);
                    rv.set(c, (1 - momentum) * rv.get(c) + momentum * var * m / (m - 1.0));   // unbiased
                } else {
                    mu[c] = rm.get(c);
                    inv[c] = 1 / Math.sqrt(rv.get(c) + eps);
                }
                double mc = mu[c], scale = inv[c] * g.get(c), shift = b.get(c);
                for (int i = 0; i < n; i++) {
                    int at = (i * channels + c) * plane;
                    xs.get(at, xa, plane);
                    if (relu) {
                        for (int j = 0; j < plane; j++) {
                            xa[j] = Math.max(preActivation(xa[j], mc, scale, shift), 0);
                        }
                    } else {
                        for (int j = 0; j < plane; j++) {
                            xa[j] = preActivation(xa[j], mc, scale, shift);
                        }
                    }
                    ys.set(at, xa, plane);
                }
            }
        });
        this.mean = mu;
        this.invStd = inv;
        return out;
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
        Shapes.requireSameShape("BatchNorm2d output gradient dY", x, dY);
        int n = Math.toIntExact(x.size(0));
        int plane = Math.toIntExact(x.size(2) * x.size(3));
        double m = (double) n * plane;
        INDArray dX = Memory.detached(dtype, x.shape());
        if (hostLoops) {
            backwardLoops(dY, dX, n, plane, m);
        } else {
            backwardNd4j(dY, dX, m);
        }
        x = null;
        y = null;
        return dX;
    }

    /** The backward pass as loops over host memory. */
    private void backwardLoops(INDArray dY, INDArray dX, int n, int plane, double m) {
        try (MemoryWorkspace ws = Memory.scratch()) {
            Scalars xs = Scalars.of(x);
            Scalars ds = Scalars.of(Scalars.contiguous(dY));
            Scalars b = Scalars.of(beta.value());
            boolean rounded = dtype == DataType.FLOAT;
            Scalars dxs = Scalars.of(dX);
            Scalars g = Scalars.of(gamma.value());
            Scalars dg = Scalars.of(gamma.grad());
            Scalars db = Scalars.of(beta.grad());
            double[] mu = mean, inv = invStd;
            boolean train = cachedTraining;
            ParallelRanges.run(channels, ParallelRanges.THREADS, (from, to) -> {
                double[] xa = work(0, plane);
                double[] da = work(1, plane);
                for (int c = from; c < to; c++) {
                    double mc = mu[c], ic = inv[c];
                    // the forward's pre-activation (x − mean)·fs + beta, recomputed bit for bit for the ReLU's mask
                    double fs = relu ? ic * g.get(c) : 0, shift = relu ? b.get(c) : 0;
                    // Σ dZ and Σ dZ·(x − mean) over (N,H,W), dZ = dY masked by the ReLU; two partial sums each
                    double s0 = 0, s1 = 0, p0 = 0, p1 = 0;
                    for (int i = 0; i < n; i++) {
                        int at = (i * channels + c) * plane;
                        load(xs, ds, at, xa, da, plane, mc, fs, shift, rounded);
                        int j = 0;
                        for (; j + 1 < plane; j += 2) {
                            s0 += da[j];
                            s1 += da[j + 1];
                            p0 += da[j] * (xa[j] - mc);
                            p1 += da[j + 1] * (xa[j + 1] - mc);
                        }
                        for (; j < plane; j++) {
                            s0 += da[j];
                            p0 += da[j] * (xa[j] - mc);
                        }
                    }
                    double sumD = s0 + s1, sumDXhat = (p0 + p1) * ic;
                    dg.set(c, dg.get(c) + sumDXhat);
                    db.set(c, db.get(c) + sumD);
                    double scale = g.get(c) * ic;
                    // training: dX = gamma·invStd·(dZ − mean(dZ) − x̂·mean(dZ·x̂)); evaluation: gamma·invStd·dZ
                    double meanD = train ? sumD / m : 0;
                    double slope = train ? ic * sumDXhat / m : 0;   // x̂·mean(dZ·x̂) = (x − mean)·slope
                    for (int i = 0; i < n; i++) {
                        int at = (i * channels + c) * plane;
                        load(xs, ds, at, xa, da, plane, mc, fs, shift, rounded);
                        for (int j = 0; j < plane; j++) {
                            da[j] = scale * (da[j] - meanD - (xa[j] - mc) * slope);
                        }
                        dxs.set(at, da, plane);
                    }
                }
            });
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
            dX.assign(xhat.muli(Bcast.perChannel(vector(slope)))).addi(dZ).addi(Bcast.perChannel(vector(meanD)))
                    .muli(Bcast.perChannel(vector(scale)));
        }
    }

    /**
     * Reads one plane of x and of dY; with the fused ReLU, dY is zeroed where the output y was 0 (NaN where it was
     * NaN). y is not read: it is max(v, 0) with v = (x − mean)·scale + shift as forward computed it in double, then
     * rounded to float32 if the arrays are ({@code rounded}), so recomputing v from x decides y &gt; 0 exactly,
     * without a third array's traffic.
     */
    private void load(Scalars xs, Scalars ds, int at, double[] xa, double[] da, int plane, double mc,
            double scale, double shift, boolean rounded) {
        xs.get(at, xa, plane);
        ds.get(at, da, plane);
        if (!relu) {
            return;
        }
        // y > 0 exactly where the pre-activation v exceeds t: 0 in double, and in float32 2^-150, half the smallest
        // float, since v rounds to 0 at or below it (ties to even). With u = max(v − t, 0), min(u·1e300·1e300, 1)
        // is exactly 1 where u > 0 (the smallest positive double, 4.9e-324, becomes 4.9e276) and 0 elsewhere: the
        // mask as a product, which the JIT vectorises, where a branch mispredicted on about half the elements and
        // made backward 3.5 times slower
        double t = rounded ? 0x1p-150 : 0;
        for (int j = 0; j < plane; j++) {
            da[j] *= Math.min(Math.max(preActivation(xa[j], mc, scale, shift) - t, 0) * 1e300 * 1e300, 1.0);
        }
    }

    /**
     * (x − mean)·scale + shift, the normalised value before the ReLU, with scale = invStd·gamma and shift = beta:
     * one expression for forward and for the backward's recomputed ReLU mask, which must agree bit for bit.
     */
    private static double preActivation(double x, double mean, double scale, double shift) {
        return (x - mean) * scale + shift;
    }

    /** This thread's work array {@code i} of at least {@code len} doubles, grown when needed and reused. */
    private static double[] work(int i, int len) {
        double[][] work = WORK.get();
        if (work[i] == null || work[i].length < len) {
            work[i] = new double[len];
        }
        return work[i];
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
