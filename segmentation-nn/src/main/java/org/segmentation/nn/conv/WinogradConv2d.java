package org.segmentation.nn.conv;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Gemm;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.Scalars;

/**
 * 3×3 stride-1 "same" convolution by Winograd's minimal filtering F(4×4, 3×3) (Lavin and Gray, "Fast Algorithms
 * for Convolutional Neural Networks", CVPR 2016). The output is cut into 4×4 tiles; tile t of input channel c is
 * the 6×6 patch d of the zero-padded input under it, and
 *
 * <pre>
 *   Y[k, t] = Aᵀ [ Σ_c (G g[k,c] Gᵀ) ⊙ (Bᵀ d[c,t] B) ] A
 * </pre>
 *
 * so the sum over channels becomes 36 independent GEMMs, one per position ξ of the 6×6 transform domain:
 * M[ξ] (K, T) = U[ξ] (K, C) · V[ξ] (C, T), with U the transformed filters, V the transformed input tiles and T the
 * tiles of the batch. That is 36 multiplications per 16 outputs where the direct convolution needs 144, a 4×
 * saving, paid for with the transforms, which are additions and multiplications by small constants.
 *
 * <ul>
 *   <li><b>Backward-data</b> is the same convolution of dY with the filter rotated by 180° and its channel axes
 *       swapped: the rotated filters are transformed into the forward's (36, K, C) layout, and the products read
 *       each U'[ξ] transposed, (C, K).</li>
 *   <li><b>Backward-weights</b> transposes the bilinear algorithm: since y = Aᵀ[(Gg) ⊙ (Bᵀd)], the gradient of g is
 *       Gᵀ[(A dy) ⊙ (Bᵀd)] (in 2-D, Gᵀ[(A dY Aᵀ) ⊙ (Bᵀ d B)] G). The sum over tiles is again 36 GEMMs,
 *       (K, T) · (T, C), accumulated over the chunks of tiles, then one 6×6 → 3×3 transform per (k, c).</li>
 * </ul>
 *
 * <p><b>Blocks.</b> The tiles are processed in blocks of whole tile rows, about {@link #BLOCK_TILES} tiles each,
 * and each thread takes a run of blocks and carries one block at a time through all three stages: input transform
 * (36, C, tiles), 36 single-threaded GEMMs into (36, K, tiles), output transform. A block's transform domain then
 * stays in the core's cache between the stages, where a layer-wide chunk (the earlier design) went out to memory
 * and back twice: for 32 channels that traffic, not the arithmetic, set the time. Backward-weights gives each
 * thread its own (36, K, C) accumulator, summed in a fixed order at the end, so results depend on the thread count
 * but not on timing. The off-heap work buffers belong to the calling thread ({@link ConvScratch}), outside any
 * ND4J workspace, one slice per participating thread, so helper threads keep none of their own (only small Java
 * arrays); nothing is kept between calls, so backward-weights recomputes the input transform from x. A layer with
 * large filters and too few tiles for a block per thread (the deepest layers) runs <b>whole</b> instead: each
 * transform split over channels, the 36 products over the threads ({@link #wholeLayer}); its results do not depend
 * on the thread count. Backward-weights does the same, chunk by chunk of tiles into one accumulator, where each
 * thread's own (36, K, C) accumulator would not fit its budget.
 *
 * <p><b>Accuracy.</b> F(4×4, 3×3) in float32 rounds more than the direct sum, because its transforms scale values
 * by up to 25 before the products: on unit-Gaussian inputs with up to 40 channels its error is at most about
 * 5e-6 of the largest output value (the direct sum's about 1e-6), in all three passes, against a
 * double-precision direct convolution ({@code Conv2dAlgorithmsTest} asserts 2e-5).
 *
 * <p><b>Backends.</b> The transforms are Java loops over the ND4J buffers' memory ({@link FloatBuffer} views) and the
 * products are {@link Gemm#sgemm} calls (the BLAS directly, on one thread), so this algorithm runs on the CPU
 * backend only, for float32 and 3×3 kernels ({@link #supports}). {@link AutoConv2d} falls back to the ND4J-only
 * {@link ShiftedGemmConv2d} everywhere else. The blocks are split over {@link ParallelRanges#threads()} threads.
 * Each transform step is a set of loops over tiles that each write one array: Java 17's JIT compiles such a loop to
 * SIMD, but not a loop that writes several arrays (six outputs in one loop ran at 2.2 ns per tile, six one-output
 * loops at 0.7 ns).
 */
public final class WinogradConv2d extends LayoutAwareConv2d {
    /** Tiles per block, about: its transform domain, 36·(C + K)·tiles scalars, stays in L2 for up to ~64 channels. */
    static final int BLOCK_TILES = 128;
    /**
     * Vector length of the transforms, about: they run over a group of channels' tiles at once, since a loop over
     * one block's 128 tiles spends much of its time outside the JIT's unrolled SIMD body.
     */
    private static final int GROUP_SCALARS = 1024;
    private static final int POS = 36;
    /**
     * Scalars of backward-weights' per-thread accumulators, at most, unless one alone is larger: 8 Mi (32 MB), so
     * 2 threads keep two up to 256→256 channels and one beyond, as much as one 512→512 accumulator.
     */
    static final long ACCUMULATOR_BUDGET = 1L << 23;

    /**
     * Channel-tiles of a whole layer's transform, at least, for it to be split over threads: 8192 take about 80 µs
     * on one thread (about 10 ns each), some ten times what a fork and join cost.
     */
    private static final long PARALLEL_TRANSFORM = 8192;
    /** Filters (K·C) of a layer, at least, for it to run whole when it has few tiles ({@link #wholeLayer}). */
    private static final long WHOLE_LAYER_FILTERS = 1L << 16;
    /** Filters per run of {@link #filterTransform} and {@link #weightGradient}: their work vectors stay in L2. */
    private static final int FILTER_RUN = 1024;

    private final int threads;
    private final int blockTiles;
    private final long wholeLayerFilters;
    private final long accumulatorBudget;

    /** Blocks on {@link ParallelRanges#threads()} threads, as many as the caller allows. */
    public WinogradConv2d() {
        this.threads = 0;
        this.blockTiles = BLOCK_TILES;
        this.wholeLayerFilters = WHOLE_LAYER_FILTERS;
        this.accumulatorBudget = ACCUMULATOR_BUDGET;
    }

