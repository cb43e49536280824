package org.segmentation.nn.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.nn.Bcast;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.param.Init;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * Batch normalisation over (N,H,W) per channel (Ioffe and Szegedy, 2015), PyTorch's {@code BatchNorm2d(C)}:
 * y = gamma·(x − mean)/sqrt(var + eps) + beta. In training mode mean and the biased variance come from the
 * batch and the running averages are updated as running = (1 − momentum)·running + momentum·batch, with the
 * unbiased variance (PyTorch's convention); in evaluation mode the running averages are used. gamma starts at 1,
 * beta at 0, running mean at 0 and running variance at 1. The running averages are buffers, not parameters.
 */
public final class BatchNorm2d {
    private final int channels;
    private final double momentum;
    private final double eps;
    private final DataType dtype;
    private final Parameter gamma; // (C)
    private final Parameter beta;  // (C)
    private final INDArray runningMean; // (C)
    private final INDArray runningVar;  // (C)
    private boolean training = true;

    // caches for backward
    private INDArray xHat;   // (N,C,H,W) normalised input
    private INDArray invStd; // (C) 1/sqrt(var + eps) of the statistics used
    private boolean cachedTraining;

    /** momentum 0.1 and eps 1e-5, PyTorch's defaults. */
    public BatchNorm2d(ParameterBuffer.Builder params, String name, int channels) {
        this(params, name, channels, 0.1, 1e-5);
    }

    public BatchNorm2d(ParameterBuffer.Builder params, String name, int channels, double momentum, double eps) {
        if (channels <= 0 || !(momentum >= 0 && momentum <= 1) || !(eps > 0)) {
            throw new IllegalArgumentException("expected channels > 0, momentum in [0,1], eps > 0; got channels="
                    + channels + " momentum=" + momentum + " eps=" + eps);
        }
        this.channels = channels;
        this.momentum = momentum;
        this.eps = eps;
        this.dtype = params.dataType();
        this.gamma = params.add(name + ".weight", new long[] {channels}, Init.constant(1));
        this.beta = params.add(name + ".bias", new long[] {channels}, Init.constant(0));
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            this.runningMean = Nd4j.zeros(dtype, channels);
            this.runningVar = Nd4j.ones(dtype, channels);
        }
    }

    /** Training mode (batch statistics, running averages updated) or evaluation mode (running averages). */
    public void setTraining(boolean training) {
        this.training = training;
    }

    /**
     * @param x input (N,C,H,W)
     * @return output (N,C,H,W)
     */
    public INDArray forward(INDArray x) {
        Shapes.require("BatchNorm2d input x", "(N,C,H,W)", x, Shapes.ANY, channels, Shapes.ANY, Shapes.ANY);
        Shapes.requireType("BatchNorm2d input x", x, dtype);
        INDArray mean;
        INDArray var;
        if (training) {
            long m = x.length() / channels;
            if (m < 2) {
                throw new IllegalArgumentException("BatchNorm2d in training mode needs more than one value per"
                        + " channel, got input shape " + java.util.Arrays.toString(x.shape()));
            }
            mean = x.mean(0, 2, 3);                          // (C)
            INDArray centred = x.sub(Bcast.perChannel(mean));
            var = centred.mul(centred).mean(0, 2, 3);        // (C), biased
            runningMean.muli(1 - momentum).addi(mean.mul(momentum));
            runningVar.muli(1 - momentum).addi(var.mul(momentum * m / (m - 1.0)));
            invStd = Transforms.pow(var.add(eps), -0.5, false);
            xHat = centred.muli(Bcast.perChannel(invStd));
        } else {
            invStd = Transforms.pow(runningVar.add(eps), -0.5, false);
            INDArray centred = x.sub(Bcast.perChannel(runningMean));
            xHat = centred.muli(Bcast.perChannel(invStd));
        }
        cachedTraining = training;
        return xHat.mul(Bcast.perChannel(gamma.value())).addi(Bcast.perChannel(beta.value()));
    }

    /**
     * Adds the gamma and beta gradients into the parameter buffer's gradients.
     *
     * @param dY gradient of the output (N,C,H,W)
     * @return gradient of the input (N,C,H,W)
     */
    public INDArray backward(INDArray dY) {
        if (xHat == null) {
            throw new IllegalStateException("BatchNorm2d.backward called before forward");
        }
        Shapes.requireSameShape("BatchNorm2d output gradient dY", xHat, dY);
        INDArray dGamma = dY.mul(xHat).sum(0, 2, 3);               // (C)
        INDArray dBeta = dY.sum(0, 2, 3);                          // (C)
        gamma.grad().addi(dGamma);
        beta.grad().addi(dBeta);
        INDArray scale = gamma.value().mul(invStd);                // (C)
        INDArray dX = dY.mul(Bcast.perChannel(scale));
        if (!cachedTraining) {
            return dX;
        }
        // dX = gamma·invStd·(dY − mean(dY) − xHat·mean(dY·xHat)), the means taken over (N,H,W)
        double m = dY.length() / channels;
        INDArray meanDy = dBeta.div(m);
        INDArray meanDyXhat = dGamma.div(m);
        INDArray correction = xHat.mul(Bcast.perChannel(meanDyXhat)).addi(Bcast.perChannel(meanDy))
                .muli(Bcast.perChannel(scale));
        return dX.subi(correction);
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
