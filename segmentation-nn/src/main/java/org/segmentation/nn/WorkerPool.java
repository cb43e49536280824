package org.segmentation.nn;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The daemon threads behind {@link ParallelRanges}: a queue of jobs and workers that, once idle, keep polling it for
 * {@link #SPIN_NANOS} before they park.
 *
 * <p><b>Why they spin.</b> A training step of a small U-Net runs some hundreds of parallel regions of 0.1 to 1 ms.
 * On the 2-vCPU guests this library is measured on, a parked thread whose core has gone idle for a millisecond took
 * a median of 65 µs (p90 106 µs) to start a job; one idle for 50-200 µs took 4-8 µs. The caller meanwhile runs its
 * own share, so every late start is time one thread works alone. A worker that spins through the short serial
 * stretches between regions starts in about a microsecond. This is what OpenMP runtimes do by default (they spin
 * before they sleep, unless {@code OMP_WAIT_POLICY=PASSIVE}); the spin is bounded, so a worker with nothing to do
 * stops using its core after {@link #SPIN_NANOS}, and it yields as it polls, so any other thread that wants the
 * core (ND4J's own OpenMP threads, another process) runs first. Set the system property {@code segmentation.nn.spinMicros} to
 * change it; 0 parks at once.
 */
final class WorkerPool {
    /** How long an idle worker polls before it parks: {@code segmentation.nn.spinMicros} (default 1000 µs). */
    static final long SPIN_NANOS = 1000L * Long.getLong("segmentation.nn.spinMicros", 1000L);

    /** A job run at most once: by a worker, or by the caller that finds it not yet started. */
    static final class Job {
        private static final int NEW = 0, RUNNING = 1, DONE = 2;
        private final AtomicInteger state = new AtomicInteger(NEW);
        private final Runnable body;
        /** The caller parked in {@link #awaitDone}, if any. */
        private volatile Thread waiter;

        Job(Runnable body) {
            this.body = body;
        }

        /** Claims the job; true if it had not started (it then belongs to the caller, which may run or drop it). */
        boolean claim() {
            return state.compareAndSet(NEW, RUNNING);
        }

        /** Runs the body if the job had not started; a worker's entry point. */
        void runIfNew() {
            if (claim()) {
                try {
                    body.run();
                } finally {
                    state.set(DONE);
                    Thread w = waiter;
                    if (w != null) {
                        LockSupport.unpark(w);
                    }
                }
            }
        }

        /**
         * Waits for a job that a worker started: polls a little (parts of one region end close together), then
         * parks until the worker that finishes it unparks this thread.
         */
        void awaitDone() {
            for (int polls = 0; state.get() != DONE; polls++) {
                if (polls < 2_000) {
                    Thread.onSpinWait();
                } else {
                    waiter = Thread.currentThread();
                    if (state.get() != DONE) {   // a worker that finished before `waiter` was visible: seen here
                        LockSupport.park(this);
                    }
                }
            }
        }
    }

    private final ConcurrentLinkedQueue<Job> queue = new ConcurrentLinkedQueue<>();
    private final Worker[] workers;

    WorkerPool(int threads) {
        workers = new Worker[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new Worker("segmentation-parallel-" + (i + 1));
            workers[i].start();
        }
    }

    /** Queues a job and wakes one parked worker, if any is parked. */
    Job submit(Runnable body) {
        Job job = new Job(body);
        queue.add(job);
        for (Worker w : workers) {
            if (w.parked) {
                LockSupport.unpark(w);
                break;
            }
        }
        return job;
    }

    private final class Worker extends Thread {
        /** Set before the last look at the queue and park; a submitter that sees it unparks this worker. */
        volatile boolean parked;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (true) {
                Job job = queue.poll();
                if (job != null) {
                    try {
                        job.runIfNew();
                    } catch (RuntimeException | Error e) {
                        // ParallelRanges records its bodies' failures for the caller; this keeps the worker alive
                    }
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    // yield, not just pause: a thread of ND4J's own ops (OpenMP) that wants this core gets it
                    Thread.yield();
                } else {
                    parked = true;
                    // a job queued before `parked` was visible is seen here; one queued after unparks this thread
                    if (queue.isEmpty()) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
