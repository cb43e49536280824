package org.segmentation.nn;

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

    /** A new uninitialised array outside every workspace, whatever workspace is open. */
    public static INDArray detached(DataType dtype, long... shape) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.createUninitialized(dtype, shape);
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
            if (a != null && a.closeable()) {
                a.close();
            }
        }
    }
}
