package org.segmentation.nn.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;

/**
 * k×k max pooling with a stride and implicit −∞ padding, PyTorch's {@code MaxPool2d(k, stride, padding)} (floor
 * mode): OH = (H + 2·padding − k)/stride + 1. A ResNet stem uses 3×3, stride 2, padding 1; an FPN's extra level
 * uses 1×1, stride 2 (every other pixel). Ties go to the first maximum in row-major window order and a NaN wins, as
 * in PyTorch; backward sends each output's gradient to that position. For {@link MaxPool2x2}'s 2×2/2 case use that
 * class.
 *
 * <p>Loops over host memory ({@link Scalars}). The output and dX are detached arrays owned by the caller; the cache
 * is the position of every output's maximum, an int per output value, and the input's shape.
 */
public final class MaxPool2d {
    private final int kernel;
    private final int stride;
    private final int padding;

    // cache for backward
    private int[] argmax;      // (N,C,OH,OW) index of the maximum within its (H,W) plane
    private long[] inputShape; // (N,C,H,W)
    private DataType dtype;

    public MaxPool2d(int kernel, int stride, int padding) {
        if (kernel <= 0 || stride <= 0 || padding < 0 || 2 * padding > kernel) {
            throw new IllegalArgumentException("MaxPool2d: expected kernel > 0, stride > 0 and 0 <= padding <="
                    + " kernel/2, got kernel " + kernel + " stride " + stride + " padding " + padding);
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    public int outSize(long in) {
        return (int) ((in + 2L * padding - kernel) / stride + 1);
    }

    /**
     * @param x input (N,C,H,W)
     * @return output (N,C,OH,OW), a new detached array
     */
    public INDArray forward(INDArray x) {
        Shapes.require("MaxPool2d input x", "(N,C,H,W)", x, Shapes.ANY, Shapes.ANY, Shapes.ANY, Shapes.ANY);
        Shapes.requireFloating(x.dataType());
        if (x.size(2) + 2L * padding < kernel || x.size(3) + 2L * padding < kernel) {
            throw new IllegalArgumentException("MaxPool2d input x: " + x.size(2) + "x" + x.size(3)
                    + " is smaller than the " + kernel + "x" + kernel + " window with padding " + padding);
        }
        x = Scalars.contiguous(x);
        int planes = (int) (x.size(0) * x.size(1));
        int h = (int) x.size(2);
        int w = (int) x.size(3);
        int oh = outSize(h);
        int ow = outSize(w);
        INDArray y = Memory.detached(x.dataType(), x.size(0), x.size(1), oh, ow);
        Scalars xs = Scalars.of(x);
        Scalars ys = Scalars.of(y);
        int[] arg = new int[planes * oh * ow];
        double[] in = new double[h * w];
        double[] out = new double[oh * ow];
        for (int p = 0; p < planes; p++) {
            xs.get(p * h * w, in, h * w);
            for (int i = 0; i < oh; i++) {
                int y0 = i * stride - padding;
                for (int j = 0; j < ow; j++) {
                    int x0 = j * stride - padding;
                    double best = Double.NEGATIVE_INFINITY;
                    int at = -1;
                    for (int u = Math.max(y0, 0); u < Math.min(y0 + kernel, h); u++) {
                        for (int v = Math.max(x0, 0); v < Math.min(x0 + kernel, w); v++) {
                            double val = in[u * w + v];
                            if (at < 0 || val > best || Double.isNaN(val) && !Double.isNaN(best)) {
                                best = val;
                                at = u * w + v;
                            }
                        }
                    }
                    out[i * ow + j] = best;
                    arg[(p * oh + i) * ow + j] = at;
                }
            }
            ys.set(p * oh * ow, out, oh * ow);
        }
        this.argmax = arg;
        this.inputShape = x.shape();
        this.dtype = x.dataType();
        return y;
    }

    /**
     * @param dY gradient of the output (N,C,OH,OW)
     * @return gradient of the input (N,C,H,W), a new detached array
     */
    public INDArray backward(INDArray dY) {
        if (argmax == null) {
            throw new IllegalStateException("MaxPool2d.backward called before forward");
        }
        int h = (int) inputShape[2];
        int w = (int) inputShape[3];
        int oh = outSize(h);
        int ow = outSize(w);
        Shapes.require("MaxPool2d output gradient dY", "(N,C,OH,OW)", dY, inputShape[0], inputShape[1], oh, ow);
        Shapes.requireType("MaxPool2d output gradient dY", dY, dtype);
        INDArray dX = Memory.detached(dtype, inputShape);
        Scalars ds = Scalars.of(Scalars.contiguous(dY));
        Scalars dxs = Scalars.of(dX);
        int planes = (int) (inputShape[0] * inputShape[1]);
        double[] g = new double[oh * ow];
        double[] d = new double[h * w];
        for (int p = 0; p < planes; p++) {
            java.util.Arrays.fill(d, 0);
            ds.get(p * oh * ow, g, oh * ow);
            for (int o = 0; o < oh * ow; o++) {
                d[argmax[p * oh * ow + o]] += g[o];
            }
            dxs.set(p * h * w, d, h * w);
        }
        argmax = null;
        return dX;
    }
}
