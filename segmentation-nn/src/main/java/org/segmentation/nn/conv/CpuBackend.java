package org.segmentation.nn.conv;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Whether ND4J runs on its CPU backend, where an array's memory is host memory that Java loops may read and
 * write through {@link java.nio.FloatBuffer}s. The kernels that do so are chosen only when this holds.
 */
final class CpuBackend {
    private static final boolean CPU = Nd4j.getEnvironment().isCPU();

    private CpuBackend() {
    }

    static boolean isCpu() {
        return CPU;
    }
}