    /** @param threads threads for the blocks, at least 1 */
    public WinogradConv2d(int threads) {
        this(threads, BLOCK_TILES, WHOLE_LAYER_FILTERS, ACCUMULATOR_BUDGET);
    }

    /**
     * For tests and tuning: a fixed thread count, another block size in tiles (one tile row at the least) and
     * another least filter size (K·C) for a layer with few tiles to run whole, and another most scalars of
     * backward-weights' per-part accumulators.
     */
    WinogradConv2d(int threads, int blockTiles, long wholeLayerFilters, long accumulatorBudget) {
        if (threads < 1 || blockTiles < 1 || wholeLayerFilters < 1 || accumulatorBudget < 1) {
            throw new IllegalArgumentException("threads, blockTiles, wholeLayerFilters and accumulatorBudget must be"
                    + " positive, got " + threads + ", " + blockTiles + ", " + wholeLayerFilters + ", "
                    + accumulatorBudget);
        }
        this.threads = threads;
        this.blockTiles = blockTiles;
        this.wholeLayerFilters = wholeLayerFilters;
        this.accumulatorBudget = accumulatorBudget;
    }

    private int threads() {
        return threads == 0 ? ParallelRanges.threads() : threads;
    }

    /**
     * The threads the work is cut for: the machine's cores ({@link ParallelRanges#THREADS}), not the caller's limit,
     * so that a forward pass gives the same bits whether it runs alone on every core or as one of several concurrent
     * predictions on one core each. The cut matters because it sets the products' widths, and the BLAS may round a
     * product's column differently at another width (OpenBLAS does on AMD Zen 4: 16×16 · 16×24 against 16×16 · 16×48).
     */
    private int cutThreads() {
        return threads == 0 ? ParallelRanges.THREADS : threads;
    }

    /** Whether this algorithm computes a convolution with these weights (K,C,k,k): float32, 3×3, CPU backend. */
    public static boolean supports(INDArray w) {
        return w.dataType() == DataType.FLOAT && w.rank() == 4 && w.size(2) == 3 && w.size(3) == 3
                && Scalars.hostMemory();
    }

    /** The ReLU is applied as the output transform writes y: no second pass over it. */
    /** Reads a phased x and writes a phased y directly: their windows and tiles are then contiguous copies. */
    @Override
    public void forward(INDArray x, boolean xPhased, INDArray w, INDArray b, INDArray y, boolean yPhased,
            boolean relu) {
        require(w, x, y);
        requirePhased(xPhased, x);
        requirePhased(yPhased, y);
        int k = (int) w.size(0), c = (int) w.size(1);
        INDArray u = ConvScratch.get().buffer(ConvScratch.FILTER, (long) POS * k * c);
        filterTransform(w, false, u);
        convolve(x, xPhased, u, false, c, k, b, y, yPhased, relu);
    }

    /** Reads a phased dY and writes a phased dX directly. */
    @Override
    public void backwardData(INDArray dY, boolean dYPhased, INDArray w, INDArray dX, boolean dXPhased) {
        require(w, dY, dX);
        requirePhased(dYPhased, dY);
        requirePhased(dXPhased, dX);
        int k = (int) w.size(0), c = (int) w.size(1);
        INDArray u = ConvScratch.get().buffer(ConvScratch.FILTER, (long) POS * k * c);
        filterTransform(w, true, u);
        convolve(dY, dYPhased, u, true, k, c, null, dX, dXPhased, false);
    }

    /** Reads a phased x and a phased dY directly. */
    @Override
    public void backwardWeights(INDArray x, boolean xPhased, INDArray dY, boolean dYPhased, INDArray dW,
            INDArray dB) {
        require(dW, x, dY);
        requirePhased(xPhased, x);
        requirePhased(dYPhased, dY);
        int n = (int) x.size(0), c = (int) x.size(1), h = (int) x.size(2), wd = (int) x.size(3);
        int k = (int) dY.size(1);
        int th = (h + 3) / 4, tw = (wd + 3) / 4, rows = n * th;
        int br = blockRows(tw, rows), blocks = (rows + br - 1) / br;
        long kc = (long) POS * k * c;
        INDArray xc = Scalars.contiguous(x);
        INDArray dYc = Scalars.contiguous(dY);
        Flat xF = new Flat(xc), dYF = new Flat(dYc);
        ConvScratch s = ConvScratch.get();
        // block by block, each part keeps its own (36, K, C) accumulator: fewer parts where they would exceed
        // accumulatorBudget (the buffers are sized for the most parts any thread limit allows)
        int most = (int) Math.max(1, Math.min(blocks, accumulatorBudget / kc));
        boolean whole = wholeLayer(rows * tw, k, c);
        if (whole || most < Math.min(blocks, cutThreads())) {
            // whole, or, where the accumulators would leave cores idle (large filters on many tiles: the decoder's
            // 512→256 at 32², one part of 30 ms against 16 for its forward), in chunks of a block per core: each
            // chunk's transforms split over channels and its 36 products over the threads, all into one accumulator
            int chunk = whole ? rows : Math.min(rows, br * cutThreads()), t = threads();
            long perChannel = (long) POS * chunk * tw;   // transformed scalars of one channel of a chunk
            INDArray acc = s.buffer(ConvScratch.ACCUMULATOR, kc);
            INDArray v = s.buffer(ConvScratch.INPUT, perChannel * c);
            INDArray d = s.buffer(ConvScratch.PRODUCT, perChannel * k);
            Flat vF = new Flat(v), dF = new Flat(d);
            int rowScalars = 6 * (4 * tw + 2);
            double[] biasSums = new double[k];   // channels split over threads: each writes its own entries
            for (int r0 = 0; r0 < rows; r0 += chunk) {
                int first = r0, nr = Math.min(chunk, rows - r0), tc = nr * tw;
                float beta = r0 == 0 ? 0f : 1f;
                ParallelRanges.run(c, transformThreads(c, tc), (from, to) -> inputTransform(xF, xPhased, c, h, wd,
                        th, tw, first, nr, from, to, vF, Work.get(tc, c, rowScalars)));
                ParallelRanges.run(k, transformThreads(k, tc), (from, to) -> gradientTransform(dYF, dYPhased, k, h,
                        wd, th, tw, first, nr, from, to, dF, biasSums, Work.get(tc, k, rowScalars)));
                ParallelRanges.run(POS, t, (from, to) -> {
                    for (int xi = from; xi < to; xi++) {   // acc[ξ] (K, C) (+)= d[ξ] (K, T) · v[ξ]ᵀ (T, C)
                        Gemm.sgemm(false, true, k, c, tc, 1f, d, (long) xi * k * tc, tc, v, (long) xi * c * tc, tc,
                                beta, acc, (long) xi * k * c, c);
                    }
                });
            }
            weightGradient(acc, 1, k, c, dW);
            Scalars.addPartSums(new double[][] {biasSums}, dB);
            return;
        }
        int parts = Math.max(1, Math.min(threads(), most));
        // part p accumulates into acc[p·36KC ..], and transforms its blocks in slice p of the INPUT and PRODUCT
        // buffers: the caller's buffers, so no part's result depends on when another thread next runs a kernel
        INDArray acc = s.slices(ConvScratch.ACCUMULATOR, kc, parts, most);
        long vSlice = (long) POS * c * br * tw, dSlice = (long) POS * k * br * tw;
        INDArray v = s.slices(ConvScratch.INPUT, vSlice, parts, most);
        INDArray d = s.slices(ConvScratch.PRODUCT, dSlice, parts, most);
        double[][] biasSums = new double[parts][k];
        ParallelRanges.runParts(blocks, parts, (part, from, to) -> {
            long at = part * kc, vAt = part * vSlice, dAt = part * dSlice;
            Flat vF = new Flat(v, vAt), dF = new Flat(d, dAt);
            Work work = Work.get(br * tw, Math.max(c, k), 6 * (4 * tw + 2));
            for (int blk = from; blk < to; blk++) {
                int r0 = blk * br, nr = Math.min(br, rows - r0), tc = nr * tw;
                inputTransform(xF, xPhased, c, h, wd, th, tw, r0, nr, 0, c, vF, work);
                gradientTransform(dYF, dYPhased, k, h, wd, th, tw, r0, nr, 0, k, dF, biasSums[part], work);
                for (int xi = 0; xi < POS; xi++) {   // acc[ξ] (K, C) += d[ξ] (K, tc) · v[ξ]ᵀ (tc, C)
                    Gemm.sgemm(false, true, k, c, tc, 1f, d, dAt + (long) xi * k * tc, tc, v,
                            vAt + (long) xi * c * tc, tc, blk == from ? 0f : 1f, acc, at + (long) xi * k * c, c);
                }
            }
        });
        weightGradient(acc, parts, k, c, dW);
        Scalars.addPartSums(biasSums, dB);
    }

