package org.segmentation.nn;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * General matrix products of the kernels: {@code C = α·op(A)·op(B) + β·C}, op(X) = X or Xᵀ.
 *
 * <p><b>Backends.</b> On the CPU backend, float32 products call the BLAS that ND4J itself links (OpenBLAS, through
 * JavaCPP's {@code cblas_sgemm}) directly on the arrays' memory. That skips ND4J's op dispatch, which costs about
 * 30 µs per call: more than a whole 32×32×256 product (3 µs), and the Winograd convolutions make 36 products per
 * block of tiles. Every other case (another data type, another backend) runs {@link Nd4j#gemm} on views, so
 * {@code -Pcuda} runs the same code.
 *
 * <p><b>Threads.</b> On the CPU backend the BLAS is set to one thread when this class loads; the parallelism comes
 * from the callers instead: {@link #gemm} splits the larger dimension of C into parts cut for the machine's cores
 * and runs them on up to {@link ParallelRanges#threads()} Java threads (so its result does not depend on the
 * caller's thread limit), and the Winograd kernels run one single-threaded product per block of tiles on each thread. So two
 * products on two threads (two Spark tasks, two predictions) each get one core, instead of each waking a BLAS
 * thread per core. ND4J's own {@code mmul} shares this BLAS and therefore also runs on one thread once this class
 * has loaded.
 */
public final class Gemm {
    private static final boolean DIRECT = Scalars.hostMemory();
    /** Below this many multiply-adds per part, splitting a product over threads costs more than it saves. */
    private static final long MIN_PART = 1L << 21;
    /** Each thread's three reusable pointers (A, B, C) for {@link #cblas}; declared before the warm-up uses them. */
    private static final ThreadLocal<Address[]> ADDRESSES =
            ThreadLocal.withInitial(() -> new Address[] {new Address(), new Address(), new Address()});

    static {
        if (DIRECT) {
            blas_set_num_threads(1);
            warmUp();
            adviseCoreType();
        }
    }

    /**
     * Logs once, at INFO, that {@code OPENBLAS_CORETYPE=SkylakeX} would speed the products up, on an AMD CPU with
     * AVX-512 where the variable is not SkylakeX or Cooperlake: ND4J 1.0.0-M2.1's OpenBLAS (0.3.19) does not know
     * AMD Zen 4 and picked its Barcelona (SSE) kernels on a Zen 4 guest, 4x slower than its SkylakeX ones and the
     * AVX2 (Haswell) ones 1.8x slower (README, "Backends"). A process cannot set its own environment before the
     * native library has loaded, so this only advises.
     */
    private static void adviseCoreType() {
        String set = System.getenv("OPENBLAS_CORETYPE");
        if (set != null && (set.equalsIgnoreCase("SkylakeX") || set.equalsIgnoreCase("Cooperlake"))) {
            return;
        }
        try {
            if (amdWithAvx512(Files.readAllLines(Path.of("/proc/cpuinfo")))) {
                Logger log = LoggerFactory.getLogger(Gemm.class);
                log.info("AMD CPU with AVX-512 and OPENBLAS_CORETYPE={}: set OPENBLAS_CORETYPE=SkylakeX in the"
                        + " environment for OpenBLAS's AVX-512 kernels, 1.8x faster than its AVX2 ones here",
                        set == null ? "(unset)" : set);
            }
        } catch (IOException | RuntimeException e) {
            // no /proc/cpuinfo (not Linux): nothing to advise
        }
    }

    /**
     * Whether /proc/cpuinfo's lines describe an AMD CPU with the AVX-512 subsets of OpenBLAS's SkylakeX kernels
     * (F, CD, BW, DQ, VL), judged by the first processor's vendor and flags.
     */
    static boolean amdWithAvx512(List<String> cpuinfo) {
        String vendor = field(cpuinfo, "vendor_id");
        String flags = field(cpuinfo, "flags");
        if (!"AuthenticAMD".equals(vendor) || flags == null) {
            return false;
        }
        Set<String> have = new HashSet<>(Arrays.asList(flags.trim().split("\\s+")));
        return have.containsAll(List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"));
    }

    /** The value of the first "name : value" line of that name, or null. */
    private static String field(List<String> lines, String name) {
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private Gemm() {
    }

    /**
     * One product (512, 64) · (64, 512) (17 M multiply-adds, about 2 ms), made once per process before any other.
     * On the AMD EPYC guests of 2026-12 (OpenBLAS 0.3.19 of ND4J 1.0.0-M2.1, kernel {@code sgemm_kernel_ZEN}),
     * OpenBLAS ran the products of a fresh process 2.5-3.5x slower (a deep Winograd layer's 36 (512, 512) · (512, 64)
     * products at 7-9 instead of 23-26 GFLOP/s on one thread) until the process had made one product whose C had
     * some 384 or more columns, or rows; made on any thread, it sped up every thread. Not every large product does
     * it ((512, 512) · (512, 256) did not). Why is not known. {@code BlasWarmupProbe} in segmentation-bench measures
     * it in fresh processes.
     */
    private static void warmUp() {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray a = Nd4j.zeros(DataType.FLOAT, 512, 64);
            INDArray b = Nd4j.zeros(DataType.FLOAT, 64, 512);
            INDArray c = Nd4j.zeros(DataType.FLOAT, 512, 512);
            cblas(false, false, 512, 512, 64, 1f, a, 0, 64, b, 0, 512, 0f, c, 0, 512);
            a.close();
            b.close();
            c.close();
        }
    }

    /**
     * c (M,N) = α·op(a)·op(b) + β·c, op(a) (M,K), op(b) (K,N), for 2-D arrays of one data type; c is modified and
     * must not share memory with a or b. Splits the larger of M and N into up to {@link ParallelRanges#THREADS}
     * parts when the product is large enough, run on up to {@link ParallelRanges#threads()} threads.
     */
    public static void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha,
            double beta) {
        long m = c.size(0), n = c.size(1), k = transA ? a.size(0) : a.size(1);
        if (a.rank() != 2 || b.rank() != 2 || c.rank() != 2 || (transA ? a.size(1) : a.size(0)) != m
                || (transB ? b.size(0) : b.size(1)) != n || (transB ? b.size(1) : b.size(0)) != k) {
            throw new IllegalArgumentException("gemm shapes do not agree: a " + Arrays.toString(a.shape())
                    + (transA ? "ᵀ" : "") + ", b " + Arrays.toString(b.shape()) + (transB ? "ᵀ" : "") + ", c "
                    + Arrays.toString(c.shape()));
        }
        if (!direct(a) || !direct(b) || !direct(c) || c.dataType() != a.dataType()
                || b.dataType() != a.dataType()) {
            Nd4j.gemm(a, b, c, transA, transB, alpha, beta);
            return;
        }
        split(transA, transB, (int) m, (int) n, (int) k, (float) alpha, a, 0, (int) a.stride(0), b, 0,
                (int) b.stride(0), (float) beta, c, 0, (int) c.stride(0));
    }

    /**
     * c = α·op(A)·op(B) + β·c for row-major matrices at offsets of flat c-contiguous buffers, laid out as in
     * {@link #sgemm}, split over the threads as {@link #gemm(INDArray, INDArray, INDArray, boolean, boolean, double,
     * double)} splits its products. Float32 host arrays go to the BLAS directly; any other data type or backend runs
     * {@link Nd4j#gemm} on views of the buffers.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, INDArray a,
            long aOff, int lda, INDArray b, long bOff, int ldb, double beta, INDArray c, long cOff, int ldc) {
        if (DIRECT && a.dataType() == DataType.FLOAT && b.dataType() == DataType.FLOAT
                && c.dataType() == DataType.FLOAT) {
            split(transA, transB, m, n, k, (float) alpha, a, aOff, lda, b, bOff, ldb, (float) beta, c, cOff, ldc);
            return;
        }
        viewGemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * The BLAS product cut along the larger of M and N into up to {@link ParallelRanges#THREADS} parts when it is
     * large enough, run on up to {@link ParallelRanges#threads()} threads.
     */
    private static void split(boolean transA, boolean transB, int m, int n, int k, float alpha, INDArray a,
            long aOff, int lda, INDArray b, long bOff, int ldb, float beta, INDArray c, long cOff, int ldc) {
        // the cut into parts follows the machine's cores, not the caller's thread limit, so the result does not
        // depend on the limit (the BLAS may round a column differently at another width); the parts then run on
        // as many threads as the limit allows
        int parts = (int) Math.max(1, Math.min(ParallelRanges.THREADS, (long) m * n * k / MIN_PART));
        boolean splitRows = m >= n;
        int count = splitRows ? m : n;
        ParallelRanges.runDynamic(count, (count + parts - 1) / parts, (from, to) -> {
            long aPart = aOff + (splitRows ? (transA ? from : (long) from * lda) : 0);
            long bPart = bOff + (splitRows ? 0 : (transB ? (long) from * ldb : from));
            long cPart = cOff + (splitRows ? (long) from * ldc : from);
            cblas(transA, transB, splitRows ? to - from : m, splitRows ? n : to - from, k, alpha, a, aPart, lda, b,
                    bPart, ldb, beta, c, cPart, ldc);
        });
    }

    /**
     * c = α·op(A)·op(B) + β·c on the calling thread only, for float32 row-major matrices stored in flat
     * c-contiguous buffers: A starts at element {@code aOff} of the array {@code a} (its first element being 0)
     * with leading dimension {@code lda}, and likewise B and C. op(A) is (M,K), op(B) (K,N), C (M,N).
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, INDArray a,
            long aOff, int lda, INDArray b, long bOff, int ldb, float beta, INDArray c, long cOff, int ldc) {
        if (DIRECT && a.dataType() == DataType.FLOAT && b.dataType() == DataType.FLOAT
                && c.dataType() == DataType.FLOAT) {
            cblas(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        viewGemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * {@link Nd4j#gemm} on views of the blocks: any data type, any backend. ND4J writes no view, so a C that is one
     * (an offset, or rows wider than N) is computed in a copy and assigned back.
     */
    private static void viewGemm(boolean transA, boolean transB, int m, int n, int k, double alpha, INDArray a,
            long aOff, int lda, INDArray b, long bOff, int ldb, double beta, INDArray c, long cOff, int ldc) {
        INDArray av = matrix(a, aOff, transA ? k : m, transA ? m : k, lda);
        INDArray bv = matrix(b, bOff, transB ? n : k, transB ? k : n, ldb);
        INDArray cv = matrix(c, cOff, m, n, ldc);
        if (!cv.isView()) {
            Nd4j.gemm(av, bv, cv, transA, transB, alpha, beta);
            return;
        }
        INDArray out = beta == 0 ? Nd4j.create(c.dataType(), m, n) : cv.dup('c');
        Nd4j.gemm(av, bv, out, transA, transB, alpha, beta);
        cv.assign(out);
    }

    /** Whether a is a float32 host matrix with unit column stride and row stride ≥ its columns: BLAS can read it. */
    private static boolean direct(INDArray a) {
        return DIRECT && a.dataType() == DataType.FLOAT && a.stride(1) == 1 && a.stride(0) >= Math.max(1, a.size(1))
                && a.stride(0) <= Integer.MAX_VALUE;
    }

    private static void cblas(boolean transA, boolean transB, int m, int n, int k, float alpha, INDArray a,
            long aOff, int lda, INDArray b, long bOff, int ldb, float beta, INDArray c, long cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        Address[] p = ADDRESSES.get();
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k,
                alpha, p[0].at(a, aOff), Math.max(1, lda), p[1].at(b, bOff), Math.max(1, ldb), beta,
                p[2].at(c, cOff), Math.max(1, ldc));
    }

    /**
     * A float pointer that is pointed anew at each call's matrix, so a product allocates nothing. Building
     * {@code new FloatPointer(a.data().addressPointer())} per operand cost about 0.3 µs, 3% of the tiny U-Net's
     * training step (5,000 products a step, of 6.5 µs each for the 16-channel layers).
     */
    static final class Address extends FloatPointer {
        /**
         * This pointer, at element {@code off} of a's view: {@code a.data().address()} is the address of the
         * buffer a view was cut from (a view's data keeps it, and its offset is the view's), and
         * {@code a.offset()} counts from it.
         */
        Address at(INDArray a, long off) {
            address = a.data().address() + Float.BYTES * (a.offset() + off);
            position = 0;
            return this;
        }
    }

    /**
     * Where a's first element lies in {@code a.data()}. A view's data() is itself a view buffer whose address
     * already includes the view's offset (and whose {@code offset()} equals the array's), so this is 0 for every
     * view ND4J makes; it is computed rather than assumed.
     */
    private static long start(INDArray a) {
        return a.offset() - a.data().offset();
    }

    /** The (rows, cols) matrix with row stride ld starting at element off of a's view. */
    private static INDArray matrix(INDArray a, long off, long rows, long cols, int ld) {
        return Nd4j.create(a.data(), new long[] {rows, cols}, new long[] {ld, 1}, start(a) + off, 'c');
    }
}
