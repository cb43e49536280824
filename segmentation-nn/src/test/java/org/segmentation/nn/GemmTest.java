package org.segmentation.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GemmTest {
    /**
     * float32 products of K ≤ 300 terms: each term rounds by 2^-24 relative and the sum accumulates at most K such
     * errors, so |error| ≤ K·6e-8·Σ|a||b|; 1e-5 of Σ|a||b| is a bound with margin for K ≤ 160, and BLAS's blocked
     * sums do far better in practice. A wrong offset, stride or transpose gives errors of order 1.
     */
    private static final double FLOAT_TOL = 1e-5;

    /** c = α·op(a)·op(b) + β·c0 in double, from the definition. */
    private static double[][] naive(INDArray a, INDArray b, INDArray c0, boolean ta, boolean tb, double alpha,
            double beta, double[][] scale) {
        int m = (int) c0.size(0), n = (int) c0.size(1), k = (int) (ta ? a.size(0) : a.size(1));
        double[][] c = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double x = ta ? a.getDouble(p, i) : a.getDouble(i, p);
                    double y = tb ? b.getDouble(j, p) : b.getDouble(p, j);
                    s += x * y;
                    abs += Math.abs(x * y);
                }
                c[i][j] = alpha * s + beta * c0.getDouble(i, j);
                scale[i][j] = Math.abs(alpha) * abs + Math.abs(beta * c0.getDouble(i, j)) + 1e-30;
            }
        }
        return c;
    }

    private static void check(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, double alpha,
            double beta, double tol) {
        int m = (int) c.size(0), n = (int) c.size(1);
        double[][] scale = new double[m][n];
        double[][] want = naive(a, b, c, ta, tb, alpha, beta, scale);
        Gemm.gemm(a, b, c, ta, tb, alpha, beta);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                assertEquals(want[i][j], c.getDouble(i, j), tol * scale[i][j], "c[" + i + "," + j + "]");
            }
        }
    }

    @Test
    void productsOfEveryTransposeMatchTheDefinition() {
        Nd4j.getRandom().setSeed(3);
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            double tol = type == DataType.FLOAT ? FLOAT_TOL : 1e-12;
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    int m = 7, n = 5, k = 9;
                    INDArray a = Nd4j.randn(type, ta ? k : m, ta ? m : k);
                    INDArray b = Nd4j.randn(type, tb ? n : k, tb ? k : n);
                    check(a, b, Nd4j.randn(type, m, n), ta, tb, 1.5, 0.5, tol);
                    check(a, b, Nd4j.randn(type, m, n), ta, tb, 1.0, 0.0, tol);
                }
            }
        }
    }

    @Test
    void viewsWithOffsetsAndRowStridesAreReadAndWrittenInPlace() {
        Nd4j.getRandom().setSeed(4);
        INDArray a3 = Nd4j.randn(DataType.FLOAT, 3, 6, 8);
        INDArray b3 = Nd4j.randn(DataType.FLOAT, 4, 8, 10);
        INDArray c3 = Nd4j.randn(DataType.FLOAT, 2, 6, 12);
        INDArray before = c3.dup();
        INDArray a = a3.get(point(2), all(), all());                      // offset 96
        INDArray b = b3.get(point(1), all(), interval(2, 9));             // offset, row stride 10 > 7 columns
        INDArray c = c3.get(point(1), all(), interval(3, 10));            // the output is a strided view too
        check(a, b, c, false, false, 1.0, 1.0, FLOAT_TOL);
        // nothing outside the view was written
        assertEquals(before.get(point(0), all(), all()), c3.get(point(0), all(), all()));
        assertEquals(before.get(point(1), all(), interval(0, 3)), c3.get(point(1), all(), interval(0, 3)));
        assertEquals(before.get(point(1), all(), interval(10, 12)), c3.get(point(1), all(), interval(10, 12)));
    }

    @Test
    void viewsOfViewsAreAddressedFromTheirFirstBuffer() {
        // the direct path computes an operand's address from data().address() and offset(): a view cut from a view
        // must land on the same elements as its copy
        Nd4j.getRandom().setSeed(7);
        INDArray a4 = Nd4j.randn(DataType.FLOAT, 2, 3, 9, 8);
        INDArray b3 = Nd4j.randn(DataType.FLOAT, 3, 8, 10);
        INDArray c3 = Nd4j.randn(DataType.FLOAT, 3, 7, 10);
        INDArray a = a4.get(point(1), all(), all(), all()).get(point(2), interval(2, 9), all());   // (7,8)
        INDArray b = b3.get(point(2), all(), all()).get(interval(0, 8), interval(1, 10));         // (8,9)
        INDArray c = c3.get(point(1), all(), all()).get(all(), interval(1, 10));                  // (7,9)
        INDArray expected = c.dup().addi(a.dup().mmul(b.dup()));
        Gemm.gemm(a, b, c, false, false, 1.0, 1.0);
        assertEquals(0, expected.sub(c).amaxNumber().doubleValue(), 1e-4);
    }

    @Test
    void largeProductsSplitOverThreadsAgreeWithOneThread() {
        Nd4j.getRandom().setSeed(5);
        for (int[] mnk : new int[][] {{300, 40, 200}, {40, 300, 200}}) {   // split rows, then columns
            INDArray a = Nd4j.randn(DataType.FLOAT, mnk[0], mnk[2]);
            INDArray b = Nd4j.randn(DataType.FLOAT, mnk[1], mnk[2]);
            INDArray c0 = Nd4j.randn(DataType.FLOAT, mnk[0], mnk[1]);
            INDArray split = c0.dup(), one = c0.dup();
            ParallelRanges.withThreads(3, () -> Gemm.gemm(a, b, split, false, true, 1.0, 1.0));
            ParallelRanges.withThreads(1, () -> Gemm.gemm(a, b, one, false, true, 1.0, 1.0));
            // each element is the same sum in the same order whichever thread computes its row or column
            assertEquals(one, split);
            check(a, b, c0, false, true, 1.0, 1.0, FLOAT_TOL);
        }
    }

    @Test
    void sgemmAddressesBlocksInsideFlatBuffers() {
        Nd4j.getRandom().setSeed(6);
        INDArray flatA = Nd4j.randn(DataType.FLOAT, 1, 100).reshape(100);
        INDArray flatB = Nd4j.randn(DataType.FLOAT, 1, 100).reshape(100);
        INDArray flatC = Nd4j.zeros(DataType.FLOAT, 100);
        // A (3×4) at 10 with lda 5, B (4×2) at 50 with ldb 3, C (3×2) at 20 with ldc 4
        Gemm.sgemm(false, false, 3, 2, 4, 2f, flatA, 10, 5, flatB, 50, 3, 0f, flatC, 20, 4);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 2; j++) {
                double s = 0;
                for (int p = 0; p < 4; p++) {
                    s += flatA.getDouble(10 + i * 5 + p) * flatB.getDouble(50 + p * 3 + j);
                }
                assertEquals(2 * s, flatC.getDouble(20 + i * 4 + j), 1e-5 * (Math.abs(s) + 1));
            }
        }
        assertEquals(0.0, flatC.get(interval(0, 20)).norm1Number().doubleValue());
    }

    @Test
    void offsetProductsSplitOverThreadsMatchTheDefinitionAndOneThread() {
        // blocks inside flat buffers (offsets, leading dimensions wider than the block), large enough to be cut into
        // parts: rows when M ≥ N, columns otherwise, every transpose; float64 takes ND4J's path on views
        Nd4j.getRandom().setSeed(8);
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            double tol = type == DataType.FLOAT ? FLOAT_TOL : 1e-12;
            for (int[] mnk : new int[][] {{300, 40, 200}, {40, 300, 200}}) {
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        int m = mnk[0], n = mnk[1], k = mnk[2];
                        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
                        int lda = aCols + 3, ldb = bCols + 5, ldc = n + 2;
                        long aOff = 11, bOff = 7, cOff = 13;
                        INDArray flatA = Nd4j.randn(type, 1, aOff + (long) aRows * lda).reshape(-1);
                        INDArray flatB = Nd4j.randn(type, 1, bOff + (long) bRows * ldb).reshape(-1);
                        INDArray flatC = Nd4j.randn(type, 1, cOff + (long) m * ldc + 4).reshape(-1);
                        INDArray a = block(flatA, aOff, aRows, aCols, lda);
                        INDArray b = block(flatB, bOff, bRows, bCols, ldb);
                        INDArray c0 = block(flatC, cOff, m, n, ldc).dup();
                        double[][] scale = new double[m][n];
                        double[][] want = naive(a, b, c0, ta, tb, 1.5, 0.5, scale);
                        INDArray before = flatC.dup(), one = flatC.dup();
                        ParallelRanges.withThreads(3, () -> Gemm.gemm(ta, tb, m, n, k, 1.5, flatA, aOff, lda, flatB,
                                bOff, ldb, 0.5, flatC, cOff, ldc));
                        ParallelRanges.withThreads(1, () -> Gemm.gemm(ta, tb, m, n, k, 1.5, flatA, aOff, lda, flatB,
                                bOff, ldb, 0.5, one, cOff, ldc));
                        assertEquals(one, flatC, "the cut follows the cores, not the thread limit");
                        INDArray c = block(flatC, cOff, m, n, ldc);
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                assertEquals(want[i][j], c.getDouble(i, j), tol * scale[i][j],
                                        type + " ta=" + ta + " tb=" + tb + " c[" + i + "," + j + "]");
                            }
                        }
                        // the gaps between C's rows and the scalars around it are untouched
                        INDArray written = before.dup();
                        block(written, cOff, m, n, ldc).assign(c);
                        assertEquals(written, flatC);
                    }
                }
            }
        }
    }

    /** The (rows, cols) view with row stride ld of a flat array's scalars from {@code off}. */
    private static INDArray block(INDArray flat, long off, int rows, int cols, int ld) {
        return Nd4j.create(flat.data(), new long[] {rows, cols}, new long[] {ld, 1}, flat.offset() + off, 'c');
    }

    @Test
    void amdCpusWithTheAvx512SubsetsOfSkylakeXAreRecognised() {
        String zen4 = "flags\t\t: fpu sse2 avx2 avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512_bf16";
        assertTrue(Gemm.amdWithAvx512(List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", zen4)));
        // Zen 3: AVX2 only
        assertFalse(Gemm.amdWithAvx512(List.of("vendor_id\t: AuthenticAMD", "flags\t\t: fpu sse2 avx2 fma")));
        // an Intel CPU with AVX-512: OpenBLAS knows its own cores
        assertFalse(Gemm.amdWithAvx512(List.of("vendor_id\t: GenuineIntel", zen4)));
        // one subset missing (no VL), and no flags line at all
        assertFalse(Gemm.amdWithAvx512(List.of("vendor_id\t: AuthenticAMD", zen4.replace(" avx512vl", ""))));
        assertFalse(Gemm.amdWithAvx512(List.of("vendor_id\t: AuthenticAMD")));
    }

    @Test
    void mismatchedShapesAreRefused() {
        INDArray a = Nd4j.zeros(DataType.FLOAT, 3, 4);
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.gemm(a, Nd4j.zeros(DataType.FLOAT, 5, 2), Nd4j.zeros(DataType.FLOAT, 3, 2), false, false,
                        1, 0));
    }
}