    private static void require(INDArray w, INDArray... tensors) {
        if (!supports(w)) {
            throw new IllegalArgumentException("WinogradConv2d computes float32 3x3 convolutions on the CPU backend,"
                    + " got weights " + w.dataType() + " " + Arrays.toString(w.shape()));
        }
        for (INDArray t : tensors) {
            if (t.length() >= Integer.MAX_VALUE) {
                throw new IllegalArgumentException("WinogradConv2d indexes tensors of fewer than 2^31 scalars, got shape "
                        + Arrays.toString(t.shape()));
            }
        }
    }

    private static void requirePhased(boolean phased, INDArray t) {
        if (phased) {
            PhasedLayout.require("WinogradConv2d", t);
        }
    }

    /**
     * Tile rows per block: about {@link #blockTiles} tiles, at least one row, and few enough rows that every thread
     * of {@link #cutThreads} gets a block.
     */
    private int blockRows(int tw, int rows) {
        int br = Math.max(1, (blockTiles + tw / 2) / tw);
        return Math.max(1, Math.min(br, (rows + cutThreads() - 1) / cutThreads()));
    }

    /**
     * Whether a layer runs whole: its filters are large (K·C of at least {@link #WHOLE_LAYER_FILTERS}, so their 36
     * transforms, 36·K·C scalars, are several MB) and it has too few tiles to give every thread a block of
     * {@link #blockTiles}. Block by block, every thread would then read all the transformed filters for thin
     * products of a few tiles. Whole, each transform is split over channels and the 36 products, each over all
     * tiles, over the threads, so the filters are read once. Measured on the U-Net's 16² layers at batch 4: 512→512
     * forward 15.1 → 12.1 ms, backward-weights 18.6 → 12.1 ms (2 threads); on layers of 128 channels or fewer the
     * blocks did as well or better, so they keep them.
     */
    private boolean wholeLayer(int tiles, int k, int c) {
        return (long) k * c >= wholeLayerFilters && tiles < (long) blockTiles * cutThreads();
    }

    /**
     * Threads for a whole layer's transform of this many channels and tiles: one below {@link #PARALLEL_TRANSFORM}
     * channel-tiles, where handing half to another thread costs about as much as it saves.
     */
    private int transformThreads(int channels, int tiles) {
        return (long) channels * tiles < PARALLEL_TRANSFORM ? 1 : threads();
    }

    /** A flat float32 array's memory: a buffer over all of it, and where the array (or a slice of it) starts. */
    private static final class Flat {
        final FloatBuffer buffer;
        final int offset;

        Flat(INDArray a) {
            this(a, 0);
        }

        /** The memory of a from its scalar {@code at} on. */
        Flat(INDArray a, long at) {
            buffer = a.data().asNioFloat();
            offset = (int) (a.offset() + at);
        }
    }

    /**
     * One thread's transform vectors, for groups of up to {@link #group} channels of blocks of up to {@code tiles}
     * tiles.
     */
    private static final class Work {
        private static final ThreadLocal<Work> OF_THREAD = new ThreadLocal<>();

        int group;
        final float[] rows;
        final float[][] a36;
        final float[][] b36;
        final float[][] c24;
        final float[][] d16;

        private Work(int scalars, int rowScalars) {
            rows = new float[rowScalars];
            a36 = new float[36][scalars];
            b36 = new float[36][scalars];
            c24 = new float[24][scalars];
            d16 = new float[16][scalars];
        }

        /** This thread's vectors (grow-only), set for blocks of {@code tiles} tiles of a layer of up to maxChannels. */
        static Work get(int tiles, int maxChannels, int rowScalars) {
            int group = Math.max(1, Math.min(maxChannels, GROUP_SCALARS / tiles));
            int scalars = group * tiles;
            Work w = OF_THREAD.get();
            if (w == null || w.a36[0].length < scalars || w.rows.length < rowScalars) {
                w = new Work(Math.max(scalars, w == null ? 0 : w.a36[0].length),
                        Math.max(rowScalars, w == null ? 0 : w.rows.length));
                OF_THREAD.set(w);
            }
            w.group = group;
            return w;
        }
    }

