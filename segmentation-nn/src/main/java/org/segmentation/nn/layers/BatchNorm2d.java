package org.segmentation.nn.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
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
 * <p>Both passes are loops over the channels' planes ({@link Scalars}), statistics and sums in double: forward
 * reads x twice for the statistics and once to write y; backward reads once for the two sums and once to write dX.
 * Nothing of (N,C,H,W) size is cached: backward recomputes x̂ = (x − mean)/sqrt(var + eps) from the input x, and
 * the fused ReLU's gradient mask is the sign of the output y (y &gt; 0 exactly where the pre-activation was), so
 * the caller must keep x and y unmodified until {@link #backward}. The output and dX are detached arrays owned by
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
        Scalars xs = Scalars.of(x);
        double[] mu = new double[channels];
        double[] inv = new double[channels];
        if (training) {
            if (m < 2) {
                throw new IllegalArgumentException("BatchNorm2d in training mode needs more than one value per"
                        + " channel, got input shape " + java.util.Arrays.toString(x.shape()));
            }
            Scalars rm = Scalars.of(runningMean);
            Scalars rv = Scalars.of(runningVar);
            for (int c = 0; c < channels; c++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    for (int at = (i * channels + c) * plane, end = at + plane; at < end; at++) {
                        s += xs.get(at);
                    }
                }
                double mc = s / m;
                double ss = 0;
                for (int i = 0; i < n; i++) {
                    for (int at = (i * channels + c) * plane, end = at + plane; at < end; at++) {
                        double d = xs.get(at) - mc;
                        ss += d * d;
                    }
                }
                double var = ss / m;                                           // biased, for normalising
                mu[c] = mc;
                inv[c] = 1 / Math.sqrt(var + eps);
                rm.set(c, (1 - momentum) * rm.get(c) + momentum * mc);
                rv.set(c, (1 - momentum) * rv.get(c) + momentum * var * m / (m - 1.0));   // unbiased
            }
        } else {
            Scalars rm = Scalars.of(runningMean);
            Scalars rv = Scalars.of(runningVar);
            for (int c = 0; c < channels; c++) {
                mu[c] = rm.get(c);
                inv[c] = 1 / Math.sqrt(rv.get(c) + eps);
            }
        }
        INDArray out = Memory.detached(dtype, x.shape());
        Scalars ys = Scalars.of(out);
        Scalars g = Scalars.of(gamma.value());
        Scalars b = Scalars.of(beta.value());
        for (int c = 0; c < channels; c++) {
            double mc = mu[c], ic = inv[c], gc = g.get(c), bc = b.get(c);
            for (int i = 0; i < n; i++) {
                for (int at = (i * channels + c) * plane, end = at + plane; at < end; at++) {
                    double v = (xs.get(at) - mc) * ic * gc + bc;
                    ys.set(at, relu && v < 0 ? 0 : v);
                }
            }
        }
        this.x = x;
        this.y = relu ? out : null;
        this.mean = mu;
        this.invStd = inv;
        this.cachedTraining = training;
        return out;
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
        try (MemoryWorkspace ws = Memory.scratch()) {
            Scalars xs = Scalars.of(x);
            Scalars ys = relu ? Scalars.of(y) : null;
            Scalars ds = Scalars.of(Scalars.contiguous(dY));
            Scalars dxs = Scalars.of(dX);
            Scalars g = Scalars.of(gamma.value());
            Scalars dg = Scalars.of(gamma.grad());
            Scalars db = Scalars.of(beta.grad());
            for (int c = 0; c < channels; c++) {
                double mc = mean[c], ic = invStd[c];
                double sumD = 0, sumDXhat = 0;                                 // Σ dZ and Σ dZ·x̂ over (N,H,W)
                for (int i = 0; i < n; i++) {
                    for (int at = (i * channels + c) * plane, end = at + plane; at < end; at++) {
                        if (relu && !(ys.get(at) > 0)) {
                            continue;
                        }
                        double d = ds.get(at);
                        sumD += d;
                        sumDXhat += d * (xs.get(at) - mc) * ic;
                    }
                }
                dg.set(c, dg.get(c) + sumDXhat);
                db.set(c, db.get(c) + sumD);
                double scale = g.get(c) * ic;
                // training: dX = gamma·invStd·(dZ − mean(dZ) − x̂·mean(dZ·x̂)); evaluation: gamma·invStd·dZ
                double meanD = cachedTraining ? sumD / m : 0;
                double meanDXhat = cachedTraining ? sumDXhat / m : 0;
                for (int i = 0; i < n; i++) {
                    for (int at = (i * channels + c) * plane, end = at + plane; at < end; at++) {
                        double d = relu && !(ys.get(at) > 0) ? 0 : ds.get(at);
                        dxs.set(at, scale * (d - meanD - (xs.get(at) - mc) * ic * meanDXhat));
                    }
                }
            }
        }
        x = null;
        y = null;
        return dX;
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
