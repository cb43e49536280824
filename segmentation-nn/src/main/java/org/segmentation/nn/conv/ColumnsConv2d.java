package org.segmentation.nn.conv;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Gemm;
import org.segmentation.nn.Memory;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.Scalars;

/**
 * k×k stride-1 "same" convolution (k odd) as matrix products with <b>bounded columns</b>: the input is unfolded
 * ("im2col") a chunk of rows at a time into a (C·k² + 1, L) matrix of about {@link #CHUNK_PIXELS} pixels, whose
 * last row is ones, so that the bias rides in the same product. Nothing of the size of a layer is built or kept:
 * backward-weights unfolds the input again from x.
 *
 * <ul>
 *   <li><b>Forward:</b> per chunk, y (K, L) = [W | b] (K, C·k² + 1) · columns, written straight into y's rows
 *       (a ReLU, if asked, over the chunk while it is in cache).</li>
 *   <li><b>Backward-data:</b> the forward of dY with the filters rotated by 180° and their channel axes swapped,
 *       no bias.</li>
 *   <li><b>Backward-weights:</b> dW (K, C·k²) += dY (K, L) · columnsᵀ over the chunks (the row of ones left out),
 *       and dB += dY summed over its pixels in double, as {@link WinogradConv2d} does. Before a batch norm the bias
 *       gradient is a sum of terms that cancel to about zero; as the product's last column (float32) its rounding
 *       noise was about 1e-5 of a phased dY's scale, which Adam turns into steps of the learning rate, and U-Nets
 *       trained so on the composites ended 0.03 mIoU below PyTorch (bench README). dY may be in the
 *       {@link PhasedLayout}: the columns are then unfolded in the same order of the pixels of each row, since a sum
 *       over pixels does not care about their order.</li>
 * </ul>
 *
 * <p><b>Where it wins.</b> Winograd F(4×4, 3×3) transforms every channel of both operands; when one side is thin
 * (the first layer's 1 to 3 input channels) its 36 products are (K, tiles) · (tiles, 3), thin for the BLAS, and
 * the transform of dY's K channels dominates. Here that layer's backward-weights is one product of shape
 * (K, L) · (L, 27) per chunk. {@link AutoConv2d} takes it there.
 *
 * <p><b>Determinism.</b> The chunks are cut by rows and grouped into at most {@link ParallelRanges#THREADS} fixed
 * groups, each with its own accumulator, summed in group order: the bits do not depend on the caller's thread limit
 * nor on timing.
 *
 * <p><b>Backends.</b> Java loops over the ND4J buffers' memory and {@link Gemm#sgemm}: the CPU backend and float32
 * only ({@link #supports}); {@link AutoConv2d} uses the ND4J-only {@link ShiftedGemmConv2d} elsewhere.
 */
public final class ColumnsConv2d extends LayoutAwareConv2d {
    /** Pixels per chunk, about: for 3 input channels the columns (28, L) take 458 KB, within a core's L2. */
    static final int CHUNK_PIXELS = 4096;

    /**
     * Groups of chunks per core in backward-weights, taken dynamically. With one group per core, a thread that starts
     * late or loses its core for a while holds up the whole call; with several, the other threads take more groups.
     */
    static final int GROUPS_PER_THREAD = 4;

    private final int chunkPixels;

    public ColumnsConv2d() {
        this(CHUNK_PIXELS);
    }

    /** For tests: chunks of about {@code chunkPixels} pixels (whole rows, at least one). */
    ColumnsConv2d(int chunkPixels) {
        if (chunkPixels < 1) {
            throw new IllegalArgumentException("chunkPixels must be positive, got " + chunkPixels);
        }
        this.chunkPixels = chunkPixels;
    }

    /** Whether this algorithm computes a convolution with these weights (K,C,k,k): float32, k odd, CPU backend. */
    public static boolean supports(INDArray w) {
        return w.dataType() == DataType.FLOAT && w.rank() == 4 && w.size(2) == w.size(3) && w.size(2) % 2 == 1
                && Scalars.hostMemory();
    }

    /**
     * Writes a phased y directly: the columns are then unfolded in the phased order of each row's pixels, so the
     * products come out in y's order (a phased x through a standard copy).
     */
    @Override
    public void forward(INDArray x, boolean xPhased, INDArray w, INDArray b, INDArray y, boolean yPhased,
            boolean relu) {
        require(w, x, y);
        product(x, xPhased, withBias(w, b, false), (int) w.size(2), y, yPhased, relu);
    }

    /** Writes a phased dX directly, as the forward writes a phased y (a phased dY through a standard copy). */
    @Override
    public void backwardData(INDArray dY, boolean dYPhased, INDArray w, INDArray dX, boolean dXPhased) {
        require(w, dY, dX);
        product(dY, dYPhased, withBias(w, null, true), (int) w.size(2), dX, dXPhased, false);
    }