    /**
     * out (N,Co,H,W) = the Winograd convolution of in (N,Ci,H,W) with the transformed filters u (36, Co, Ci), or
     * (36, Ci, Co) read transposed if {@code uTransposed}, plus the bias if one is given, through a ReLU if
     * {@code relu}.
     */
    private void convolve(INDArray in, boolean inPhased, INDArray u, boolean uTransposed, int ci, int co,
            INDArray bias, INDArray out, boolean outPhased, boolean relu) {
        int n = (int) in.size(0), h = (int) in.size(2), wd = (int) in.size(3);
        int th = (h + 3) / 4, tw = (wd + 3) / 4, rows = n * th;
        INDArray inC = Scalars.contiguous(in);
        INDArray outC = Scalars.contiguous(out);
        float[] b = bias == null ? new float[co] : Scalars.contiguous(bias).toFloatVector();
        Flat inF = new Flat(inC), outF = new Flat(outC);
        if (wholeLayer(rows * tw, co, ci)) {
            int tc = rows * tw, t = threads();
            ConvScratch s = ConvScratch.get();
            INDArray v = s.buffer(ConvScratch.INPUT, (long) POS * ci * tc);
            INDArray m = s.buffer(ConvScratch.PRODUCT, (long) POS * co * tc);
            Flat vF = new Flat(v), mF = new Flat(m);
            int rowScalars = 6 * (4 * tw + 2);
            ParallelRanges.run(ci, transformThreads(ci, tc), (from, to) -> inputTransform(inF, inPhased, ci, h, wd, th,
                    tw, 0, rows, from, to, vF, Work.get(tc, ci, rowScalars)));
            ParallelRanges.run(POS, t, (from, to) -> {
                for (int xi = from; xi < to; xi++) {   // m[ξ] (Co, T) = u[ξ] (Co, Ci) · v[ξ] (Ci, T)
                    Gemm.sgemm(uTransposed, false, co, tc, ci, 1f, u, (long) xi * co * ci, uTransposed ? co : ci, v,
                            (long) xi * ci * tc, tc, 0f, m, (long) xi * co * tc, tc);
                }
            });
            ParallelRanges.run(co, transformThreads(co, tc), (from, to) -> outputTransform(mF, co, h, wd, th, tw, 0,
                    rows, from, to, b, relu, outF, outPhased, Work.get(tc, co, rowScalars)));
        } else {
            convolveBlocks(inF, inPhased, u, uTransposed, ci, co, h, wd, th, tw, rows, b, relu, outF, outPhased);
        }
        if (outC != out) {
            out.assign(outC);
        }
    }

    /** {@link #convolve} block by block: each thread carries its blocks through all three stages. */
    private void convolveBlocks(Flat inF, boolean inPhased, INDArray u, boolean uTransposed, int ci, int co, int h,
            int wd, int th, int tw, int rows, float[] b, boolean relu, Flat outF, boolean outPhased) {
        int br = blockRows(tw, rows), blocks = (rows + br - 1) / br;
        int grain = Math.max(1, blocks / (8 * ParallelRanges.threads()));
        // each block's output depends on nothing but the block: which thread runs it does not matter
        int parts = threads == 0 ? ParallelRanges.dynamicParts(blocks, grain) : Math.max(1, Math.min(threads, blocks));
        // participant p works in slice p of the caller's buffers, so helper threads keep no buffers of their own
        long vSlice = (long) POS * ci * br * tw, mSlice = (long) POS * co * br * tw;
        ConvScratch s = ConvScratch.get();
        INDArray v = s.slices(ConvScratch.INPUT, vSlice, parts, blocks);
        INDArray m = s.slices(ConvScratch.PRODUCT, mSlice, parts, blocks);
        ParallelRanges.PartBody run = (part, from, to) -> {
            long vAt = part * vSlice, mAt = part * mSlice;
            Flat vF = new Flat(v, vAt), mF = new Flat(m, mAt);
            Work work = Work.get(br * tw, Math.max(ci, co), 6 * (4 * tw + 2));
            for (int blk = from; blk < to; blk++) {
                int r0 = blk * br, nr = Math.min(br, rows - r0), tc = nr * tw;
                inputTransform(inF, inPhased, ci, h, wd, th, tw, r0, nr, 0, ci, vF, work);
                for (int xi = 0; xi < POS; xi++) {   // m[ξ] (Co, tc) = u[ξ] (Co, Ci) · v[ξ] (Ci, tc)
                    Gemm.sgemm(uTransposed, false, co, tc, ci, 1f, u, (long) xi * co * ci, uTransposed ? co : ci, v,
                            vAt + (long) xi * ci * tc, tc, 0f, m, mAt + (long) xi * co * tc, tc);
                }
                outputTransform(mF, co, h, wd, th, tw, r0, nr, 0, co, b, relu, outF, outPhased, work);
            }
        };
        if (threads == 0) {
            ParallelRanges.runDynamicParts(blocks, grain, run);
        } else {
            ParallelRanges.runParts(blocks, threads, run);
        }
    }

