package org.segmentation.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The recycling of large detached arrays in {@link Memory} (CPU backend, which the tests run on). */
class MemoryPoolTest {
    /** 2^20 floats, 4 MiB: above {@link Memory#POOL_MIN_BYTES}. A shape no other test of this JVM allocates. */
    private static final long[] LARGE = {1, 3, 1024, 347};

    private static long address(INDArray a) {
        return a.data().addressPointer().address();
    }

    @Test
    void aFreedArraysMemoryIsReusedByTheNextOfItsTypeAndLength() {
        INDArray a = Memory.detached(DataType.FLOAT, LARGE);
        a.assign(7);
        long at = address(a);
        Memory.free(a);
        INDArray b = Memory.detached(DataType.FLOAT, LARGE);
        assertEquals(at, address(b));
        // the reused array is an ordinary c-ordered array of the asked shape
        assertEquals(3 * 1024 * 347, b.length());
        b.assign(2);
        assertEquals(2.0 * b.length(), b.sumNumber().doubleValue(), 0.0);
        // another length or type gets other memory
        INDArray c = Memory.detached(DataType.DOUBLE, LARGE);
        assertNotEquals(at, address(c));
        Memory.free(b, c);
    }

    @Test
    void aSecondFreeOfAnOldArrayDoesNotReturnTheBlockOfItsSuccessor() {
        INDArray a = Memory.detached(DataType.FLOAT, LARGE);
        Memory.free(a);
        INDArray b = Memory.detached(DataType.FLOAT, LARGE);
        assertEquals(address(a), address(b));
        Memory.free(a, a);   // stale: a's lease ended when it was first freed
        INDArray c = Memory.detached(DataType.FLOAT, LARGE);
        assertNotEquals(address(b), address(c), "b's memory was lent out twice");
        Memory.free(b, c);
    }

    @Test
    void anArrayThatIsNeverFreedReturnsItsBlockWhenUnreachable() throws InterruptedException {
        long[] shape = {1, 5, 1024, 211};
        long at = address(Memory.detached(DataType.FLOAT, shape));   // dropped at once
        boolean reused = false;
        for (int attempt = 0; attempt < 50 && !reused; attempt++) {
            System.gc();
            Thread.sleep(20);
            INDArray next = Memory.detached(DataType.FLOAT, shape);
            reused = address(next) == at;
            if (!reused) {
                Memory.free(next);   // a new block: give it back too, it will be found the same way
                at = address(next);
            }
        }
        assertTrue(reused, "the garbage collector's notice never returned the block");
    }

    @Test
    void smallArraysAreNotPooledAndReleaseEmptiesThePool() {
        INDArray small = Memory.detached(DataType.FLOAT, 16, 16);
        assertTrue(small.closeable());
        Memory.free(small);
        assertTrue(small.wasClosed());
        INDArray a = Memory.detached(DataType.FLOAT, LARGE);
        Memory.free(a);
        assertTrue(Memory.pooledFreeBytes() >= 4L << 20);
        Memory.releasePooled();
        assertEquals(0, Memory.pooledFreeBytes());
    }

    @Test
    void arraysMadeInsideAWorkspaceAreStillDetached() {
        try (var ws = Memory.scratch()) {
            INDArray a = Memory.detached(DataType.FLOAT, LARGE);
            assertTrue(!a.isAttached());
            Nd4j.getExecutioner().commit();
            Memory.free(a);
        }
    }
}
