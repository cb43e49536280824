package org.segmentation.nn.testutil;

import java.util.Random;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Central finite differences in double precision. With step h = 1e-6 the truncation error is O(h²) ≈ 1e-12
 * times the third derivative and the rounding error about 1e-16·|L|/h ≈ 1e-10·|L|, so for the O(1) losses used
 * here an analytic gradient that is right agrees to better than 1e-7 of the gradient's scale, while any real
 * mistake (a missing term, a wrong index) shows up at 1e-2 or more. Tests use {@link #TOLERANCE} = 1e-6.
 */
public final class GradCheck {
    public static final double H = 1e-6;
    public static final double TOLERANCE = 1e-6;
    /** Tensors longer than this are checked at this many seeded random positions plus the first and last. */
    public static final int MAX_POSITIONS = 48;

    private GradCheck() {
    }

    /**
     * The largest |analytic − numeric| over the elements of {@code x} (all of them up to MAX_POSITIONS + 2), divided by the largest |numeric| (or 1e-8):
     * the error relative to the gradient's scale. {@code loss} is evaluated with x perturbed in place and must
     * read x afresh each time.
     */
    public static double maxRelativeError(DoubleSupplier loss, INDArray x, INDArray analytic) {
        if (x.dataType() != DataType.DOUBLE) {
            throw new IllegalArgumentException("gradient checks run in DOUBLE, got " + x.dataType());
        }
        long n = x.length();
        INDArray flatX = x.reshape(n);
        INDArray flatA = analytic.reshape(n);
        double maxDiff = 0;
        double scale = 1e-8;
        long[] positions = positions(n);
        for (long i : positions) {
            double old = flatX.getDouble(i);
            flatX.putScalar(i, old + H);
            double plus = loss.getAsDouble();
            flatX.putScalar(i, old - H);
            double minus = loss.getAsDouble();
            flatX.putScalar(i, old);
            double numeric = (plus - minus) / (2 * H);
            maxDiff = Math.max(maxDiff, Math.abs(numeric - flatA.getDouble(i)));
            scale = Math.max(scale, Math.abs(numeric));
        }
        return maxDiff / scale;
    }

    private static long[] positions(long n) {
        if (n <= MAX_POSITIONS + 2) {
            return java.util.stream.LongStream.range(0, n).toArray();
        }
        Random rng = new Random(n);
        long[] p = new long[MAX_POSITIONS + 2];
        p[0] = 0;
        p[1] = n - 1;
        for (int i = 2; i < p.length; i++) {
            p[i] = (long) (rng.nextDouble() * n);
        }
        return p;
    }

    /** Standard normal values, c order, as the given type. */
    public static INDArray gaussian(Random rng, DataType dt, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
        }
        return Nd4j.create(v, shape, 'c').castTo(dt);
    }

    /** Σ y·r, the scalar through which a layer's output gradient becomes r. */
    public static double dot(INDArray y, INDArray r) {
        return y.mul(r).sumNumber().doubleValue();
    }
}
