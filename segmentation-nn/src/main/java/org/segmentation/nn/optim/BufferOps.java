package org.segmentation.nn.optim;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** In-place vector helpers for the optimizers. */
final class BufferOps {
    private BufferOps() {
    }

    /** y += a·x, in place. */
    static void axpy(double a, INDArray x, INDArray y) {
        Nd4j.getBlasWrapper().level1().axpy(x.length(), a, x, y);
    }

    /** A zero vector like {@code like}, allocated outside any workspace: optimizer state outlives every step. */
    static INDArray state(INDArray like) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.zeros(like.dataType(), like.length());
        }
    }

    static void requireRate(double learningRate) {
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("expected a finite learning rate >= 0, got " + learningRate);
        }
    }
}
