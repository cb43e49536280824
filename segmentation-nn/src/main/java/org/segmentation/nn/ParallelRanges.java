package org.segmentation.nn;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Splits {@code [0, count)} into at most {@code threads} contiguous ranges and runs a body on each: the calling
 * thread takes the first range, the others go to a shared pool of daemon threads. Used for the Java loops of the
 * CPU kernels (Winograd tile transforms, batch norm's channel loops), which touch only {@link java.nio.Buffer}s and
 * heap arrays, never ND4J ops, so they may run on any thread.
 *
 * <p><b>How many threads.</b> A kernel asks {@link #threads()}: every core by default, fewer inside
 * {@link #withThreads} (a Spark task or one of several concurrent predictions takes one core this way), and 1 inside
 * a range body, so that nested kernels never multiply threads.
 */
public final class ParallelRanges {
    /** The cores of the machine: the default number of ranges. */
    public static final int THREADS = Runtime.getRuntime().availableProcessors();

    /** The calling thread's limit, if it has one. */
    private static final ThreadLocal<Integer> LIMIT = new ThreadLocal<>();

    /** One worker per core beyond the caller's, daemons that spin briefly when idle ({@link WorkerPool}). */
    private static final WorkerPool POOL = new WorkerPool(Math.max(1, Runtime.getRuntime().availableProcessors() - 1));

    /** A body over one range {@code [from, to)}. */
    public interface Body {
        void run(int from, int to);
    }

    private ParallelRanges() {
    }

    /** The threads a kernel called on this thread may use: its {@link #withThreads} limit, else every core. */
    public static int threads() {
        Integer limit = LIMIT.get();
        return limit == null ? THREADS : limit;
    }

    /** Runs {@code body} with the kernels it calls on this thread limited to {@code threads} threads (≥ 1). */
    public static void withThreads(int threads, Runnable body) {
        callWithThreads(threads, () -> {
            body.run();
            return null;
        });
    }

    /** A computation that may throw a checked exception. */
    public interface Task<T, E extends Exception> {
        T run() throws E;
    }

    /** {@link #withThreads(int, Runnable)} for a computation with a result or a checked exception. */
    public static <T, E extends Exception> T callWithThreads(int threads, Task<T, E> task) throws E {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        Integer before = LIMIT.get();
        LIMIT.set(threads);
        try {
            return task.run();
        } finally {
            restore(before);
        }
    }

    private static void restore(Integer limit) {
        if (limit == null) {
            LIMIT.remove();
        } else {
            LIMIT.set(limit);
        }
    }

    /** {@link #run(int, int, Body)} with {@link #threads()} threads. */
    public static void run(int count, Body body) {
        run(count, threads(), body);
    }

    /**
     * Runs body over {@code [0, count)} split into at most {@code threads} contiguous ranges, in parallel; the first
     * range on the calling thread. Each body runs with a limit of one thread, so kernels it calls stay sequential.
     */
    public static void run(int count, int threads, Body body) {
        runParts(count, threads, (part, from, to) -> body.run(from, to));
    }

    /** A body over one range {@code [from, to)} that also receives the range's index among the parts. */
    public interface PartBody {
        void run(int part, int from, int to);
    }

    /**
     * {@link #run(int, int, Body)}, telling each body which part it runs: part p of P covers
     * {@code [count·p/P, count·(p+1)/P)}, P = min(threads, count), at least 1.
     */
    public static void runParts(int count, int threads, PartBody body) {
        int parts = Math.max(1, Math.min(threads, count));
        if (parts == 1) {
            body.run(0, 0, count);
            return;
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        WorkerPool.Job[] jobs = new WorkerPool.Job[parts - 1];
        Runnable[] bodies = new Runnable[parts - 1];
        for (int p = 1; p < parts; p++) {
            int part = p, from = (int) ((long) count * p / parts), to = (int) ((long) count * (p + 1) / parts);
            bodies[p - 1] = () -> recording(failure, () -> sequential((f, t) -> body.run(part, f, t), from, to));
            jobs[p - 1] = POOL.submit(bodies[p - 1]);
        }
        recording(failure, () -> sequential((f, t) -> body.run(0, f, t), 0, count / parts));
        for (int p = 0; p < parts - 1; p++) {
            if (jobs[p].claim()) {
                bodies[p].run();       // no worker took it yet: the caller runs it
            } else {
                jobs[p].awaitDone();
            }
        }
        rethrow(failure.get());
    }

    /** Runs r, keeping the first exception or error of any thread in {@code failure} (as thrown, not wrapped). */
    private static void recording(AtomicReference<Throwable> failure, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
        }
    }

    private static void rethrow(Throwable failure) {
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    /** {@link #runDynamic(int, int, Body)} in about four chunks per thread. */
    public static void runDynamic(int count, Body body) {
        runDynamic(count, Math.max(1, count / (4 * threads())), body);
    }

    /**
     * Runs body over {@code [0, count)} in chunks of {@code grain} taken from a shared counter by up to
     * {@link #threads()} threads, the caller included, so that a thread that runs slower (a busy core, a cold cache)
     * does less of the work instead of holding up the others. A helper that has not started by the time the chunks
     * run out is withdrawn without waiting for it. Chunks must not depend on which thread runs them; each body runs
     * with a limit of one thread.
     */
    public static void runDynamic(int count, int grain, Body body) {
        runDynamicParts(count, grain, (part, from, to) -> body.run(from, to));
    }

    /**
     * How many participants {@link #runDynamicParts} uses for these arguments under the current limit: at least 1,
     * at most {@link #threads()}.
     */
    public static int dynamicParts(int count, int grain) {
        return Math.max(1, Math.min(threads(), chunks(count, grain)));
    }

    /** Chunks of {@code grain} that cover {@code [0, count)}. */
    private static int chunks(int count, int grain) {
        if (grain < 1) {
            throw new IllegalArgumentException("grain must be at least 1, got " + grain);
        }
        return (int) ((count + (long) grain - 1) / grain);
    }

    /**
     * {@link #runDynamic(int, int, Body)}, telling each body which participant runs it: 0 is the calling thread,
     * 1 to {@link #dynamicParts}−1 the helpers, each index used by one thread at a time. A kernel can thus hand
     * each participant its own slice of a work buffer that the caller owns, instead of letting helper threads keep
     * buffers of their own.
     */
    public static void runDynamicParts(int count, int grain, PartBody body) {
        int parts = dynamicParts(count, grain);
        if (parts == 1) {
            body.run(0, 0, count);
            return;
        }
        int chunks = chunks(count, grain);
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        WorkerPool.Job[] jobs = new WorkerPool.Job[parts - 1];
        for (int p = 0; p < parts - 1; p++) {
            int part = p + 1;
            jobs[p] = POOL.submit(() -> recording(failure, () -> share(count, grain, chunks, next, part, body)));
        }
        recording(failure, () -> share(count, grain, chunks, next, 0, body));
        for (WorkerPool.Job job : jobs) {
            if (!job.claim()) {
                job.awaitDone();   // started: wait for it (one never started has nothing left to do)
            }
        }
        rethrow(failure.get());
    }

    /** One participant's share of {@link #runDynamicParts}: chunks from {@code next} until none is left. */
    private static void share(int count, int grain, int chunks, AtomicInteger next, int part, PartBody body) {
        try {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                sequential((f, t) -> body.run(part, f, t), c * grain, (int) Math.min(count, (long) (c + 1) * grain));
            }
        } catch (RuntimeException | Error e) {
            next.set(chunks);   // the others stop at their next chunk
            throw e;
        }
    }

    private static void sequential(Body body, int from, int to) {
        Integer before = LIMIT.get();
        LIMIT.set(1);
        try {
            body.run(from, to);
        } finally {
            restore(before);
        }
    }
}
