package org.segmentation.nn.layers;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Gemm;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.param.Init;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * A fully connected layer, PyTorch's {@code Linear(in, out)}: y = x·Wᵀ + b with W (out, in), one ND4J GEMM.
 * Weights and bias start uniform on ±1/sqrt(in), PyTorch's default. The cache is a reference to the input, which
 * the caller keeps unmodified until {@link #backward}; outputs are detached arrays owned by the caller.
 */
public final class Linear {
    private final int in;
    private final int out;
    private final DataType dtype;
    private final Parameter weight; // (out, in)
    private final Parameter bias;   // (out)

    // cache for backward
    private INDArray x; // (N, in)

    public Linear(ParameterBuffer.Builder params, String name, int in, int out, Random rng) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear: feature counts must be positive, got in=" + in + " out=" + out);
        }
        this.in = in;
        this.out = out;
        this.dtype = params.dataType();
        double bound = 1.0 / Math.sqrt(in);
        this.weight = params.add(name + ".weight", new long[] {out, in}, Init.uniform(rng, bound));
        this.bias = params.add(name + ".bias", new long[] {out}, Init.uniform(rng, bound));
    }

    /**
     * @param x (N, in)
     * @return (N, out), a new detached array
     */
    public INDArray forward(INDArray x) {
        Shapes.require("Linear input x", "(N,in)", x, Shapes.ANY, in);
        Shapes.requireType("Linear input x", x, dtype);
        x = x.isView() || x.ordering() != 'c' ? x.dup('c') : x;
        INDArray y = Memory.detached(dtype, x.size(0), out);
        if (x.size(0) > 0) {
            Gemm.gemm(x, weight.value(), y, false, true, 1.0, 0.0);
            y.addiRowVector(bias.value());
        }
        this.x = x;
        return y;
    }

    /**
     * Adds dW = dYᵀ·x and db = Σ dY into the parameter buffer's gradients and drops the reference to x.
     *
     * @param dY (N, out)
     * @return dX = dY·W (N, in), a new detached array
     */
    public INDArray backward(INDArray dY) {
        if (x == null) {
            throw new IllegalStateException("Linear.backward called before forward");
        }
        Shapes.require("Linear output gradient dY", "(N,out)", dY, x.size(0), out);
        Shapes.requireType("Linear output gradient dY", dY, dtype);
        INDArray dX = Memory.detached(dtype, x.size(0), in);
        if (x.size(0) > 0) {
            dY = dY.ordering() == 'c' && !dY.isView() ? dY : dY.dup('c');
            Gemm.gemm(dY, x, weight.grad(), true, false, 1.0, 1.0);
            bias.grad().addi(dY.sum(0));
            Gemm.gemm(dY, weight.value(), dX, false, false, 1.0, 0.0);
        } else {
            dX.assign(0);
        }
        x = null;
        return dX;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }
}
