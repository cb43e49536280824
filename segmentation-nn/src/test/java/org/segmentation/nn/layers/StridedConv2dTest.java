package org.segmentation.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.param.ParameterBuffer;
import org.segmentation.nn.testutil.Golden;
import org.segmentation.nn.testutil.GradCheck;

/**
 * {@link StridedConv2d} against the definition (plain loops in double, below) on small shapes covering 1×1,
 * strided, padded, non-square and chunked cases, and against finite differences.
 *
 * <p>Tolerances relative to each tensor's largest magnitude: float64 1e-12 (the GEMM sums in another order);
 * float32 1e-5 (sums of at most C·kh·kw·N·OH·OW ≈ 10³ float32 terms lose about 1e-6). Finite differences:
 * {@link GradCheck#TOLERANCE}.
 */
class StridedConv2dTest {

    /** y[n,o,i,j] = b[o] + Σ_{c,u,v} x[n,c,i·sh−ph+u, j·sw−pw+v]·w[o,c,u,v], zero outside x; then dX, dW, dB. */
    static INDArray[] naive(INDArray x, INDArray w, INDArray b, INDArray dY, int sh, int sw, int ph, int pw) {
        int n = (int) x.size(0), c = (int) x.size(1), h = (int) x.size(2), wd = (int) x.size(3);
        int k = (int) w.size(0), kh = (int) w.size(2), kw = (int) w.size(3);
        int oh = (h + 2 * ph - kh) / sh + 1, ow = (wd + 2 * pw - kw) / sw + 1;
        double[] xs = x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] ws = w.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] gs = dY == null ? null : dY.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] y = new double[n * k * oh * ow];
        double[] dx = new double[xs.length];
        double[] dw = new double[ws.length];
        double[] db = new double[k];
        for (int s = 0; s < n; s++) {
            for (int o = 0; o < k; o++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        int yi = ((s * k + o) * oh + i) * ow + j;
                        double sum = b == null ? 0 : b.getDouble(o);
                        double g = gs == null ? 0 : gs[yi];
                        db[o] += g;
                        for (int ch = 0; ch < c; ch++) {
                            for (int u = 0; u < kh; u++) {
                                for (int v = 0; v < kw; v++) {
                                    int yy = i * sh - ph + u, xx = j * sw - pw + v;
                                    if (yy >= 0 && yy < h && xx >= 0 && xx < wd) {
                                        int xi = ((s * c + ch) * h + yy) * wd + xx;
                                        int wi = ((o * c + ch) * kh + u) * kw + v;
                                        sum += xs[xi] * ws[wi];
                                        dx[xi] += g * ws[wi];
                                        dw[wi] += g * xs[xi];
                                    }
                                }
                            }
                        }
                        y[yi] = sum;
                    }
                }
            }
        }
        return new INDArray[] {Nd4j.create(y, new long[] {n, k, oh, ow}, 'c'), Nd4j.create(dx, x.shape(), 'c'),
            Nd4j.create(dw, w.shape(), 'c'), Nd4j.create(db, new long[] {k}, 'c')};
    }

    @ParameterizedTest(name = "C={0} K={1} k={2}x{3} s={4}x{5} p={6}x{7} bias={8} in={9}x{10} chunk={11}")
    @CsvSource({
        "3,4,1,1,1,1,0,0,true,5,6,4194304",
        "3,5,1,1,2,2,0,0,false,7,6,4194304",
        "2,3,3,3,2,2,1,1,false,7,8,4194304",
        "3,4,7,7,2,2,3,3,false,9,11,4194304",
        "4,3,3,3,1,1,1,1,true,6,5,4194304",
        "2,3,2,3,2,1,0,1,true,7,5,4194304",
        "3,2,3,3,2,2,1,1,true,9,10,1",
        "2,2,3,3,1,1,1,1,false,6,7,40"})
    void equalsTheDefinition(int c, int k, int kh, int kw, int sh, int sw, int ph, int pw, boolean bias, int h,
            int wd, long chunk) {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            Random rng = new Random(7);
            ParameterBuffer.Builder b = ParameterBuffer.builder(dt);
            StridedConv2d conv = new StridedConv2d(b, "conv", c, k, kh, kw, sh, sw, ph, pw, bias, rng, chunk);
            ParameterBuffer params = b.build();
            INDArray x = GradCheck.gaussian(rng, dt, 2, c, h, wd);
            INDArray y = conv.forward(x);
            INDArray dY = GradCheck.gaussian(rng, dt, y.shape());
            params.zeroGradients();
            INDArray dX = conv.backward(dY);
            INDArray[] ref = naive(x, conv.weight().value(), bias ? conv.bias().value() : null, dY, sh, sw, ph, pw);
            double tol = dt == DataType.DOUBLE ? 1e-12 : 1e-5;
            String what = dt + " ";
            assertClose(what + "y", y, ref[0], tol);
            assertClose(what + "dX", dX, ref[1], tol);
            assertClose(what + "dW", conv.weight().grad(), ref[2], tol);
            if (bias) {
                assertClose(what + "dB", conv.bias().grad(), ref[3], tol);
            }
        }
    }

    @Test
    void float32BitsDoNotDependOnTheThreadLimit() {
        // float32 on the CPU backend splits the samples into one group per core, each with its own weight-gradient
        // sum; the groups follow the machine, not the caller's limit, so one thread must give the same bits
        INDArray[][] results = new INDArray[2][];
        int[] limits = {1, Math.max(2, ParallelRanges.THREADS)};
        for (int i = 0; i < 2; i++) {
            Random rng = new Random(9);
            ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.FLOAT);
            StridedConv2d conv = new StridedConv2d(b, "conv", 3, 4, 3, 3, 2, 2, 1, 1, true, rng, 40);
            ParameterBuffer params = b.build();
            INDArray x = GradCheck.gaussian(rng, DataType.FLOAT, 5, 3, 9, 8);
            results[i] = ParallelRanges.callWithThreads(limits[i], () -> {
                INDArray y = conv.forward(x);
                params.zeroGradients();
                INDArray dX = conv.backward(GradCheck.gaussian(new Random(10), DataType.FLOAT, y.shape()));
                return new INDArray[] {y, dX, conv.weight().grad().dup(), conv.bias().grad().dup()};
            });
        }
        for (int j = 0; j < 4; j++) {
            assertArrayEquals(results[0][j].ravel().toFloatVector(), results[1][j].ravel().toFloatVector(),
                    "tensor " + j);
        }
    }

    static void assertClose(String what, INDArray actual, INDArray expected, double tol) {
        double err = Golden.relError(actual, expected);
        assertTrue(err < tol, what + " relative error " + err);
    }

    @ParameterizedTest
    @CsvSource({"3,1,1", "3,2,1", "1,2,0", "2,2,1"})
    void gradientsMatchFiniteDifferences(int k, int stride, int pad) {
        Random rng = new Random(11);
        ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.DOUBLE);
        StridedConv2d conv = new StridedConv2d(b, "conv", 2, 3, k, stride, pad, true, rng);
        ParameterBuffer params = b.build();
        INDArray x = GradCheck.gaussian(rng, DataType.DOUBLE, 2, 2, 5, 6);
        INDArray r = GradCheck.gaussian(rng, DataType.DOUBLE, conv.forward(x).shape());
        params.zeroGradients();
        conv.forward(x);
        INDArray dX = conv.backward(r);
        java.util.function.DoubleSupplier loss = () -> GradCheck.dot(conv.forward(x), r);
        assertTrue(GradCheck.maxRelativeError(loss, x, dX) < GradCheck.TOLERANCE, "dX");
        assertTrue(GradCheck.maxRelativeError(loss, conv.weight().value(), conv.weight().grad())
                < GradCheck.TOLERANCE, "dW");
        assertTrue(GradCheck.maxRelativeError(loss, conv.bias().value(), conv.bias().grad()) < GradCheck.TOLERANCE,
                "dB");
    }

    @Test
    void shapesNamesAndErrors() {
        ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.FLOAT);
        StridedConv2d conv = new StridedConv2d(b, "layer1.0.conv1", 3, 8, 7, 2, 3, false, new Random(1));
        ParameterBuffer params = b.build();
        assertNull(conv.bias());
        assertTrue(params.parameters().size() == 1 && params.parameters().get(0).name().equals("layer1.0.conv1.weight"));
        // torchvision's stem: 7x7/2 pad 3 halves 224 to 112 and 33 to 17
        assertArrayEquals(new long[] {1, 8, 112, 17}, conv.forward(Nd4j.zeros(DataType.FLOAT, 1, 3, 224, 33)).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> conv.forward(Nd4j.zeros(DataType.FLOAT, 1, 2, 8, 8)));
        assertTrue(e.getMessage().contains("(N,C,H,W)"), e.getMessage());
        StridedConv2d big = new StridedConv2d(ParameterBuffer.builder(DataType.FLOAT), "c", 1, 1, 5, 1, 0, false,
                new Random(1));
        e = assertThrows(IllegalArgumentException.class, () -> big.forward(Nd4j.zeros(DataType.FLOAT, 1, 1, 3, 8)));
        assertTrue(e.getMessage().contains("smaller than the 5x5 kernel"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new StridedConv2d(ParameterBuffer.builder(
                DataType.FLOAT), "c", 1, 1, 3, 0, 1, false, new Random(1)));
        assertTrue(e.getMessage().contains("stride 0x0"), e.getMessage());
    }
}
