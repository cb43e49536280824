package org.segmentation.nn.optim;

import java.util.Map;
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
     * target's dtype and length; returns the metadata value of each of {@code keys} parsed as a double.
     */
    static double[] check(TensorFile state, String kind, Map<String, INDArray> targets, String... keys)
            throws ModelFormatException {
        String actual = state.metadata().get(KIND);
        if (!kind.equals(actual)) {
            throw new ModelFormatException(state.source(), null, "holds the state of optimizer '" + actual
                    + "', not of '" + kind + "'");
        }
        for (Map.Entry<String, INDArray> e : targets.entrySet()) {
            INDArray t = e.getValue();
            state.require(e.getKey(), t.dataType() == DataType.DOUBLE ? DType.F64 : DType.F32, t.length());
        }
        double[] values = new double[keys.length];
        for (int i = 0; i < keys.length; i++) {
            String v = state.metadata().get(keys[i]);
            try {
                values[i] = Double.parseDouble(v);
            } catch (NullPointerException | NumberFormatException e) {
                throw new ModelFormatException(state.source(), null, "metadata '" + keys[i] + "' is " + v
                        + ", not a number");
            }
        }
        return values;
    }

    /** Copies the tensor {@code name} of {@code state} into {@code target}; {@link #check} has been called. */
    static void restore(TensorFile state, String name, INDArray target) {
        Tensor t = state.get(name);
        target.assign(t.dtype() == DType.F64 ? Nd4j.createFromArray(t.doubles()) : Nd4j.createFromArray(t.floats()));
    }
}
