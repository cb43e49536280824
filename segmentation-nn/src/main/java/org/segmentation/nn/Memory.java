package org.segmentation.nn;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.MirroringPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The memory plan of the layers, the models and the trainer. ND4J frees a detached array's off-heap memory when
 * it is {@link INDArray#close() closed}, or else only once the garbage collector finds it unreachable, which under
 * a small Java heap can be many steps later; an ND4J workspace never reuses memory within one cycle. So:
 *
 * <ul>
 *   <li><b>Outputs and caches</b> of a layer call (what the caller or the backward pass reads later) are
 *       {@link #detached} arrays, outside any workspace, and are {@link #free freed} explicitly after their last
 *       use. A layer frees only what it allocated for itself; its outputs belong to the caller, and a layer keeps
 *       references to its inputs and outputs for backward (llm.c style), which the caller keeps alive until that
 *       backward has run. In a network wired in plain Java (the U-Net), each block frees its intermediate tensors
 *       at the end of its backward, and in evaluation mode as soon as the next layer has consumed them.</li>
 *   <li><b>Temporaries</b> of one layer call (permuted copies, broadcast intermediates, a convolution's columns)
 *       are allocated in the {@link #scratch} workspace, whose memory is reused by the next call: it grows to the
 *       largest single call and stays there. A scratch scope opened inside another one does not reset, so a
 *       scratch scope must not enclose another layer call.</li>
 *   <li>Small per-channel vectors may be left to the garbage collector.</li>
 * </ul>
 *
 * <p><b>Recycling.</b> On the CPU backend a detached array of at least {@link #POOL_MIN_BYTES} is cut from a
 * recycled block: {@link #free} gives the block back, and the next array of the same type and length reuses it. Fresh
 * memory of that size comes from {@code mmap}, and every 4 KiB page of it then costs a page fault and the kernel's
 * zeroing on first touch: measured at 540 MB of faults per training step of the standard U-Net (depth 4, base 32,
 * batch 4 of 256²), about a tenth of its CPU time, before this pool. An array that is never freed returns its block
 * once the garbage collector finds it unreachable, as it did before. Blocks left unused for
 * {@link #POOL_IDLE_ALLOCATIONS} pooled allocations are released, so a shape that stops recurring does not keep its
 * memory; {@link #releasePooled} releases every free block at once.
 *
 * <p>A freed array must not be used again (the contract was the same before, when its memory was unmapped at once):
 * with recycling, a use after free reads or writes another array's data instead of crashing.
 *
 * Peak memory is then what backward needs (the activations named in the layers' caches) plus the largest
 * single call's temporaries, rather than every array allocated during a step.
 */
public final class Memory {
    /** The id of the scratch workspace; one per thread. */
    public static final String SCRATCH_ID = "segmentation-nn-scratch";

    private static final WorkspaceConfiguration SCRATCH = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.2)
            .policySpill(SpillPolicy.REALLOCATE)
            .policyMirroring(MirroringPolicy.FULL)
            .build();

    /** Detached arrays this large or larger are recycled (on the CPU backend). */
    public static final long POOL_MIN_BYTES = 1L << 20;
    /** A free block not reused within this many pooled allocations is released. */
    public static final long POOL_IDLE_ALLOCATIONS = 4096;

    private static final boolean POOL = Scalars.hostMemory();
    private static final Object LOCK = new Object();
    /** Free blocks by type and length. */
    private static final Map<String, ArrayDeque<Block>> FREE = new HashMap<>();
    /** Leased blocks by the address of their memory: a block has at most one lease at a time. */
    private static final Map<Long, Lease> LEASED = new HashMap<>();
    private static final ReferenceQueue<DataBuffer> UNREACHABLE = new ReferenceQueue<>();
    private static long allocations;

    /** One recycled allocation: a detached array that owns the memory, of one type and length. */
    private static final class Block {
        final INDArray owner;
        final String key;
        final long address;
        long idleSince;

        Block(INDArray owner, String key) {
            this.owner = owner;
            this.key = key;
            this.address = owner.data().addressPointer().address();
        }
    }

    /**
     * A block lent out as the data buffer of one array. It refers to that buffer weakly: a buffer that becomes
     * unreachable without being freed is queued, and its block is reclaimed.
     */
    private static final class Lease extends WeakReference<DataBuffer> {
        final Block block;

        Lease(DataBuffer buffer, Block block) {
            super(buffer, UNREACHABLE);
            this.block = block;
        }
    }

    private Memory() {
    }

    /**
     * Opens this thread's scratch workspace for the temporaries of one call; close it when the call ends. Nothing
     * allocated inside may be used after the close.
     *
     * <pre>{@code
     * INDArray y = Memory.detached(dtype, n, k, h, w);
     * try (MemoryWorkspace ws = Memory.scratch()) {
     *     ... temporaries, results written into y ...
     * }
     * }</pre>
     */
    public static MemoryWorkspace scratch() {
        return workspace(SCRATCH_ID);
    }

    /**
     * Opens (activates) this thread's workspace {@code id} with the scratch workspace's policy: sized by its first
     * cycle, over-allocated by 20%, reallocated when a later cycle needs more. For a caller's own per-call scope,
     * such as the predictor's; close it when the call ends.
     */
    public static MemoryWorkspace workspace(String id) {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(SCRATCH, id);
    }

    /**
     * A new uninitialised array in c order outside every workspace, whatever workspace is open; a recycled block
     * if it is large (see the class comment).
     */
    public static INDArray detached(DataType dtype, long... shape) {
        long length = 1;
        for (long d : shape) {
            length *= d;
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            if (!POOL || length * dtype.width() < POOL_MIN_BYTES) {
                return Nd4j.createUninitialized(dtype, shape);
            }
            Block block = take(dtype, length);
            // a view buffer of its own for each lease: a second free of an earlier array over the same block
            // finds another buffer, and is ignored
            DataBuffer buffer = Nd4j.createBuffer(block.owner.data(), 0, length);
            INDArray a = Nd4j.create(buffer, shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
            synchronized (LOCK) {
                LEASED.put(block.address, new Lease(buffer, block));
            }
            return a;
        }
    }

    /** A free block of this type and length, or a new one. */
    private static Block take(DataType dtype, long length) {
        String key = dtype + ":" + length;
        synchronized (LOCK) {
            reclaimUnreachable();
            allocations++;
            if (allocations % 256 == 0) {
                releaseIdle();
            }
            ArrayDeque<Block> free = FREE.get(key);
            Block b = free == null ? null : free.pollLast();
            if (b != null) {
                return b;
            }
        }
        return new Block(Nd4j.createUninitializedDetached(dtype, length), key);
    }

    private static void give(Block b) {
        b.idleSince = allocations;
        FREE.computeIfAbsent(b.key, k -> new ArrayDeque<>()).addLast(b);
    }

    /** Returns the blocks of leases whose buffers the garbage collector found unreachable. Under LOCK. */
    private static void reclaimUnreachable() {
        for (Object r; (r = UNREACHABLE.poll()) != null; ) {
            Lease lease = (Lease) r;
            if (LEASED.get(lease.block.address) == lease) {
                LEASED.remove(lease.block.address);
                give(lease.block);
            }
        }
    }

    /** Releases free blocks idle for more than POOL_IDLE_ALLOCATIONS allocations. Under LOCK. */
    private static void releaseIdle() {
        for (Iterator<ArrayDeque<Block>> it = FREE.values().iterator(); it.hasNext(); ) {
            ArrayDeque<Block> free = it.next();
            while (!free.isEmpty() && allocations - free.peekFirst().idleSince > POOL_IDLE_ALLOCATIONS) {
                free.pollFirst().owner.close();
            }
            if (free.isEmpty()) {
                it.remove();
            }
        }
    }

    /** Releases the memory of every free recycled block now (leased blocks are kept). */
    public static void releasePooled() {
        synchronized (LOCK) {
            reclaimUnreachable();
            for (ArrayDeque<Block> free : FREE.values()) {
                for (Block b : free) {
                    b.owner.close();
                }
            }
            FREE.clear();
        }
    }

    /** Bytes held by free recycled blocks: memory the process keeps for reuse. */
    public static long pooledFreeBytes() {
        synchronized (LOCK) {
            long bytes = 0;
            for (ArrayDeque<Block> free : FREE.values()) {
                for (Block b : free) {
                    bytes += b.owner.length() * b.owner.dataType().width();
                }
            }
            return bytes;
        }
    }

    /** A new zero-filled array outside every workspace. */
    public static INDArray detachedZeros(DataType dtype, long... shape) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.zeros(dtype, shape);
        }
    }

    /** A detached copy of {@code a} in c order (a copy even if {@code a} is detached already). */
    public static INDArray detachedCopy(INDArray a) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return a.dup('c');
        }
    }

    /**
     * Releases the off-heap memory of each detached array now. Null arrays, views, arrays in a workspace and arrays
     * already freed are skipped, so one tensor reachable under two names (an in-place ReLU's input and output) may
     * be passed twice. The arrays must not be used afterwards.
     */
    public static void free(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a == null) {
                continue;
            }
            if (POOL && !a.wasClosed() && returned(a)) {
                continue;
            }
            if (a.closeable()) {
                a.close();
            }
        }
    }

    /** Gives a's block back if a is the array (or a view sharing the buffer) of a current lease. */
    private static boolean returned(INDArray a) {
        DataBuffer buffer = a.data();
        if (buffer == null || buffer.length() * buffer.getElementSize() < POOL_MIN_BYTES) {
            return false;
        }
        long address = buffer.addressPointer().address();
        synchronized (LOCK) {
            Lease lease = LEASED.get(address);
            if (lease == null || lease.get() != buffer) {
                return false;
            }
            LEASED.remove(address);
            lease.clear();
            give(lease.block);
            return true;
        }
    }
}
