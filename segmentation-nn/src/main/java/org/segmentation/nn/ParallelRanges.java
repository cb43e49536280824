package org.segmentation.nn;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Splits {@code [0, count)} into at most {@code threads} contiguous ranges and runs a body on each: the calling
 * thread takes the first range, the others go to a shared pool of daemon threads. Used for the Java loops of the
 * CPU kernels (Winograd tile transforms, batch norm's channel loops), which touch only {@link java.nio.Buffer}s and
 * heap arrays, never ND4J ops, so they may run on any thread.
 */
public final class ParallelRanges {
    /** The number of ranges the kernels split their loops into: one per core. */
    public static final int THREADS = Runtime.getRuntime().availableProcessors();

    /** One worker per core beyond the caller's; fork-join workers are daemons, so the pool never keeps the JVM up. */
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1,
            Runtime.getRuntime().availableProcessors() - 1));

    /** A body over one range {@code [from, to)}. */
    public interface Body {
        void run(int from, int to);
    }

    private ParallelRanges() {
    }

    public static void run(int count, int threads, Body body) {
        int parts = Math.max(1, Math.min(threads, count));
        if (parts == 1) {
            body.run(0, count);
            return;
        }
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[parts - 1];
        for (int p = 1; p < parts; p++) {
            int from = (int) ((long) count * p / parts), to = (int) ((long) count * (p + 1) / parts);
            tasks[p - 1] = POOL.submit(() -> body.run(from, to));
        }
        Throwable failure = null;
        try {
            body.run(0, count / parts);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (ForkJoinTask<?> t : tasks) {
            try {
                t.join();
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }
}