    /**
     * u (36, K, C) = G g Gᵀ for every filter g = w[k,c] (3×3), or, when {@code rotated}, G g' Gᵀ with g' = w[k,c]
     * rotated by 180° (the taps in reverse order): the filters of backward-data, in the same (36, K, C) layout, which
     * its products read transposed. The K·C filters are taken in runs of {@link #FILTER_RUN} consecutive ones: a run's
     * weights are one bulk copy, its nine taps are gathered into nine vectors, transformed as loops over the run, and
     * written with 36 bulk copies, one to each u[ξ], in which the run is contiguous. (One row of filters at a time,
     * with the rotated filters written as (36, C, K), read K runs per row and spent 2.5 ns per transformed value on
     * 512→512 filters, as long as the rest of that layer's forward.)
     */
    private void filterTransform(INDArray w, boolean rotated, INDArray u) {
        int filters = (int) (w.size(0) * w.size(1));
        INDArray wc = Scalars.contiguous(w);
        FloatBuffer wb = wc.data().asNioFloat(), ub = u.data().asNioFloat();
        int wOff = (int) wc.offset(), uOff = (int) u.offset();
        int runs = (filters + FILTER_RUN - 1) / FILTER_RUN;
        ParallelRanges.run(runs, threads(), (from, to) -> {
            float[] raw = new float[FILTER_RUN * 9];  // the run's weights, (filters, 3, 3)
            float[][] g = new float[9][FILTER_RUN];   // tap (u, v) of every filter of the run
            float[][] t = new float[18][FILTER_RUN];  // G g: (a, v)
            float[][] f = new float[36][FILTER_RUN];  // G g Gᵀ: (a, b)
            for (int run = from; run < to; run++) {
                int first = run * FILTER_RUN, len = Math.min(FILTER_RUN, filters - first);
                wb.get(wOff + first * 9, raw, 0, len * 9);
                for (int tap = 0; tap < 9; tap++) {
                    float[] gt = g[rotated ? 8 - tap : tap];
                    for (int i = 0; i < len; i++) {
                        gt[i] = raw[i * 9 + tap];
                    }
                }
                for (int v = 0; v < 3; v++) {     // G down column v
                    gg(g[v], g[3 + v], g[6 + v], t[v], t[3 + v], t[6 + v], t[9 + v], t[12 + v], t[15 + v], len);
                }
                for (int a = 0; a < 6; a++) {     // G along row a
                    int ta = 3 * a, fa = 6 * a;
                    gg(t[ta], t[ta + 1], t[ta + 2], f[fa], f[fa + 1], f[fa + 2], f[fa + 3], f[fa + 4], f[fa + 5],
                            len);
                }
                for (int xi = 0; xi < POS; xi++) {
                    ub.put(uOff + xi * filters + first, f[xi], 0, len);
                }
            }
        });
    }

    /** For every t in 0..n−1: (y0..y5)[t] = G (g0, g1, g2)[t]. */
    private static void gg(float[] g0, float[] g1, float[] g2, float[] y0, float[] y1, float[] y2, float[] y3,
            float[] y4, float[] y5, int n) {
        for (int t = 0; t < n; t++) {
            y0[t] = g0[t] * 0.25f;
        }
        for (int t = 0; t < n; t++) {
            y1[t] = -((g0[t] + g2[t]) + g1[t]) * (1f / 6);
        }
        for (int t = 0; t < n; t++) {
            y2[t] = -((g0[t] + g2[t]) - g1[t]) * (1f / 6);
        }
        for (int t = 0; t < n; t++) {
            y3[t] = (g0[t] * (1f / 24) + g2[t] * (1f / 6)) + g1[t] * (1f / 12);
        }
        for (int t = 0; t < n; t++) {
            y4[t] = (g0[t] * (1f / 24) + g2[t] * (1f / 6)) - g1[t] * (1f / 12);
        }
        System.arraycopy(g2, 0, y5, 0, n);
    }

    /**
     * v (36, C, tiles) = Bᵀ d B for the 6×6 padded input patch d of every channel and tile of tile rows
     * r0..r0+nr−1 (tile row r = n·TH + ty), tiles in (row, tx) order, on the calling thread. Per channel, the 36
     * patch values of every tile of the block are first gathered into 36 vectors over the tiles, so that both passes
     * of the transform are loops over tiles, with one array per vector, which the JIT compiles to SIMD; the
     * channel's block is then written with 36 bulk copies.
     */
    private static void inputTransform(Flat x, boolean phased, int c, int h, int wd, int th, int tw, int r0, int nr,
            int cFrom, int cTo, Flat v, Work work) {
        FloatBuffer xb = x.buffer, vb = v.buffer;
        int xOff = x.offset, vOff = v.offset;
        int tc = nr * tw, wp = 4 * tw + 2;
        float[] rows = work.rows;
        float[][] d = work.a36;  // patch value (i, j) of every tile of the group; then Bᵀ d B at (a, b)
        float[][] t = work.b36;  // Bᵀ d: Bᵀ applied down the columns
        for (int c0 = cFrom; c0 < cTo; c0 += work.group) {
            int g = Math.min(work.group, cTo - c0), len = g * tc;
            for (int ch = c0; ch < c0 + g; ch++) {
                for (int r = r0; r < r0 + nr; r++) {
                    int n = r / th, ty = r % th, at = (ch - c0) * tc + (r - r0) * tw;
                    if (phased) {
                        phasedWindows(xb, xOff + (n * c + ch) * h * wd, h, wd, tw, 4 * ty - 1, rows, d, at);
                        continue;
                    }
                    for (int i = 0; i < 6; i++) {   // row i: 0, x[yy, 0..W−1], zeros up to 4·TW + 2 (or all zeros)
                        int yy = 4 * ty - 1 + i;
                        if (yy >= 0 && yy < h) {
                            rows[i * wp] = 0f;
                            xb.get(xOff + ((n * c + ch) * h + yy) * wd, rows, i * wp + 1, wd);
                            Arrays.fill(rows, i * wp + 1 + wd, (i + 1) * wp, 0f);
                        } else {
                            Arrays.fill(rows, i * wp, (i + 1) * wp, 0f);
                        }
                    }
                    gather(rows, wp, 6, tw, d, at);
                }
            }
            for (int j = 0; j < 6; j++) {     // Bᵀ down column j: (i, j) of d to (a, j) of t
                bt(d[j], d[6 + j], d[12 + j], d[18 + j], d[24 + j], d[30 + j],
                        t[j], t[6 + j], t[12 + j], t[18 + j], t[24 + j], t[30 + j], len);
            }
            for (int a = 0; a < 6; a++) {     // Bᵀ along row a: (a, j) of t to (a, b) of d
                int o = a * 6;
                bt(t[o], t[o + 1], t[o + 2], t[o + 3], t[o + 4], t[o + 5],
                        d[o], d[o + 1], d[o + 2], d[o + 3], d[o + 4], d[o + 5], len);
            }
            for (int xi = 0; xi < POS; xi++) {   // v[ξ, c0..c0+g−1, :] is contiguous
                vb.put(vOff + (xi * c + c0) * tc, d[xi], 0, len);
            }
        }
    }

