package org.segmentation.nn.optim;

import java.util.Map;
import java.util.function.DoublePredicate;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.core.io.DType;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.TensorFile;

/** In-place vector helpers for the optimizers. */
final class BufferOps {
    private BufferOps() {
    }

    /** y += a·x, in place. */
    static void axpy(double a, INDArray x, INDArray y) {
        Nd4j.getBlasWrapper().level1().axpy(x.length(), a, x, y);
    }

    /** A zero vector like {@code like}, allocated outside any workspace: optimizer state outlives every step. */
    static INDArray state(INDArray like) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.zeros(like.dataType(), like.length());
        }
    }

    static void requireRate(double learningRate) {
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("expected a finite learning rate >= 0, got " + learningRate);
        }
    }

    /** Metadata key of the optimizer's kind in {@link Optimizer#state()}. */
    static final String KIND = "optimizer";

    /** A state vector as a tensor (a copy, in the vector's dtype). */
    static Tensor toTensor(INDArray v) {
        return v.dataType() == DataType.DOUBLE ? Tensor.f64(v.toDoubleVector(), v.length())
                : Tensor.f32(v.toFloatVector(), v.length());
    }

    /**
     * Checks that {@code state} is of {@code kind} and holds each of {@code targets}' names as a vector of the
     * target's dtype and length, and that its learning rate (metadata {@code "lr"}) is a finite number &gt;= 0,
     * which it returns.
     */
    static double check(TensorFile state, String kind, Map<String, INDArray> targets) throws ModelFormatException {
        String actual = state.metadata().get(KIND);
        if (!kind.equals(actual)) {
            throw new ModelFormatException(state.source(), null, "holds the state of optimizer '" + actual
                    + "', not of '" + kind + "'");
        }
        for (Map.Entry<String, INDArray> e : targets.entrySet()) {
            INDArray t = e.getValue();
            state.require(e.getKey(), t.dataType() == DataType.DOUBLE ? DType.F64 : DType.F32, t.length());
        }
        return number(state, "lr", NON_NEGATIVE_TEXT, NON_NEGATIVE);
    }

    /**
     * The metadata value {@code key} of {@code state} as a double, which {@code valid} must accept ({@code valid}
     * must refuse NaN, which stands for a missing or unparseable value).
     *
     * @param expected what a valid value is, for the message ("a finite number &gt;= 0")
     * @throws ModelFormatException naming the file and the key if the value is missing, not a number or not valid
     */
    static double number(TensorFile state, String key, String expected, DoublePredicate valid)
            throws ModelFormatException {
        String v = state.metadata().get(key);
        double d = Double.NaN;   // what no valid value is
        try {
            d = Double.parseDouble(v);
        } catch (NullPointerException | NumberFormatException e) {
            // refused below
        }
        if (!valid.test(d)) {
            throw new ModelFormatException(state.source(), null, "metadata '" + key + "' is " + v + ", not "
                    + expected);
        }
        return d;
    }

    /**
     * Checks a hyper-parameter a state records for checking only (the optimizer's own is used): absent in states
     * written before it was recorded; when present, {@code valid} must accept it and it must equal {@code own}, as
     * a state of another configuration would not continue the same run.
     */
    static void requireSame(TensorFile state, String key, double own, String expected, DoublePredicate valid)
            throws ModelFormatException {
        if (!state.metadata().containsKey(key)) {
            return;
        }
        double saved = number(state, key, expected, valid);
        if (Double.compare(saved, own) != 0) {
            throw new ModelFormatException(state.source(), null, "metadata '" + key + "' is " + saved
                    + ", but this optimizer has " + own + "; the state is of another configuration");
        }
    }

    /** The step count of {@code state}, metadata {@code key}: a non-negative decimal integer. */
    static long steps(TensorFile state, String key) throws ModelFormatException {
        String v = state.metadata().get(key);
        try {
            long t = Long.parseLong(v);
            if (t >= 0) {
                return t;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new ModelFormatException(state.source(), null, "metadata '" + key + "' is " + v
                + ", not a non-negative integer");
    }

    /** A finite value &gt;= 0, as learning rates and weight decays must be. */
    static final DoublePredicate NON_NEGATIVE = v -> v >= 0 && v < Double.POSITIVE_INFINITY;
    /** Described as in messages. */
    static final String NON_NEGATIVE_TEXT = "a finite number >= 0";
    /** A value in [0, 1), as betas and momentum must be. */
    static final DoublePredicate UNIT_INTERVAL = v -> v >= 0 && v < 1;
    /** Described as in messages. */
    static final String UNIT_INTERVAL_TEXT = "a number in [0, 1)";

    /** Copies the tensor {@code name} of {@code state} into {@code target}; {@link #check} has been called. */
    static void restore(TensorFile state, String name, INDArray target) {
        Tensor t = state.get(name);
        target.assign(t.dtype() == DType.F64 ? Nd4j.createFromArray(t.doubles()) : Nd4j.createFromArray(t.floats()));
    }
}
