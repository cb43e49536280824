package org.segmentation.nn.param;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.segmentation.nn.Shapes;

/**
 * All parameters of a model in one contiguous vector and all their gradients in another, as in llm.c: every
 * {@link Parameter} is a pair of views into them, so zeroing the gradients or taking an optimizer step is one
 * operation on the whole vector.
 *
 * <p>Layers declare their parameters on a {@link Builder} when they are constructed; {@link Builder#build()}
 * allocates both vectors (outside any open workspace, since they outlive every step), binds the views and runs
 * each parameter's initializer in declaration order.
 */
public final class ParameterBuffer {
    private final DataType dtype;
    private final INDArray values;
    private final INDArray gradients;
    private final List<Parameter> parameters;

    private ParameterBuffer(DataType dtype, INDArray values, INDArray gradients, List<Parameter> parameters) {
        this.dtype = dtype;
        this.values = values;
        this.gradients = gradients;
        this.parameters = parameters;
    }

    /** Starts a buffer whose parameters will have the given data type (FLOAT or DOUBLE). */
    public static Builder builder(DataType dtype) {
        return new Builder(dtype);
    }

    public DataType dataType() {
        return dtype;
    }

    /** All parameter values, a vector of {@link #length()} scalars. */
    public INDArray values() {
        return values;
    }

    /** All gradients, laid out like {@link #values()}. */
    public INDArray gradients() {
        return gradients;
    }

    public long length() {
        return values.length();
    }

    /** The parameters in declaration order. */
    public List<Parameter> parameters() {
        return parameters;
    }

    /** Sets every gradient to zero: call once per step, before the backward pass. */
    public void zeroGradients() {
        gradients.assign(0);
    }

    /** Declares parameters, then allocates them. */
    public static final class Builder {
        private final DataType dtype;
        private final Map<String, Parameter> declared = new LinkedHashMap<>();
        private long length;
        private boolean built;

        private Builder(DataType dtype) {
            this.dtype = Shapes.requireFloating(dtype);
        }

        public DataType dataType() {
            return dtype;
        }

        /**
         * Declares a parameter.
         *
         * @param name unique name, e.g. {@code "enc1.conv.weight"}
         * @param initializer fills the value view once the buffer is built
         */
        public Parameter add(String name, long[] shape, Consumer<INDArray> initializer) {
            if (built) {
                throw new IllegalStateException("buffer already built; cannot add " + name);
            }
            if (declared.containsKey(name)) {
                throw new IllegalArgumentException("duplicate parameter name " + name);
            }
            for (long s : shape) {
                if (s <= 0) {
                    throw new IllegalArgumentException("parameter " + name + ": every extent must be positive, got "
                            + java.util.Arrays.toString(shape));
                }
            }
            Parameter p = new Parameter(name, shape, length, initializer);
            declared.put(name, p);
            length += p.length();
            return p;
        }

        /** Allocates the two vectors and binds every declared parameter to its views. */
        public ParameterBuffer build() {
            if (built) {
                throw new IllegalStateException("buffer already built");
            }
            built = true;
            INDArray values;
            INDArray grads;
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                values = length == 0 ? Nd4j.empty(dtype) : Nd4j.zeros(dtype, length);
                grads = length == 0 ? Nd4j.empty(dtype) : Nd4j.zeros(dtype, length);
            }
            List<Parameter> list = new ArrayList<>(declared.values());
            for (Parameter p : list) {
                long from = p.offset();
                long to = from + p.length();
                p.bind(values.get(NDArrayIndex.interval(from, to)).reshape('c', p.shape()),
                        grads.get(NDArrayIndex.interval(from, to)).reshape('c', p.shape()));
            }
            return new ParameterBuffer(dtype, values, grads, Collections.unmodifiableList(list));
        }
    }
}
