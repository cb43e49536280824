package org.segmentation.nn.conv;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.Memory;
import org.segmentation.nn.ParallelRanges;

/**
 * The convolution kernels' work buffers of one thread: flat arrays, one per slot, that only grow, detached from
 * every ND4J workspace and from {@link Memory}'s recycled blocks, and shared by all the layers that thread runs. A
 * kernel's work memory is therefore bounded by the largest chunk any layer needs (up to 64 MB per slot), instead
 * of growing with the number of layers. A buffer that grows frees its predecessor at once.
 * Calls on one thread run one after another, so one set per thread suffices; a buffer must not be used after the
 * kernel call that got it returns.
 */
final class ConvScratch {
    /** Transformed filters (36, K, C). */
    static final int FILTER = 0;
    /** Transformed input tiles (36, C, tiles). */
    static final int INPUT = 1;
    /** Products (36, K, tiles), or the transformed output gradient of backward-weights. */
    static final int PRODUCT = 2;
    /** Backward-weights' accumulated products (36, K, C). */
    static final int ACCUMULATOR = 3;
    /** A zero-padded input of the shifted GEMM. */
    static final int PADDED = 4;
    /** A second zero-padded input (the padded dY beside the padded x of backward-weights). */
    static final int PADDED_OTHER = 5;
    private static final int SLOTS = 6;

    private static final ThreadLocal<ConvScratch> OF_THREAD = ThreadLocal.withInitial(ConvScratch::new);

    private final INDArray[] buffers = new INDArray[SLOTS];

    private ConvScratch() {
    }

    static ConvScratch get() {
        return OF_THREAD.get();
    }

    /** Slot {@code slot}'s buffer, flat and c-contiguous, holding at least {@code length} float32 scalars. */
    INDArray buffer(int slot, long length) {
        return buffer(slot, DataType.FLOAT, length);
    }

    /**
     * Slot {@code slot}'s float32 buffer for the participants of a parallel run over {@code count} items, one slice
     * of {@code slice} scalars each: sized for the most participants such a run can have under any thread limit,
     * {@code min(}{@link ParallelRanges#THREADS}{@code , count)}, or {@code parts} if more, not for the current limit
     * alone. The limit can change from call to call (a {@link org.segmentation.nn.predict.Predictor} with concurrency
     * gives each pass the cores that the passes running at that moment leave it); sized for the current one, the
     * buffer would grow on the first call that runs wider, and the memory a call allocates would depend on timing.
     */
    INDArray slices(int slot, long slice, int parts, int count) {
        int most = Math.max(parts, Math.min(ParallelRanges.THREADS, Math.max(1, count)));
        return buffer(slot, DataType.FLOAT, most * slice);
    }

    /**
     * Slot {@code slot}'s buffer of type {@code type}, flat and c-contiguous, holding at least {@code length}
     * scalars; uninitialised.
     */
    INDArray buffer(int slot, DataType type, long length) {
        INDArray b = buffers[slot];
        if (b == null || b.length() < length || b.dataType() != type) {
            Memory.free(b);
            // fresh memory, not one of Memory's recycled blocks: this buffer lives as long as the thread, and a
            // recycled block taken here would leave circulation for good, so that the next array of its size
            // would need a new one
            b = Nd4j.createUninitializedDetached(type, Math.max(length, 1));
            buffers[slot] = b;
        }
        return b;
    }
}