    /** Reads a phased dY directly (a phased x through a standard copy). */
    @Override
    public void backwardWeights(INDArray x, boolean xPhased, INDArray dY, boolean dYPhased, INDArray dW,
            INDArray dB) {
        require(dW, x, dY);
        if (dYPhased) {
            PhasedLayout.require("ColumnsConv2d", dY);
        }
        INDArray xs = xPhased ? PhasedLayout.standard(x) : Scalars.contiguous(x);
        INDArray dYc = Scalars.contiguous(dY);
        int n = (int) xs.size(0), c = (int) xs.size(1), h = (int) xs.size(2), wd = (int) xs.size(3);
        int k = (int) dYc.size(1), ks = (int) dW.size(2), q1 = c * ks * ks + 1;
        int rows = rowsPerChunk(wd, h), chunks = n * ((h + rows - 1) / rows);
        // consecutive chunks form groups, each with its own partial sums, added in group order at the end: the
        // bits depend on the machine's cores (the number of groups), not on which thread ran which group; several
        // groups per thread let a thread that runs faster (a late start, a busy core) take more of them
        int groups = Math.min(chunks, GROUPS_PER_THREAD * ParallelRanges.THREADS);
        int len = rows * wd, parts = ParallelRanges.dynamicParts(groups, 1), q = q1 - 1;
        ConvScratch s = ConvScratch.get();
        INDArray cols = s.slices(ConvScratch.INPUT, (long) q1 * len, parts, groups);
        INDArray acc = s.buffer(ConvScratch.ACCUMULATOR, (long) groups * k * q);
        FloatBuffer xb = xs.data().asNioFloat(), colsB = cols.data().asNioFloat(), dYb = dYc.data().asNioFloat();
        int xOff = (int) xs.offset(), colsOff = (int) cols.offset(), dYOff = (int) dYc.offset();
        long hw = (long) h * wd;
        double[][] biasSums = new double[groups][k];
        ParallelRanges.runDynamicParts(groups, 1, (part, from, to) -> {
            Unfolder u = new Unfolder(xb, xOff, c, h, wd, ks, dYPhased, colsB, colsOff + part * q1 * len, rows);
            float[] row = new float[len];
            for (int g = from; g < to; g++) {
                int first = (int) ((long) chunks * g / groups), last = (int) ((long) chunks * (g + 1) / groups);
                for (int ch = first; ch < last; ch++) {
                    int l = u.unfold(ch);
                    long at = u.offsetIn(k);
                    // acc[g] (K, Q) += dY[sample, :, y0.., :] (K, l) · columnsᵀ (l, Q), the row of ones left out
                    Gemm.sgemm(false, true, k, q, l, 1f, dYc, at, (int) hw, cols, (long) part * q1 * len, len,
                            ch == first ? 0f : 1f, acc, (long) g * k * q, q);
                    // the bias gradient in double, as Winograd's: before a batch norm it is a sum of terms that
                    // cancel to about zero, and a float sum's rounding, which Adam scales up to full steps, would
                    // walk the bias about. Four accumulators: one chain of dependent double adds ran at 2.8 ns a
                    // scalar, four at 1.2 (a third of the first layer's backward-weights went to this sum)
                    for (int ko = 0; ko < k; ko++) {
                        dYb.get(dYOff + (int) (at + ko * hw), row, 0, l);
                        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                        int i = 0;
                        for (; i + 4 <= l; i += 4) {
                            s0 += row[i];
                            s1 += row[i + 1];
                            s2 += row[i + 2];
                            s3 += row[i + 3];
                        }
                        for (; i < l; i++) {
                            s0 += row[i];
                        }
                        biasSums[g][ko] += (s0 + s1) + (s2 + s3);
                    }
                }
            }
        });
        float[] sums = new float[groups * k * q];
        acc.data().asNioFloat().get((int) acc.offset(), sums, 0, sums.length);
        float[] gw = new float[k * q];
        for (int ko = 0; ko < k; ko++) {
            for (int j = 0; j < q; j++) {
                float total = 0f;
                for (int g = 0; g < groups; g++) {
                    total += sums[(g * k + ko) * q + j];
                }
                gw[ko * q + j] = total;
            }
        }
        dW.addi(Nd4j.createFromArray(gw).reshape(dW.shape()));
        Scalars.addPartSums(biasSums, dB);
        if (xPhased) {
            Memory.free(xs);
        }
    }

