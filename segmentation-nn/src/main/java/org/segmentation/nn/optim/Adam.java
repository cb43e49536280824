package org.segmentation.nn.optim;

import java.nio.FloatBuffer;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * Adam (Kingma and Ba, 2015) and AdamW (Loshchilov and Hutter, "Decoupled weight decay regularization", 2019),
 * following {@code torch.optim.Adam} and {@code torch.optim.AdamW} without amsgrad: at step t,
 * m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + ε).
 * Adam adds λ·p to g (L2); AdamW instead first shrinks p by (1 − lr·λ).
 *
 * <p>On the CPU backend with float32 parameters a step is one pass over p, g, m and v, in chunks split over the
 * cores (each element's arithmetic in float32, in the order above); elsewhere it is a sequence of ND4J ops over
 * the whole buffers (about twelve passes), with one more parameter-sized scratch buffer.
 */
public final class Adam implements Optimizer {
    private final ParameterBuffer buffer;
    private final INDArray params;
    private final INDArray grads;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean decoupled;
    private final INDArray m;
    private final INDArray v;
    private INDArray scratch;     // the ND4J path's, made on its first step
    private final boolean loops;
    private double learningRate;
    private long t;

    private Adam(ParameterBuffer buffer, double learningRate, double beta1, double beta2, double eps,
            double weightDecay, boolean decoupled) {
        BufferOps.requireRate(learningRate);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)
                || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("expected betas in [0,1), eps > 0, weight decay >= 0; got beta1="
                    + beta1 + " beta2=" + beta2 + " eps=" + eps + " weightDecay=" + weightDecay);
        }
        this.buffer = buffer;
        this.params = buffer.values();
        this.grads = buffer.gradients();
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
        this.m = BufferOps.state(params);
        this.v = BufferOps.state(params);
        this.loops = Scalars.hostMemory() && params.dataType() == DataType.FLOAT && Scalars.isContiguous(params)
                && Scalars.isContiguous(grads) && params.length() < Integer.MAX_VALUE;
    }

    /** Adam with L2 weight decay λ added to the gradient (λ = 0 for none); PyTorch's defaults are 0.9, 0.999, 1e-8. */
    public static Adam adam(ParameterBuffer buffer, double learningRate, double beta1, double beta2, double eps,
            double weightDecay) {
        return new Adam(buffer, learningRate, beta1, beta2, eps, weightDecay, false);
    }

    /** AdamW with decoupled weight decay λ (PyTorch's default λ is 0.01). */
    public static Adam adamW(ParameterBuffer buffer, double learningRate, double beta1, double beta2, double eps,
            double weightDecay) {
        return new Adam(buffer, learningRate, beta1, beta2, eps, weightDecay, true);
    }

    @Override
    public ParameterBuffer parameters() {
        return buffer;
    }

    @Override
    public void step() {
        t++;
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        if (loops) {
            stepLoops(bc1, bc2);
            return;
        }
        if (scratch == null) {
            scratch = BufferOps.state(params);
        }
        if (decoupled && weightDecay != 0) {
            params.muli(1 - learningRate * weightDecay);
        }
        scratch.assign(grads);
        if (!decoupled && weightDecay != 0) {
            BufferOps.axpy(weightDecay, params, scratch);           // g + λp
        }
        m.muli(beta1);
        BufferOps.axpy(1 - beta1, scratch, m);
        scratch.muli(scratch);                                     // g²
        v.muli(beta2);
        BufferOps.axpy(1 - beta2, scratch, v);
        scratch.assign(v);
        Transforms.sqrt(scratch, false).divi(Math.sqrt(bc2)).addi(eps);   // denominator
        scratch.rdivi(m);                                          // m / denominator
        BufferOps.axpy(-learningRate / bc1, scratch, params);
    }

    /** Elements per chunk of the fused step: four arrays of them stay in L1/L2. */
    private static final int CHUNK = 4096;

    /** The step as one pass: per element, p·shrink, g (+ λp), m, v, p − step·m/(sqrt(v)/sqrt(bc2) + ε). */
    private void stepLoops(double bc1, double bc2) {
        int n = (int) params.length();
        FloatBuffer pb = params.data().asNioFloat(), gb = grads.data().asNioFloat();
        FloatBuffer mb = m.data().asNioFloat(), vb = v.data().asNioFloat();
        int po = (int) params.offset(), go = (int) grads.offset(), mo = (int) m.offset(), vo = (int) v.offset();
        float b1 = (float) beta1, b2 = (float) beta2, a1 = (float) (1 - beta1), a2 = (float) (1 - beta2);
        float shrink = decoupled ? (float) (1 - learningRate * weightDecay) : 1f;
        float l2 = decoupled ? 0f : (float) weightDecay;
        float step = (float) (learningRate / bc1), rootBc2 = (float) Math.sqrt(bc2), e = (float) eps;
        int chunks = (n + CHUNK - 1) / CHUNK;
        ParallelRanges.runDynamic(chunks, (from, to) -> {
            float[] p = new float[CHUNK], g = new float[CHUNK], mc = new float[CHUNK], vc = new float[CHUNK];
            for (int c = from; c < to; c++) {
                int at = c * CHUNK, len = Math.min(CHUNK, n - at);
                pb.get(po + at, p, 0, len);
                gb.get(go + at, g, 0, len);
                mb.get(mo + at, mc, 0, len);
                vb.get(vo + at, vc, 0, len);
                for (int i = 0; i < len; i++) {
                    float pi = p[i] * shrink;
                    float gi = l2 == 0f ? g[i] : g[i] + l2 * pi;
                    float mi = mc[i] * b1 + a1 * gi;
                    float vi = vc[i] * b2 + a2 * (gi * gi);
                    mc[i] = mi;
                    vc[i] = vi;
                    p[i] = pi - step * (mi / ((float) Math.sqrt(vi) / rootBc2 + e));
                }
                pb.put(po + at, p, 0, len);
                mb.put(mo + at, mc, 0, len);
                vb.put(vo + at, vc, 0, len);
            }
        });
    }

    /** Number of steps taken. */
    public long steps() {
        return t;
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
     * Kind "adam" or "adamw": tensors {@code "exp_avg"} (m) and {@code "exp_avg_sq"} (v), metadata {@code "step"}
     * (t) and {@code "lr"}, which {@link #loadState} restores, and {@code "beta1"}, {@code "beta2"}, {@code "eps"}
     * and {@code "weight_decay"}, which it checks against this optimizer's.
     */
    @Override
    public TensorFile state() {
        return TensorFile.builder()
                .put("exp_avg", BufferOps.toTensor(m))
                .put("exp_avg_sq", BufferOps.toTensor(v))
                .meta(BufferOps.KIND, kind())
                .meta("step", Long.toString(t))
                .meta("lr", Double.toString(learningRate))
                .meta("beta1", Double.toString(beta1))
                .meta("beta2", Double.toString(beta2))
                .meta("eps", Double.toString(eps))
                .meta("weight_decay", Double.toString(weightDecay))
                .build();
    }

    /**
     * {@inheritDoc} The step count must be a non-negative integer and the learning rate a finite number &gt;= 0;
     * betas in [0, 1), a finite eps &gt; 0 and a finite weight decay &gt;= 0 must also equal this optimizer's
     * (states written before they were recorded have none).
     */
    @Override
    public void loadState(TensorFile state) throws ModelFormatException {
        double lr = BufferOps.check(state, kind(), Map.of("exp_avg", m, "exp_avg_sq", v));
        long steps = BufferOps.steps(state, "step");
        BufferOps.requireSame(state, "beta1", beta1, BufferOps.UNIT_INTERVAL_TEXT, BufferOps.UNIT_INTERVAL);
        BufferOps.requireSame(state, "beta2", beta2, BufferOps.UNIT_INTERVAL_TEXT, BufferOps.UNIT_INTERVAL);
        BufferOps.requireSame(state, "eps", eps, "a finite number > 0", e -> e > 0 && e < Double.POSITIVE_INFINITY);
        BufferOps.requireSame(state, "weight_decay", weightDecay, BufferOps.NON_NEGATIVE_TEXT,
                BufferOps.NON_NEGATIVE);
        BufferOps.restore(state, "exp_avg", m);
        BufferOps.restore(state, "exp_avg_sq", v);
        t = steps;
        learningRate = lr;
    }

    private String kind() {
        return decoupled ? "adamw" : "adam";
    }
}