    /**
     * Phased input: the 6×6 windows of one tile row as 36 vectors over its tiles, as {@link #gather} makes them,
     * from the rows y0..y0+5 of a phased plane at {@code plane} (zeros outside 0..H−1). Window column j of tile tx is
     * image column 4·tx − 1 + j: columns 1 to 4 are phases 0 to 3 of the tile, column 0 phase 3 of the tile before
     * and column 5 phase 0 of the tile after (zero at the borders, W = 4·TW), so every vector is a contiguous copy.
     */
    private static void phasedWindows(FloatBuffer xb, int plane, int h, int wd, int tw, int y0, float[] rows,
            float[][] d, int at) {
        // the window's rows inside the plane are contiguous: one bulk read of them all, then array copies, in place
        // of a buffer read per phase and row (24 per tile row)
        int yFrom = Math.max(y0, 0), yTo = Math.min(y0 + 6, h);
        if (yTo > yFrom) {
            xb.get(plane + yFrom * wd, rows, 0, (yTo - yFrom) * wd);
        }
        for (int i = 0; i < 6; i++) {
            int yy = y0 + i, o = i * 6;
            if (yy < yFrom || yy >= yTo) {
                for (int j = 0; j < 6; j++) {
                    Arrays.fill(d[o + j], at, at + tw, 0f);
                }
                continue;
            }
            int row = (yy - yFrom) * wd;
            for (int p = 0; p < 4; p++) {
                System.arraycopy(rows, row + p * tw, d[o + 1 + p], at, tw);
            }
            d[o][at] = 0f;
            System.arraycopy(d[o + 4], at, d[o], at + 1, tw - 1);
            System.arraycopy(d[o + 1], at + 1, d[o + 5], at, tw - 1);
            d[o + 5][at + tw - 1] = 0f;
        }
    }

    /**
     * The size×size window of every tile of one tile row, as size² vectors over the row's tiles: value (i, j) of tile
     * tx, rows[i·stride + 4·tx + j], goes to out[i·size + j][at + tx]. Tiles step by 4, so columns j = 4, 5 of a
     * 6×6 window are columns 0, 1 of the next tile: those vectors are copies of the first two shifted by one tile,
     * and only four strided gathers per row remain.
     */
    private static void gather(float[] rows, int stride, int size, int tw, float[][] out, int at) {
        for (int i = 0; i < size; i++) {
            // one loop for the four stride-4 gathers: for the short rows of small layers (4 to 16 tiles) four loops
            // spent more on their overhead than on the copies (measured 26 against 47 ns per tile at 4 tiles, 13
            // against 17 at 16, 9.4 against 10.2 at 64)
            float[] o0 = out[i * size], o1 = out[i * size + 1], o2 = out[i * size + 2], o3 = out[i * size + 3];
            for (int tx = 0, src = i * stride; tx < tw; tx++, src += 4) {
                o0[at + tx] = rows[src];
                o1[at + tx] = rows[src + 1];
                o2[at + tx] = rows[src + 2];
                o3[at + tx] = rows[src + 3];
            }
            for (int j = 4; j < size; j++) {
                float[] oij = out[i * size + j];
                System.arraycopy(out[i * size + j - 4], at + 1, oij, at, tw - 1);
                oij[at + tw - 1] = rows[i * stride + 4 * tw + j - 4];
            }
        }
    }

    /** For every t in 0..n−1: (y0..y5)[t] = Bᵀ (x0..x5)[t]. */
    private static void bt(float[] x0, float[] x1, float[] x2, float[] x3, float[] x4, float[] x5,
            float[] y0, float[] y1, float[] y2, float[] y3, float[] y4, float[] y5, int n) {
        for (int t = 0; t < n; t++) {
            y0[t] = 4 * x0[t] - 5 * x2[t] + x4[t];
        }
        for (int t = 0; t < n; t++) {
            y1[t] = (x4[t] - 4 * x2[t]) + (x3[t] - 4 * x1[t]);
        }
        for (int t = 0; t < n; t++) {
            y2[t] = (x4[t] - 4 * x2[t]) - (x3[t] - 4 * x1[t]);
        }
        for (int t = 0; t < n; t++) {
            y3[t] = (x4[t] - x2[t]) + 2 * (x3[t] - x1[t]);
        }
        for (int t = 0; t < n; t++) {
            y4[t] = (x4[t] - x2[t]) - 2 * (x3[t] - x1[t]);
        }
        for (int t = 0; t < n; t++) {
            y5[t] = 4 * x1[t] - 5 * x3[t] + x5[t];
        }
    }

    /**
     * out (N,Co,H,W), tile rows r0..r0+nr−1: Aᵀ M A (+ bias) of every output channel and tile, cropped to H×W, on
     * the calling thread. As in {@link #inputTransform}, both passes are loops over the block's tiles.
     */
    private static void outputTransform(Flat m, int co, int h, int wd, int th, int tw, int r0, int nr, int kFrom,
            int kTo, float[] bias, boolean relu, Flat out, boolean phased, Work work) {
        FloatBuffer mb = m.buffer, ob = out.buffer;
        int mOff = m.offset, oOff = out.offset;
        int tc = nr * tw, ow = 4 * tw;
        float[][] mc = work.a36;  // the group's products at (a, b)
        float[][] q = work.c24;   // Aᵀ M: (i, b)
        float[][] o = work.d16;   // Aᵀ M A: output (i, j) of every tile
        float[] rows = work.rows;
        for (int k0 = kFrom; k0 < kTo; k0 += work.group) {
            int g = Math.min(work.group, kTo - k0), len = g * tc;
            for (int xi = 0; xi < POS; xi++) {   // m[ξ, k0..k0+g−1, :] is contiguous
                mb.get(mOff + (xi * co + k0) * tc, mc[xi], 0, len);
            }
            for (int j = 0; j < 6; j++) {          // Aᵀ down column j
                at(mc[j], mc[6 + j], mc[12 + j], mc[18 + j], mc[24 + j], mc[30 + j],
                        q[j], q[6 + j], q[12 + j], q[18 + j], len);
            }
            for (int i = 0; i < 4; i++) {          // Aᵀ along row i
                int qi = i * 6, oi = i * 4;
                at(q[qi], q[qi + 1], q[qi + 2], q[qi + 3], q[qi + 4], q[qi + 5],
                        o[oi], o[oi + 1], o[oi + 2], o[oi + 3], len);
            }
            if (phased) {
                phasedTiles(o, k0, g, tc, co, h, wd, th, tw, r0, nr, bias, relu, rows, ob, oOff);
                continue;
            }
            for (int ko = k0; ko < k0 + g; ko++) {
                float b = bias[ko];
                for (int r = r0; r < r0 + nr; r++) {
                    int n = r / th, ty = r % th, at = (ko - k0) * tc + (r - r0) * tw;
                    for (int i = 0; i < 4; i++) {      // the tiles' rows, interleaved, plus the bias (one loop, as in gather)
                        float[] o0 = o[i * 4], o1 = o[i * 4 + 1], o2 = o[i * 4 + 2], o3 = o[i * 4 + 3];
                        if (relu) {
                            for (int tx = 0, dst = i * ow; tx < tw; tx++, dst += 4) {
                                rows[dst] = Math.max(o0[at + tx] + b, 0f);
                                rows[dst + 1] = Math.max(o1[at + tx] + b, 0f);
                                rows[dst + 2] = Math.max(o2[at + tx] + b, 0f);
                                rows[dst + 3] = Math.max(o3[at + tx] + b, 0f);
                            }
                        } else {
                            for (int tx = 0, dst = i * ow; tx < tw; tx++, dst += 4) {
                                rows[dst] = o0[at + tx] + b;
                                rows[dst + 1] = o1[at + tx] + b;
                                rows[dst + 2] = o2[at + tx] + b;
                                rows[dst + 3] = o3[at + tx] + b;
                            }
                        }
                    }
                    for (int i = 0; i < 4; i++) {
                        int yy = 4 * ty + i;
                        if (yy < h) {
                            ob.put(oOff + ((n * co + ko) * h + yy) * wd, rows, i * ow, wd);
                        }
                    }
                }
            }
        }
    }

