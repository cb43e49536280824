package org.segmentation.nn.optim;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, following
 * {@code torch.optim.SGD} (dampening 0): d = g + λ·p; v = μ·v + d; d = d + μ·v (Nesterov) or d = v;
 * p −= lr·d. With μ = 0 it is plain SGD.
 */
public final class Sgd implements Optimizer {
    private final ParameterBuffer buffer;
    private final INDArray params;
    private final INDArray grads;
    private final double momentum;
    private final boolean nesterov;
    private final double weightDecay;
    private final INDArray velocity;
    private final INDArray scratch;
    private double learningRate;

    public Sgd(ParameterBuffer buffer, double learningRate, double momentum, boolean nesterov, double weightDecay) {
        BufferOps.requireRate(learningRate);
        if (!(momentum >= 0 && momentum < 1) || !(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("expected momentum in [0,1) and weight decay >= 0, got momentum="
                    + momentum + " weightDecay=" + weightDecay);
        }
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("Nesterov momentum needs momentum > 0, got 0");
        }
        this.buffer = buffer;
        this.params = buffer.values();
        this.grads = buffer.gradients();
        this.learningRate = learningRate;
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
        this.velocity = BufferOps.state(params);
        this.scratch = BufferOps.state(params);
    }

    @Override
    public ParameterBuffer parameters() {
        return buffer;
    }

    @Override
    public void step() {
        scratch.assign(grads);
        if (weightDecay != 0) {
            BufferOps.axpy(weightDecay, params, scratch);        // d = g + λp
        }
        if (momentum != 0) {
            velocity.muli(momentum).addi(scratch);              // v = μv + d
            if (nesterov) {
                BufferOps.axpy(momentum, velocity, scratch);    // d = d + μv
            } else {
                scratch.assign(velocity);
            }
        }
        BufferOps.axpy(-learningRate, scratch, params);
    }

    @Override
    public double learningRate() {
        return learningRate;
    }

    @Override
    public void setLearningRate(double learningRate) {
        BufferOps.requireRate(learningRate);
        this.learningRate = learningRate;
    }

    /**
     * Kind "sgd": tensor {@code "momentum_buffer"} (zero before the first step), metadata {@code "lr"}, which
     * {@link #loadState} restores, and {@code "momentum"} and {@code "weight_decay"}, which it checks against this
     * optimizer's.
     */
    @Override
    public TensorFile state() {
        return TensorFile.builder()
                .put("momentum_buffer", BufferOps.toTensor(velocity))
                .meta(BufferOps.KIND, "sgd")
                .meta("lr", Double.toString(learningRate))
                .meta("momentum", Double.toString(momentum))
                .meta("weight_decay", Double.toString(weightDecay))
                .build();
    }

    /**
     * {@inheritDoc} The learning rate must be a finite number &gt;= 0; a momentum in [0, 1) and a finite weight
     * decay &gt;= 0 must also equal this optimizer's (states written before they were recorded have none).
     */
    @Override
    public void loadState(TensorFile state) throws ModelFormatException {
        double lr = BufferOps.check(state, "sgd", Map.of("momentum_buffer", velocity));
        BufferOps.requireSame(state, "momentum", momentum, BufferOps.UNIT_INTERVAL_TEXT, BufferOps.UNIT_INTERVAL);
        BufferOps.requireSame(state, "weight_decay", weightDecay, BufferOps.NON_NEGATIVE_TEXT,
                BufferOps.NON_NEGATIVE);
        BufferOps.restore(state, "momentum_buffer", velocity);
        learningRate = lr;
    }
}
