package org.segmentation.nn;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Argument checks shared by the layers, losses and optimizers. Every failure is an
 * {@link IllegalArgumentException} whose message names the expected and the actual shape (or data type).
 */
public final class Shapes {
    /** Wildcard for {@link #require}: any extent is accepted in that dimension. */
    public static final long ANY = -1;

    private Shapes() {
    }

    /**
     * Checks that {@code a} has the given rank and extents; {@link #ANY} matches every extent.
     *
     * @param what a name for the tensor used in the message, e.g. {@code "Conv2d input x"}
     * @param layout the axis names shown in the message, e.g. {@code "(N,C,H,W)"}
     */
    public static void require(String what, String layout, INDArray a, long... expected) {
        if (a == null) {
            throw new IllegalArgumentException(what + ": expected " + layout + " = " + show(expected) + ", got null");
        }
        long[] actual = a.shape();
        boolean ok = actual.length == expected.length;
        for (int i = 0; ok && i < expected.length; i++) {
            ok = expected[i] == ANY || expected[i] == actual[i];
        }
        if (!ok) {
            throw new IllegalArgumentException(what + ": expected shape " + layout + " = " + show(expected)
                    + ", got " + Arrays.toString(actual));
        }
    }

    /** Checks the data type of {@code a}. */
    public static void requireType(String what, INDArray a, DataType expected) {
        if (a.dataType() != expected) {
            throw new IllegalArgumentException(what + ": expected data type " + expected + ", got " + a.dataType()
                    + " (shape " + Arrays.toString(a.shape()) + ")");
        }
    }

    /** Checks that two tensors have the same shape. */
    public static void requireSameShape(String what, INDArray expectedLike, INDArray actual) {
        if (!Arrays.equals(expectedLike.shape(), actual.shape())) {
            throw new IllegalArgumentException(what + ": expected shape " + Arrays.toString(expectedLike.shape())
                    + ", got " + Arrays.toString(actual.shape()));
        }
    }

    /** Checks that {@code dtype} is one of the two floating types the layers support. */
    public static DataType requireFloating(DataType dtype) {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("expected data type FLOAT or DOUBLE, got " + dtype);
        }
        return dtype;
    }

    private static String show(long[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(shape[i] == ANY ? "*" : Long.toString(shape[i]));
        }
        return sb.append(']').toString();
    }
}