    /**
     * Phased output: the 4×4 output tiles o (16 vectors over the tiles of channels k0..k0+g−1) plus the bias, through
     * a ReLU if {@code relu}, written to phased rows: value (i, j) of tile tx is row 4·ty + i, phase j, position tx,
     * so each row's phase is one contiguous copy of its tiles (W = 4·TW; rows beyond H are dropped).
     */
    private static void phasedTiles(float[][] o, int k0, int g, int tc, int co, int h, int wd, int th, int tw,
            int r0, int nr, float[] bias, boolean relu, float[] rows, FloatBuffer ob, int oOff) {
        for (int ko = k0; ko < k0 + g; ko++) {
            float b = bias[ko];
            int from = (ko - k0) * tc, to = from + tc;
            for (float[] oq : o) {
                if (relu) {
                    for (int t = from; t < to; t++) {
                        oq[t] = Math.max(oq[t] + b, 0f);
                    }
                } else {
                    for (int t = from; t < to; t++) {
                        oq[t] += b;
                    }
                }
            }
            for (int r = r0; r < r0 + nr; r++) {
                int n = r / th, ty = r % th, at = from + (r - r0) * tw;
                int ni = Math.min(4, h - 4 * ty);   // the tile row's output rows are contiguous: one bulk write
                for (int i = 0; i < ni; i++) {
                    for (int j = 0; j < 4; j++) {
                        System.arraycopy(o[i * 4 + j], at, rows, i * wd + j * tw, tw);
                    }
                }
                ob.put(oOff + ((n * co + ko) * h + 4 * ty) * wd, rows, 0, ni * wd);
            }
        }
    }

    /** For every t in 0..n−1: (y0..y3)[t] = Aᵀ (m0..m5)[t]. */
    private static void at(float[] m0, float[] m1, float[] m2, float[] m3, float[] m4, float[] m5,
            float[] y0, float[] y1, float[] y2, float[] y3, int n) {
        for (int t = 0; t < n; t++) {
            y0[t] = m0[t] + (m1[t] + m2[t]) + (m3[t] + m4[t]);
        }
        for (int t = 0; t < n; t++) {
            y1[t] = (m1[t] - m2[t]) + 2 * (m3[t] - m4[t]);
        }
        for (int t = 0; t < n; t++) {
            y2[t] = (m1[t] + m2[t]) + 4 * (m3[t] + m4[t]);
        }
        for (int t = 0; t < n; t++) {
            y3[t] = (m1[t] - m2[t]) + 8 * (m3[t] - m4[t]) + m5[t];
        }
    }

    /**
     * d (36, K, tiles) = A g Aᵀ for the 4×4 tile g of dY (zero beyond H×W) of every channel and tile of tile rows
     * r0..r0+nr−1, as loops over the block's tiles, on the calling thread. Adds each channel's sum of dY over these
     * tiles to {@code biasSums[k]}: row 1 of A is all ones, so position (1, 1) of A g Aᵀ is the sum of the tile, and
     * the bias gradient costs a sum over a sixteenth of dY instead of a pass over all of it.
     */
    private static void gradientTransform(Flat dY, boolean phased, int k, int h, int wd, int th, int tw, int r0,
            int nr, int kFrom, int kTo, Flat d, double[] biasSums, Work work) {
        FloatBuffer gb = dY.buffer, db = d.buffer;
        int gOff = dY.offset, dOff = d.offset;
        int tc = nr * tw, ow = 4 * tw;
        float[] rows = work.rows;
        float[][] g = work.d16;   // value (i, j) of every tile of the group
        float[][] t = work.c24;   // A g: (a, j)
        float[][] dc = work.a36;  // A g Aᵀ: (a, b)
        for (int k0 = kFrom; k0 < kTo; k0 += work.group) {
            int gs = Math.min(work.group, kTo - k0), len = gs * tc;
            for (int ko = k0; ko < k0 + gs; ko++) {
                for (int r = r0; r < r0 + nr; r++) {
                    int n = r / th, ty = r % th, at = (ko - k0) * tc + (r - r0) * tw;
                    if (phased) {                   // value (i, j) of tile tx: row 4·ty + i, phase j, position tx
                        int ni = Math.min(4, h - 4 * ty);   // rows 4·ty.. are contiguous: one bulk read
                        gb.get(gOff + ((n * k + ko) * h + 4 * ty) * wd, rows, 0, ni * wd);
                        for (int i = 0; i < 4; i++) {
                            for (int j = 0; j < 4; j++) {
                                if (i < ni) {
                                    System.arraycopy(rows, i * wd + j * tw, g[i * 4 + j], at, tw);
                                } else {
                                    Arrays.fill(g[i * 4 + j], at, at + tw, 0f);
                                }
                            }
                        }
                        continue;
                    }
                    for (int i = 0; i < 4; i++) {   // row i: dY[yy, 0..W−1], zeros up to 4·TW (or all zeros)
                        int yy = 4 * ty + i;
                        if (yy < h) {
                            gb.get(gOff + ((n * k + ko) * h + yy) * wd, rows, i * ow, wd);
                            Arrays.fill(rows, i * ow + wd, (i + 1) * ow, 0f);
                        } else {
                            Arrays.fill(rows, i * ow, (i + 1) * ow, 0f);
                        }
                    }
                    gather(rows, ow, 4, tw, g, at);
                }
            }
            for (int j = 0; j < 4; j++) {          // A down column j
                a(g[j], g[4 + j], g[8 + j], g[12 + j], t[j], t[4 + j], t[8 + j], t[12 + j], t[16 + j],
                        t[20 + j], len);
            }
            for (int a = 0; a < 6; a++) {          // A along row a
                int ti = a * 4, o = a * 6;
                a(t[ti], t[ti + 1], t[ti + 2], t[ti + 3], dc[o], dc[o + 1], dc[o + 2], dc[o + 3],
                        dc[o + 4], dc[o + 5], len);
            }
            for (int xi = 0; xi < POS; xi++) {   // d[ξ, k0..k0+gs−1, :] is contiguous
                db.put(dOff + (xi * k + k0) * tc, dc[xi], 0, len);
            }
            float[] tileSums = dc[7];
            for (int ko = k0; ko < k0 + gs; ko++) {
                biasSums[ko] += sum(tileSums, (ko - k0) * tc, tc);
            }
        }
    }