    private static void require(INDArray w, INDArray... tensors) {
        if (!supports(w)) {
            throw new IllegalArgumentException("ColumnsConv2d computes float32 convolutions with odd square kernels on"
                    + " the CPU backend, got weights " + w.dataType() + " " + Arrays.toString(w.shape()));
        }
        for (INDArray t : tensors) {
            if (t.length() >= Integer.MAX_VALUE) {
                throw new IllegalArgumentException("ColumnsConv2d indexes tensors of fewer than 2^31 scalars, got shape "
                        + Arrays.toString(t.shape()));
            }
        }
    }

    /** Rows per chunk: about {@link #chunkPixels} pixels, at least one row, at most the image. */
    private int rowsPerChunk(int wd, int h) {
        return Math.max(1, Math.min(h, chunkPixels / Math.max(1, wd)));
    }

    /**
     * The (Co, Ci·k² + 1) matrix [W | b] of the product: w (K,C,k,k) as (K, C·k²) and the bias as the last column
     * (zeros without one); or, {@code backward}, the filters of backward-data: (C, K·k²), entry (c, (k, i, j)) being
     * w[k, c, k−1−i, k−1−j], and a zero last column.
     */
    private static INDArray withBias(INDArray w, INDArray b, boolean backward) {
        int kk = (int) w.size(0), c = (int) w.size(1), ks = (int) w.size(2), taps = ks * ks;
        float[] wv = Scalars.contiguous(w).reshape(w.length()).toFloatVector();
        int rows = backward ? c : kk, q = (backward ? kk : c) * taps;
        float[] m = new float[rows * (q + 1)];
        for (int ko = 0; ko < kk; ko++) {
            for (int ci = 0; ci < c; ci++) {
                int from = (ko * c + ci) * taps;
                if (backward) {
                    for (int t = 0; t < taps; t++) {
                        m[ci * (q + 1) + ko * taps + t] = wv[from + taps - 1 - t];
                    }
                } else {
                    System.arraycopy(wv, from, m, ko * (q + 1) + ci * taps, taps);
                }
            }
        }
        if (b != null) {
            float[] bv = Scalars.contiguous(b).reshape(b.length()).toFloatVector();
            for (int ko = 0; ko < kk; ko++) {
                m[ko * (q + 1) + q] = bv[ko];
            }
        }
        return Nd4j.createFromArray(m).reshape(rows, q + 1);
    }

    /**
     * {@link #product} with each side in either layout: a phased out is written directly, a phased in goes through a
     * standard copy, freed afterwards.
     */
    private void product(INDArray in, boolean inPhased, INDArray wb, int ks, INDArray out, boolean outPhased,
            boolean relu) {
        if (outPhased) {
            PhasedLayout.require("ColumnsConv2d", out);
        }
        INDArray ins = inPhased ? PhasedLayout.standard(in) : in;
        product(ins, wb, ks, out, outPhased, relu);
        if (inPhased) {
            Memory.free(ins);
        }
    }

    /**
     * out (N,Co,H,W) = [W | b] · the columns of in (N,Ci,H,W), standard or phased, chunk by chunk over the
     * calling thread and its helpers; each chunk's output depends on the chunk alone.
     */
    private void product(INDArray in, INDArray wb, int ks, INDArray out, boolean outPhased, boolean relu) {
        INDArray inC = Scalars.contiguous(in);
        INDArray outC = Scalars.contiguous(out);
        int n = (int) inC.size(0), ci = (int) inC.size(1), h = (int) inC.size(2), wd = (int) inC.size(3);
        int co = (int) wb.size(0), q1 = (int) wb.size(1);
        int rows = rowsPerChunk(wd, h), chunks = n * ((h + rows - 1) / rows);
        int len = rows * wd, grain = Math.max(1, chunks / (8 * ParallelRanges.threads()));
        int parts = ParallelRanges.dynamicParts(chunks, grain);
        INDArray cols = ConvScratch.get().slices(ConvScratch.INPUT, (long) q1 * len, parts, chunks);
        FloatBuffer inB = inC.data().asNioFloat(), colsB = cols.data().asNioFloat(), outB = outC.data().asNioFloat();
        int inOff = (int) inC.offset(), colsOff = (int) cols.offset(), outOff = (int) outC.offset();
        long hw = (long) h * wd;
        ParallelRanges.runDynamicParts(chunks, grain, (part, from, to) -> {
            Unfolder u = new Unfolder(inB, inOff, ci, h, wd, ks, outPhased, colsB, colsOff + part * q1 * len, rows);
            float[] row = relu ? new float[len] : null;
            for (int ch = from; ch < to; ch++) {
                int l = u.unfold(ch);
                long at = u.offsetIn(co);
                Gemm.sgemm(false, false, co, l, q1, 1f, wb, 0, q1, cols, (long) part * q1 * len, len, 0f, outC, at,
                        (int) hw);
                if (relu) {
                    for (int o = 0; o < co; o++) {
                        int start = outOff + (int) (at + o * hw);
                        outB.get(start, row, 0, l);
                        for (int i = 0; i < l; i++) {
                            row[i] = Math.max(row[i], 0f);
                        }
                        outB.put(start, row, 0, l);
                    }
                }
            }
        });
        if (outC != out) {
            out.assign(outC);
        }
    }

