package org.segmentation.nn.param;

import java.util.Arrays;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One named parameter tensor of a model: a view into the model's {@link ParameterBuffer} of values and the
 * matching view into its buffer of gradients. The views exist once the buffer has been built.
 */
public final class Parameter {
    private final String name;
    private final long[] shape;
    private final long offset;
    private final Consumer<INDArray> initializer;
    private INDArray value;
    private INDArray grad;

    Parameter(String name, long[] shape, long offset, Consumer<INDArray> initializer) {
        this.name = name;
        this.shape = shape.clone();
        this.offset = offset;
        this.initializer = initializer;
    }

    public String name() {
        return name;
    }

    public long[] shape() {
        return shape.clone();
    }

    /** Number of scalars. */
    public long length() {
        return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }

    /** Offset of the first scalar in the flat buffers. */
    public long offset() {
        return offset;
    }

    /** The values, a view into {@link ParameterBuffer#values()}. */
    public INDArray value() {
        requireBound();
        return value;
    }

    /** The gradients, a view into {@link ParameterBuffer#gradients()}; backward passes add into it. */
    public INDArray grad() {
        requireBound();
        return grad;
    }

    void bind(INDArray value, INDArray grad) {
        this.value = value;
        this.grad = grad;
        initializer.accept(value);
    }

    private void requireBound() {
        if (value == null) {
            throw new IllegalStateException("parameter " + name + " is used before its ParameterBuffer was built");
        }
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
