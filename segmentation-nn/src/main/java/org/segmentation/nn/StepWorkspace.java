package org.segmentation.nn;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.MirroringPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J workspace that holds one training or inference step's tensors. Open it around each step:
 *
 * <pre>{@code
 * try (MemoryWorkspace ws = StepWorkspace.open()) {
 *     params.zeroGradients();
 *     INDArray logits = model.forward(x);
 *     LossResult r = loss.compute(logits, labels);
 *     model.backward(r.dLogits());
 *     optimizer.step();
 * }
 * }</pre>
 *
 * Every array created inside (activations, caches, temporaries) lives in one block that the workspace sizes
 * during the first step and reuses on every later one, so memory does not grow with the number of steps.
 * Parameters, gradients, optimizer state and batch-norm running averages are allocated outside any workspace
 * and survive it. Arrays created inside must not be used after the step: a layer's caches are only read by the
 * backward pass of the same step. Without it, ND4J releases off-heap memory only when the Java garbage
 * collector runs, and a training loop's resident memory was measured growing by about 14 MB per step.
 */
public final class StepWorkspace {
    /** The workspace id; one per thread. */
    public static final String ID = "segmentation-nn-step";

    private static final WorkspaceConfiguration CONFIG = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.2)
            .policySpill(SpillPolicy.REALLOCATE)
            .policyMirroring(MirroringPolicy.FULL)
            .build();

    private StepWorkspace() {
    }

    /** Opens (activates) this thread's step workspace; close it at the end of the step. */
    public static MemoryWorkspace open() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, ID);
    }
}
