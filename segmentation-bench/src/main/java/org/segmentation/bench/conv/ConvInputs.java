package org.segmentation.bench.conv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.core.io.NpyFiles;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.conv.Conv2dAlgorithm;
import org.segmentation.nn.conv.AutoConv2d;

/**
 * The tensors of a "same"-padded k×k convolution from C_in to C channels, from a seeded {@link Random}, shared
 * by {@link Conv2dBenchmark} and the PyTorch peer (which reads them as {@code .npy}):
 * x (N,C_in,H,W) and dY (N,C,H,W) uniform in [0,1), w (C,C_in,k,k) uniform in [-0.5,0.5), b (C) uniform in
 * [0,1).
 *
 * <p>Check values: the sums of absolute values of y (forward), and of dX and dW (backward), summed in double and
 * printed to 4 significant digits with {@code %.4g} (Python: {@code %#.4g}, which keeps trailing zeros like
 * Java). Both sides sum float32 products in different orders, so a value can differ in its last digit when it
 * lies near a rounding boundary.
 */
public final class ConvInputs {
    /** Seed of the generator. */
    public static final long SEED = 1;

    /** Batch N. */
    public final int n;
    /** Input channels C_in. */
    public final int cin;
    /** Output channels C. */
    public final int channels;
    /** Height and width H = W. */
    public final int size;
    /** Kernel size k, odd. */
    public final int kernel;
    /** (N,C_in,H,W) row-major. */
    public final float[] x;
    /** (C,C_in,k,k), output channel first. */
    public final float[] w;
    /** (C). */
    public final float[] b;
    /** (N,C,H,W), the gradient of the output given to backward. */
    public final float[] dY;

    /**
     * Our convolution algorithm, the one every benchmark and check of this module times: the only place it is
     * chosen, so that another engine is compared by changing this line. It is what a U-Net layer runs: the
     * deterministic rule of {@link AutoConv2d}.
     */
    public static Conv2dAlgorithm ours() {
        return new AutoConv2d();
    }

    /** Draws the tensors of a C -> C convolution. */
    public ConvInputs(int n, int channels, int size, int kernel) {
        this(n, channels, channels, size, kernel);
    }

    /** Draws the tensors of a C_in -> C convolution; with C_in = C the same tensors as the 4-argument form. */
    public ConvInputs(int n, int cin, int channels, int size, int kernel) {
        if (n < 1 || cin < 1 || channels < 1 || size < 1 || kernel < 1 || kernel % 2 == 0) {
            throw new IllegalArgumentException("expected positive n, cin, channels, size and an odd kernel, got n="
                    + n + " cin=" + cin + " channels=" + channels + " size=" + size + " kernel=" + kernel);
        }
        this.n = n;
        this.cin = cin;
        this.channels = channels;
        this.size = size;
        this.kernel = kernel;
        Random rng = new Random(SEED);
        x = uniform(rng, Math.multiplyExact(Math.multiplyExact(n, cin), size * size), 0);
        w = uniform(rng, channels * cin * kernel * kernel, -0.5f);
        b = uniform(rng, channels, 0);
        dY = uniform(rng, Math.multiplyExact(Math.multiplyExact(n, channels), size * size), 0);
    }

    private static float[] uniform(Random rng, int count, float offset) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) {
            a[i] = rng.nextFloat() + offset;
        }
        return a;
    }

    public INDArray x() {
        return Nd4j.create(x, new long[] {n, cin, size, size}, DataType.FLOAT);
    }

    public INDArray w() {
        return Nd4j.create(w, new long[] {channels, cin, kernel, kernel}, DataType.FLOAT);
    }

    public INDArray b() {
        return Nd4j.create(b, new long[] {channels}, DataType.FLOAT);
    }

    public INDArray dY() {
        return Nd4j.create(dY, new long[] {n, channels, size, size}, DataType.FLOAT);
    }

    /**
     * File name prefix of these tensors: {@code conv_n<N>_c<C>_s<H>_k<k>}, with C_in ≠ C
     * {@code conv_n<N>_i<C_in>_c<C>_s<H>_k<k>}; the peer builds the same.
     */
    public String prefix() {
        if (cin != channels) {
            return String.format(Locale.ROOT, "conv_n%d_i%d_c%d_s%d_k%d", n, cin, channels, size, kernel);
        }
        return String.format(Locale.ROOT, "conv_n%d_c%d_s%d_k%d", n, channels, size, kernel);
    }

    /** Writes {@code <prefix>_x.npy}, {@code _w}, {@code _b} and {@code _dy} into {@code dir}, creating it. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        NpyFiles.write(Tensor.f32(x, n, cin, size, size), dir.resolve(prefix() + "_x.npy"));
        NpyFiles.write(Tensor.f32(w, channels, cin, kernel, kernel), dir.resolve(prefix() + "_w.npy"));
        NpyFiles.write(Tensor.f32(b, channels), dir.resolve(prefix() + "_b.npy"));
        NpyFiles.write(Tensor.f32(dY, n, channels, size, size), dir.resolve(prefix() + "_dy.npy"));
    }

    /**
     * Our check values computed by {@link #ours()}: {@code [sum|y|]}, or with {@code backward}
     * {@code [sum|y|, sum|dX|, sum|dW|]}, each as {@link #digits}.
     */
    public List<String> check(boolean backward) {
        INDArray xs = x(), ws = w();
        INDArray y = Nd4j.create(DataType.FLOAT, n, channels, size, size);
        INDArray dX = Nd4j.create(DataType.FLOAT, n, cin, size, size);
        INDArray dW = Nd4j.create(DataType.FLOAT, channels, cin, kernel, kernel);
        INDArray dB = Nd4j.create(DataType.FLOAT, channels);
        Conv2dAlgorithm conv = ours();
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            conv.forward(xs, ws, b(), y);
            if (!backward) {
                return List.of(digits(absSum(y)));
            }
            INDArray g = dY();
            conv.backwardData(g, ws, dX);
            conv.backwardWeights(xs, g, dW, dB);
            return List.of(digits(absSum(y)), digits(absSum(dX)), digits(absSum(dW)));
        }
    }

    /** Σ|a| over every element, accumulated in double. */
    public static double absSum(INDArray a) {
        double s = 0;
        for (float v : a.dup('c').data().asFloat()) {
            s += Math.abs(v);
        }
        return s;
    }

    /** {@code v} to 4 significant digits, as {@code %.4g} prints it (and Python's {@code %#.4g}). */
    public static String digits(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