    /**
     * Unfolds chunks of one tensor into one participant's columns: row (c, i, j) of the columns holds, for every
     * pixel (y, x) of the chunk, in[c, y + i − k/2, x + j − k/2] (zero outside the image); the last row is ones.
     * Pixels in row-major order, or, {@code phased}, each row's pixels in the {@link PhasedLayout}'s order.
     */
    private static final class Unfolder {
        private final FloatBuffer in;
        private final int inOff;
        private final int c;
        private final int h;
        private final int wd;
        private final int ks;
        private final boolean phased;
        private final FloatBuffer cols;
        private final int colsOff;
        private final int rows;
        private final int perSample;
        private final int len;
        private final float[] row;
        private final float[] src;
        private int onesFor = -1;
        private int sample;
        private int y0;

        Unfolder(FloatBuffer in, int inOff, int c, int h, int wd, int ks, boolean phased, FloatBuffer cols,
                int colsOff, int rows) {
            this.in = in;
            this.inOff = inOff;
            this.c = c;
            this.h = h;
            this.wd = wd;
            this.ks = ks;
            this.phased = phased;
            this.cols = cols;
            this.colsOff = colsOff;
            this.rows = rows;
            this.perSample = (h + rows - 1) / rows;
            this.len = rows * wd;
            this.row = new float[len];
            this.src = new float[wd];
        }

        /**
         * The columns of chunk {@code chunk}: rows y0..y0+nr−1 of a sample, {@code rows} rows at a time, the samples
         * one after another; returns its pixels, nr·W.
         */
        int unfold(int chunk) {
            sample = chunk / perSample;
            y0 = (chunk % perSample) * rows;
            int nr = Math.min(rows, h - y0);
            unfold(sample, y0, nr);
            return nr * wd;
        }

        /** Where the last unfolded chunk's first pixel is in an (N, channels, H, W) tensor. */
        long offsetIn(int channels) {
            return ((long) sample * channels * h + y0) * wd;
        }

        /** The columns of rows y0..y0+nr−1 of sample n: (C·k² + 1, nr·W), rows len apart. */
        private void unfold(int n, int y0, int nr) {
            int p = ks / 2, l = nr * wd;
            for (int ch = 0; ch < c; ch++) {
                int plane = inOff + (n * c + ch) * h * wd;
                for (int i = 0; i < ks; i++) {
                    for (int j = 0; j < ks; j++) {
                        int dx = j - p;
                        for (int yy = 0; yy < nr; yy++) {
                            int sy = y0 + yy + i - p, dst = yy * wd;
                            if (sy < 0 || sy >= h) {
                                Arrays.fill(row, dst, dst + wd, 0f);
                            } else if (phased) {
                                in.get(plane + sy * wd, src, 0, wd);
                                phasedShift(src, wd, dx, row, dst);
                            } else {
                                int lo = Math.min(wd, Math.max(0, -dx)), hi = Math.max(lo, Math.min(wd, wd - dx));
                                Arrays.fill(row, dst, dst + lo, 0f);
                                if (hi > lo) {
                                    in.get(plane + sy * wd + lo + dx, row, dst + lo, hi - lo);
                                }
                                Arrays.fill(row, dst + hi, dst + wd, 0f);
                            }
                        }
                        cols.put(colsOff + ((ch * ks + i) * ks + j) * len, row, 0, l);
                    }
                }
            }
            if (onesFor != l) {   // the row of ones, rewritten only when the chunk's length changes
                Arrays.fill(row, 0, l, 1f);
                cols.put(colsOff + c * ks * ks * len, row, 0, l);
                onesFor = l;
            }
        }

        /** out[at + φ·TW + t] = src[4t + φ + dx] (zero outside 0..W−1) for the phases φ and tiles t of one row. */
        private static void phasedShift(float[] src, int wd, int dx, float[] out, int at) {
            int tw = wd / 4;
            for (int ph = 0; ph < 4; ph++) {
                int s = ph + dx, base = at + ph * tw;
                int tLo = s < 0 ? (-s + 3) / 4 : 0, tHi = Math.min(tw, (wd - s + 3) / 4);
                Arrays.fill(out, base, base + tLo, 0f);
                for (int t = tLo; t < tHi; t++) {
                    out[base + t] = src[4 * t + s];
                }
                Arrays.fill(out, base + Math.max(tLo, tHi), base + tw, 0f);
            }
        }
    }
}