    /** v[from..from+n−1] summed in four interleaved float partial sums, added in double. */
    private static double sum(float[] v, int from, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int t = from, end = from + n;
        for (; t + 3 < end; t += 4) {
            s0 += v[t];
            s1 += v[t + 1];
            s2 += v[t + 2];
            s3 += v[t + 3];
        }
        double s = (double) s0 + s1 + s2 + s3;
        for (; t < end; t++) {
            s += v[t];
        }
        return s;
    }

    /** For every t in 0..n−1: (y0..y5)[t] = A (v0..v3)[t], A = (Aᵀ)ᵀ. */
    private static void a(float[] v0, float[] v1, float[] v2, float[] v3, float[] y0, float[] y1, float[] y2,
            float[] y3, float[] y4, float[] y5, int n) {
        System.arraycopy(v0, 0, y0, 0, n);
        for (int t = 0; t < n; t++) {
            y1[t] = (v0[t] + v2[t]) + (v1[t] + v3[t]);
        }
        for (int t = 0; t < n; t++) {
            y2[t] = (v0[t] + v2[t]) - (v1[t] + v3[t]);
        }
        for (int t = 0; t < n; t++) {
            y3[t] = (v0[t] + 4 * v2[t]) + (2 * v1[t] + 8 * v3[t]);
        }
        for (int t = 0; t < n; t++) {
            y4[t] = (v0[t] + 4 * v2[t]) - (2 * v1[t] + 8 * v3[t]);
        }
        System.arraycopy(v3, 0, y5, 0, n);
    }

    /**
     * dW[k,c] (3×3) += Gᵀ Z G with Z (6×6) = Σ_p acc[p, :, k, c], the sum of the parts' accumulated (36, K, C)
     * products in part order; in runs of {@link #FILTER_RUN} consecutive filters, as {@link #filterTransform} in
     * reverse: 36 bulk reads per part, the transforms as loops over the run, and one read and write of the run's
     * contiguous weights.
     */
    private void weightGradient(INDArray acc, int parts, int k, int c, INDArray dW) {
        INDArray dWc = Scalars.contiguous(dW);
        FloatBuffer ab = acc.data().asNioFloat();
        FloatBuffer wb = dWc.data().asNioFloat();
        int aOff = (int) acc.offset(), wOff = (int) dWc.offset();
        int filters = k * c;
        long kc = (long) POS * filters;
        int runs = (filters + FILTER_RUN - 1) / FILTER_RUN;
        ParallelRanges.run(runs, threads(), (from, to) -> {
            float[][] z = new float[36][FILTER_RUN];   // (a, b) of every filter of the run
            float[] part = new float[FILTER_RUN];
            float[][] t = new float[18][FILTER_RUN];   // Gᵀ Z: (u, b)
            float[][] g = new float[9][FILTER_RUN];    // Gᵀ Z G: (u, v)
            float[] raw = new float[9 * FILTER_RUN];   // the run's dW, (filters, 3, 3)
            for (int run = from; run < to; run++) {
                int first = run * FILTER_RUN, len = Math.min(FILTER_RUN, filters - first);
                for (int xi = 0; xi < POS; xi++) {
                    ab.get(aOff + xi * filters + first, z[xi], 0, len);
                    for (int p = 1; p < parts; p++) {
                        ab.get((int) (aOff + p * kc + (long) xi * filters + first), part, 0, len);
                        float[] zx = z[xi];
                        for (int i = 0; i < len; i++) {
                            zx[i] += part[i];
                        }
                    }
                }
                for (int b = 0; b < 6; b++) {     // Gᵀ down column b
                    gt(z[b], z[6 + b], z[12 + b], z[18 + b], z[24 + b], z[30 + b], t[b], t[6 + b], t[12 + b], len);
                }
                for (int u = 0; u < 3; u++) {     // Gᵀ along row u
                    int tu = 6 * u;
                    gt(t[tu], t[tu + 1], t[tu + 2], t[tu + 3], t[tu + 4], t[tu + 5], g[3 * u], g[3 * u + 1],
                            g[3 * u + 2], len);
                }
                int at = wOff + first * 9;
                wb.get(at, raw, 0, 9 * len);
                for (int tap = 0; tap < 9; tap++) {
                    float[] gt = g[tap];
                    for (int i = 0; i < len; i++) {
                        raw[i * 9 + tap] += gt[i];
                    }
                }
                wb.put(at, raw, 0, 9 * len);
            }
        });
        if (dWc != dW) {
            dW.assign(dWc);
        }
    }

    /** For every t in 0..n−1: (y0, y1, y2)[t] = Gᵀ (z0..z5)[t]. */
    private static void gt(float[] z0, float[] z1, float[] z2, float[] z3, float[] z4, float[] z5, float[] y0,
            float[] y1, float[] y2, int n) {
        for (int t = 0; t < n; t++) {
            y0[t] = z0[t] * 0.25f - (z1[t] + z2[t]) * (1f / 6) + (z3[t] + z4[t]) * (1f / 24);
        }
        for (int t = 0; t < n; t++) {
            y1[t] = (z2[t] - z1[t]) * (1f / 6) + (z3[t] - z4[t]) * (1f / 12);
        }
        for (int t = 0; t < n; t++) {
            y2[t] = ((z3[t] + z4[t]) - (z1[t] + z2[t])) * (1f / 6) + z5[t];
        }
    }
}
