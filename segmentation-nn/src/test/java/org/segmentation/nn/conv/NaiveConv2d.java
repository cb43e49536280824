package org.segmentation.nn.conv;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The definition of a stride-1 "same" k×k cross-correlation and its two gradients, as plain loops in double
 * precision: the reference every algorithm is checked against. Results are DOUBLE arrays.
 */
final class NaiveConv2d {
    private NaiveConv2d() {
    }

    /** y[n,o,i,j] = b[o] + Σ_{c,u,v} x[n,c,i+u−p,j+v−p]·w[o,c,u,v], zero outside x. */
    static INDArray forward(INDArray x, INDArray w, INDArray b) {
        int n = (int) x.size(0), c = (int) x.size(1), h = (int) x.size(2), wd = (int) x.size(3);
        int k = (int) w.size(0), r = (int) w.size(2), p = r / 2;
        double[] xs = x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] ws = w.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] bs = b.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] y = new double[n * k * h * wd];
        for (int s = 0; s < n; s++) {
            for (int o = 0; o < k; o++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < wd; j++) {
                        double sum = bs[o];
                        for (int ch = 0; ch < c; ch++) {
                            for (int u = 0; u < r; u++) {
                                int yy = i + u - p;
                                if (yy < 0 || yy >= h) {
                                    continue;
                                }
                                for (int v = 0; v < r; v++) {
                                    int xx = j + v - p;
                                    if (xx >= 0 && xx < wd) {
                                        sum += xs[((s * c + ch) * h + yy) * wd + xx] * ws[((o * c + ch) * r + u) * r + v];
                                    }
                                }
                            }
                        }
                        y[((s * k + o) * h + i) * wd + j] = sum;
                    }
                }
            }
        }
        return Nd4j.create(y, new long[] {n, k, h, wd}, 'c');
    }

    /** {dX, dW, dB}: the adjoint sums of {@link #forward} for the output gradient dY. */
    static INDArray[] backward(INDArray x, INDArray w, INDArray dY) {
        int n = (int) x.size(0), c = (int) x.size(1), h = (int) x.size(2), wd = (int) x.size(3);
        int k = (int) w.size(0), r = (int) w.size(2), p = r / 2;
        double[] xs = x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] ws = w.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] gs = dY.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] dx = new double[xs.length];
        double[] dw = new double[ws.length];
        double[] db = new double[k];
        for (int s = 0; s < n; s++) {
            for (int o = 0; o < k; o++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < wd; j++) {
                        double g = gs[((s * k + o) * h + i) * wd + j];
                        db[o] += g;
                        for (int ch = 0; ch < c; ch++) {
                            for (int u = 0; u < r; u++) {
                                int yy = i + u - p;
                                if (yy < 0 || yy >= h) {
                                    continue;
                                }
                                for (int v = 0; v < r; v++) {
                                    int xx = j + v - p;
                                    if (xx >= 0 && xx < wd) {
                                        int xi = ((s * c + ch) * h + yy) * wd + xx;
                                        int wi = ((o * c + ch) * r + u) * r + v;
                                        dx[xi] += g * ws[wi];
                                        dw[wi] += g * xs[xi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new INDArray[] {Nd4j.create(dx, x.shape(), 'c'), Nd4j.create(dw, w.shape(), 'c'),
            Nd4j.create(db, new long[] {k}, 'c')};
    }
}
