package org.segmentation.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The scalars of a float32 or float64 {@link INDArray} in c order, read and written in place through a
 * {@link java.nio.Buffer} over its off-heap memory, for element loops that a chain of ND4J ops runs slowly (each op
 * a full pass over memory plus its call overhead, and strided copies walk element by element). A plain
 * elementwise op is no faster this way: a loop over a (8,16,64,64) ReLU gradient took as long as three ND4J ops.
 * Values pass as double whatever the array's type, so one loop serves both; float32 arrays lose nothing on the
 * way in and are rounded once on the way out. Element i is the i-th scalar in c order of the array.
 *
 * <p>Arrays of at most 2^31 − 1 scalars (a {@code java.nio} buffer's limit).
 */
public abstract class Scalars {
    /** Whether ND4J runs on the CPU, whose array memory Java's buffers can address directly. */
    private static final boolean CPU = Nd4j.getEnvironment().isCPU();

    /**
     * Whether ND4J runs on its CPU backend, where an array's memory is host memory that Java loops may read and
     * write through {@link java.nio.Buffer}s; kernels that do so are chosen only when this holds.
     */
    public static boolean hostMemory() {
        return CPU;
    }

    private Scalars() {
    }

    public abstract double get(int i);

    public abstract void set(int i, double v);

    /** Copies the scalars {@code from .. from+len-1} into {@code dst[0 .. len-1]}. */
    public abstract void get(int from, double[] dst, int len);

    /** Overwrites the scalars {@code from .. from+len-1} with {@code src[0 .. len-1]}. */
    public abstract void set(int from, double[] src, int len);

    /**
     * {@code v} += the parts' sums, element by element: {@code parts[p][i]} summed over p in part order in double, then
     * rounded once. The kernels that split a reduction (a bias gradient) into parts cut for the machine's cores add
     * them up this way, so the result does not depend on which thread ran which part.
     */
    public static void addPartSums(double[][] parts, INDArray v) {
        float[] total = new float[parts[0].length];
        for (int i = 0; i < total.length; i++) {
            double sum = 0;
            for (double[] part : parts) {
                sum += part[i];
            }
            total[i] = (float) sum;
        }
        v.addi(Nd4j.createFromArray(total));
    }

    /** {@code a} itself if it is laid out in c order without gaps, else a c-ordered copy. */
    public static INDArray contiguous(INDArray a) {
        return isContiguous(a) ? a : a.dup('c');
    }

    /**
     * The scalars of {@code a}, which must be c-contiguous (see {@link #contiguous}) and FLOAT or DOUBLE; writes
     * go to {@code a}.
     */
    public static Scalars of(INDArray a) {
        if (!isContiguous(a)) {
            throw new IllegalArgumentException("expected a c-contiguous array, got strides "
                    + java.util.Arrays.toString(a.stride()) + " for shape " + java.util.Arrays.toString(a.shape()));
        }
        if (a.length() > Integer.MAX_VALUE - a.offset()) {
            throw new IllegalArgumentException("array too large for direct access: " + a.length() + " scalars");
        }
        int offset = (int) a.offset();
        if (a.dataType() == DataType.FLOAT) {
            return new Floats(a.data().asNioFloat(), offset);
        }
        if (a.dataType() == DataType.DOUBLE) {
            return new Doubles(a.data().asNioDouble(), offset);
        }
        throw new IllegalArgumentException("expected FLOAT or DOUBLE, got " + a.dataType());
    }

    /**
     * Copies {@code rows} runs of {@code len} consecutive scalars: run r goes from c-order position
     * {@code srcStart + r·srcStride} of {@code src} to {@code dstStart + r·dstStride} of {@code dst}. Both arrays
     * must be c-contiguous and of the same type (FLOAT or DOUBLE); each run is one bulk buffer copy (a memcpy), where
     * ND4J's assign between two strided views walks element by element (a 9×(32, 34 848) copy took 55 ms). On
     * a backend other than the CPU each run is an ND4J assign between views instead.
     */
    public static void copyRuns(INDArray src, long srcStart, long srcStride, INDArray dst, long dstStart,
            long dstStride, long rows, long len) {
        if (!isContiguous(src) || !isContiguous(dst) || src.dataType() != dst.dataType()) {
            throw new IllegalArgumentException("expected two c-contiguous arrays of one type, got " + src.dataType()
                    + " " + java.util.Arrays.toString(src.stride()) + " and " + dst.dataType() + " "
                    + java.util.Arrays.toString(dst.stride()));
        }
        if (rows == 0 || len == 0) {
            return;
        }
        long srcLast = srcStart + (rows - 1) * srcStride + len;
        long dstLast = dstStart + (rows - 1) * dstStride + len;
        if (srcStart < 0 || dstStart < 0 || srcLast > src.length() || dstLast > dst.length()) {
            throw new IndexOutOfBoundsException("runs outside the arrays: source " + srcStart + ".." + srcLast + " of "
                    + src.length() + ", destination " + dstStart + ".." + dstLast + " of " + dst.length());
        }
        if (!CPU) {
            // other backends: the same runs as ND4J assigns between views of the flat arrays
            INDArray s = src.reshape(src.length());
            INDArray d = dst.reshape(dst.length());
            for (long r = 0; r < rows; r++) {
                long so = srcStart + r * srcStride, doff = dstStart + r * dstStride;
                d.get(NDArrayIndex.interval(doff, doff + len)).assign(s.get(NDArrayIndex.interval(so, so + len)));
            }
            return;
        }
        int so = Math.toIntExact(src.offset() + srcStart), doff = Math.toIntExact(dst.offset() + dstStart);
        int n = (int) len;
        if (src.dataType() == DataType.FLOAT) {
            FloatBuffer s = src.data().asNioFloat();
            FloatBuffer d = dst.data().asNioFloat();
            for (long r = 0; r < rows; r++) {
                d.put(doff + (int) (r * dstStride), s, so + (int) (r * srcStride), n);
            }
        } else if (src.dataType() == DataType.DOUBLE) {
            DoubleBuffer s = src.data().asNioDouble();
            DoubleBuffer d = dst.data().asNioDouble();
            for (long r = 0; r < rows; r++) {
                d.put(doff + (int) (r * dstStride), s, so + (int) (r * srcStride), n);
            }
        } else {
            throw new IllegalArgumentException("expected FLOAT or DOUBLE, got " + src.dataType());
        }
    }

    /** Whether {@code a} is laid out in c order without gaps: every extent above 1 has the c-order stride. */
    public static boolean isContiguous(INDArray a) {
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    private static final class Floats extends Scalars {
        /** 16 KB per thread: a bulk copy's unit, small enough to stay in L1 between the copy and the conversion. */
        private static final ThreadLocal<float[]> STAGING = ThreadLocal.withInitial(() -> new float[4096]);

        private final FloatBuffer b;
        private final int offset;

        Floats(FloatBuffer b, int offset) {
            this.b = b;
            this.offset = offset;
        }

        @Override
        public double get(int i) {
            return b.get(offset + i);
        }

        @Override
        public void set(int i, double v) {
            b.put(offset + i, (float) v);
        }

        /** Bulk copies (memcpy) through this thread's staging array, widened or rounded in a loop the JIT vectorises. */
        @Override
        public void get(int from, double[] dst, int len) {
            float[] s = STAGING.get();
            for (int i = 0; i < len; i += s.length) {
                int n = Math.min(s.length, len - i);
                b.get(offset + from + i, s, 0, n);
                for (int j = 0; j < n; j++) {
                    dst[i + j] = s[j];
                }
            }
        }

        @Override
        public void set(int from, double[] src, int len) {
            float[] s = STAGING.get();
            for (int i = 0; i < len; i += s.length) {
                int n = Math.min(s.length, len - i);
                for (int j = 0; j < n; j++) {
                    s[j] = (float) src[i + j];
                }
                b.put(offset + from + i, s, 0, n);
            }
        }
    }

    private static final class Doubles extends Scalars {
        private final DoubleBuffer b;
        private final int offset;

        Doubles(DoubleBuffer b, int offset) {
            this.b = b;
            this.offset = offset;
        }

        @Override
        public double get(int i) {
            return b.get(offset + i);
        }

        @Override
        public void set(int i, double v) {
            b.put(offset + i, v);
        }

        @Override
        public void get(int from, double[] dst, int len) {
            b.get(offset + from, dst, 0, len);
        }

        @Override
        public void set(int from, double[] src, int len) {
            b.put(offset + from, src, 0, len);
        }
    }
}
