package org.segmentation.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelRangesTest {
    /** Runs body over count indices and checks every index ran exactly once. */
    private static void coversEachIndexOnce(int count, int grain, int threads) {
        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(count, 1));
        ParallelRanges.withThreads(threads, () -> ParallelRanges.runDynamic(count, grain, (from, to) -> {
            for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
            }
        }));
        for (int i = 0; i < count; i++) {
            assertEquals(1, hits.get(i), "index " + i + " of " + count + ", grain " + grain + ", " + threads + " threads");
        }
    }

    @Test
    void dynamicChunksCoverEveryIndexExactlyOnce() {
        for (int threads : new int[] {1, 2, 3, 8}) {
            for (int count : new int[] {0, 1, 2, 7, 64, 1001}) {
                for (int grain : new int[] {1, 3, 64, 5000}) {
                    coversEachIndexOnce(count, grain, threads);
                }
            }
        }
    }

    @Test
    void bodiesRunWithALimitOfOneThreadAndTheCallersLimitIsRestored() {
        AtomicIntegerArray seen = new AtomicIntegerArray(16);
        ParallelRanges.withThreads(4, () -> {
            ParallelRanges.runDynamic(16, 1, (from, to) -> seen.set(from, ParallelRanges.threads()));
            assertEquals(4, ParallelRanges.threads());
        });
        for (int i = 0; i < 16; i++) {
            assertEquals(1, seen.get(i), "nested kernels would multiply threads");
        }
        assertEquals(ParallelRanges.THREADS, ParallelRanges.threads());
    }

    @Test
    void aFailureInAnyChunkReachesTheCallerAsThrown() {
        // whichever thread runs the failing chunk (the caller or a helper), the caller gets that very exception,
        // not a copy wrapping it; repeated, since which thread takes chunk 37 varies
        for (int attempt = 0; attempt < 50; attempt++) {
            IllegalStateException boom = new IllegalStateException("chunk 37");
            IllegalStateException dynamic = assertThrows(IllegalStateException.class,
                    () -> ParallelRanges.withThreads(3, () -> ParallelRanges.runDynamic(100, 1, (from, to) -> {
                        if (from == 37) {
                            throw boom;
                        }
                    })));
            assertSame(boom, dynamic);
            IllegalStateException fixed = assertThrows(IllegalStateException.class,
                    () -> ParallelRanges.run(100, 3, (from, to) -> {
                        if (from <= 70 && 70 < to) {
                            throw boom;
                        }
                    }));
            assertSame(boom, fixed);
        }
        assertEquals(ParallelRanges.THREADS, ParallelRanges.threads());
    }

    @Test
    void eachDynamicParticipantIndexBelongsToOneThreadAndTheCallerIsZero() {
        // a kernel hands participant p slice p of the caller's buffers: an index used by two threads at once would
        // let them overwrite each other's slice
        for (int attempt = 0; attempt < 20; attempt++) {
            int parts = ParallelRanges.callWithThreads(3, () -> ParallelRanges.dynamicParts(200, 1));
            assertEquals(3, parts);
            Thread[] owner = new Thread[parts];
            AtomicIntegerArray busy = new AtomicIntegerArray(parts);
            AtomicIntegerArray hits = new AtomicIntegerArray(200);
            Thread caller = Thread.currentThread();
            ParallelRanges.withThreads(3, () -> ParallelRanges.runDynamicParts(200, 1, (part, from, to) -> {
                assertEquals(0, busy.getAndIncrement(part), "participant " + part + " runs twice at once");
                synchronized (owner) {
                    if (owner[part] == null) {
                        owner[part] = Thread.currentThread();
                    }
                    assertSame(owner[part], Thread.currentThread(), "participant " + part + " on two threads");
                }
                if (part == 0) {
                    assertSame(caller, Thread.currentThread());
                }
                hits.incrementAndGet(from);
                Thread.onSpinWait();
                busy.decrementAndGet(part);
            }));
            for (int i = 0; i < 200; i++) {
                assertEquals(1, hits.get(i), "chunk " + i);
            }
        }
        assertEquals(1, ParallelRanges.callWithThreads(3, () -> ParallelRanges.dynamicParts(0, 1)));
        assertEquals(2, ParallelRanges.callWithThreads(3, () -> ParallelRanges.dynamicParts(10, 5)));
    }

    @Test
    void aParkedWorkerWakesForTheNextRegion() throws InterruptedException {
        // the pool's workers spin for WorkerPool.SPIN_NANOS after their last job, then park; a region submitted
        // after that must wake one (a lost wake-up would leave the caller to run every part alone). Two parts of
        // 100 ms each: a worker that wakes takes the second while the caller runs the first.
        boolean helped = false;
        for (int attempt = 0; attempt < 3 && !helped; attempt++) {
            Thread.sleep(WorkerPool.SPIN_NANOS / 1_000_000 + 50);
            Thread caller = Thread.currentThread();
            boolean[] other = new boolean[1];
            ParallelRanges.run(2, 2, (from, to) -> {
                if (Thread.currentThread() != caller) {
                    other[0] = true;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            helped = other[0];
        }
        assertTrue(helped, "no worker took a part after the pool had parked");
    }

    @Test
    void limitsBelowOneAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ParallelRanges.withThreads(0, () -> { }));
        assertThrows(IllegalArgumentException.class, () -> ParallelRanges.runDynamic(10, 0, (from, to) -> { }));
    }
}
