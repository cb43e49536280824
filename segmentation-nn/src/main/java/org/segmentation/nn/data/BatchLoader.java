package org.segmentation.nn.data;

import java.io.Closeable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;

/**
 * Cuts a dataset into mini-batches, loading and augmenting samples on background threads while the caller
 * trains on earlier batches.
 *
 * <p>Determinism: the sample order of epoch {@code e} is a shuffle seeded by {@code (seed, e)}, and sample
 * {@code i} is augmented with a generator seeded by {@code (seed, e, i)}. Neither depends on which thread
 * loads which sample nor when, so a seed gives the same batches with any thread count. Batches come out in
 * order; up to {@link Config#prefetchBatches()} batches are being prepared ahead of the one requested.
 *
 * <p>One epoch is read at a time: {@link #epoch} cancels the unstarted work of the previous epoch's iterator.
 * {@link #close} stops the worker threads; the loader owns them and no thread outlives it.
 *
 * <pre>{@code
 * try (BatchLoader loader = new BatchLoader(train, augmentation, new BatchLoader.Config(8, true, true, 42, 2, 2))) {
 *     for (int e = 0; e < epochs; e++) {
 *         for (Iterator<Batch> it = loader.epoch(e); it.hasNext(); ) {
 *             Batch b = it.next(); // (N,C,H,W) floats and (N,H,W) labels
 *         }
 *     }
 * }
 * }</pre>
 */
public final class BatchLoader implements Closeable {
    /**
     * Batching settings.
     *
     * @param batchSize samples per batch, at least 1
     * @param shuffle whether each epoch visits the samples in a new seeded order (else in dataset order)
     * @param dropLast whether to drop the last batch of an epoch when it is smaller than {@code batchSize}
     * @param seed the seed of the shuffles and of every sample's augmentation
     * @param threads worker threads; 0 loads each batch on the calling thread inside {@link Iterator#next()}
     * @param prefetchBatches how many batches are prepared ahead, at least 1 (ignored when {@code threads} is 0)
     */
    public record Config(int batchSize, boolean shuffle, boolean dropLast, long seed, int threads,
            int prefetchBatches) {
        /** @throws IllegalArgumentException if a value is out of range (the message names it) */
        public Config {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
            }
            if (threads < 0) {
                throw new IllegalArgumentException("threads must be non-negative, got " + threads);
            }
            if (prefetchBatches < 1) {
                throw new IllegalArgumentException("prefetchBatches must be at least 1, got " + prefetchBatches);
            }
        }
    }

    private final SegmentationDataset dataset;
    private final Augmentation augmentation;
    private final Config config;
    private final ExecutorService pool;
    /** The pool's threads, joined by {@link #close} so that none outlives it. */
    private final List<Thread> workers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private EpochIterator current;
    private boolean closed;

    /**
     * A loader over {@code dataset}; starts {@code config.threads()} worker threads.
     *
     * @param augmentation applied to every sample, or {@code null} for none; it must make every sample of a
     *     batch the same size (e.g. with {@link Augmentations#cropOrPad}) unless the dataset's samples already are
     */
    public BatchLoader(SegmentationDataset dataset, Augmentation augmentation, Config config) {
        if (dataset == null || config == null) {
            throw new NullPointerException("dataset and config are required");
        }
        this.dataset = dataset;
        this.augmentation = augmentation;
        this.config = config;
        if (config.threads() == 0) {
            pool = null;
        } else {
            int loaderId = System.identityHashCode(this);
            AtomicInteger threadIds = new AtomicInteger();
            ThreadFactory factory = r -> {
                String name = "batch-loader-" + Integer.toHexString(loaderId) + "-" + threadIds.incrementAndGet();
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                workers.add(t);
                return t;
            };
            pool = Executors.newFixedThreadPool(config.threads(), factory);
        }
    }

    /** The settings. */
    public Config config() {
        return config;
    }

    /** The dataset batched. */
    public SegmentationDataset dataset() {
        return dataset;
    }

    /** Number of batches in every epoch. */
    public int batchesPerEpoch() {
        int n = dataset.size();
        int b = config.batchSize();
        return config.dropLast() ? n / b : (n + b - 1) / b;
    }

    /**
     * The dataset indices in the order epoch {@code epoch} visits them: a Fisher-Yates shuffle seeded by
     * {@code (seed, epoch)}, or {@code 0..size-1} without shuffling.
     */
    public int[] order(int epoch) {
        int n = dataset.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (config.shuffle()) {
            // Stream -1 is never a sample index, so the shuffle's seed differs from every sample's.
            SplittableRandom rng = new SplittableRandom(Seeds.mix(config.seed(), epoch, -1));
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /**
     * The batches of epoch {@code epoch}. Cancels the unstarted work of the previous iterator, which must not be
     * used afterwards.
     *
     * @throws IllegalStateException if the loader is closed
     */
    public synchronized Iterator<Batch> epoch(int epoch) {
        if (closed) {
            throw new IllegalStateException("the batch loader is closed");
        }
        if (current != null) {
            current.cancel();
        }
        current = new EpochIterator(epoch, order(epoch));
        return current;
    }

    /**
     * Sample {@code index} as epoch {@code epoch} sees it: loaded and augmented with its own seeded generator.
     * What the worker threads run; public so that a caller can inspect one sample.
     */
    public Sample load(int epoch, int index) {
        Sample s = dataset.get(index);
        if (augmentation != null) {
            s = augmentation.apply(s, new SplittableRandom(Seeds.mix(config.seed(), epoch, index)));
        }
        return s;
    }

    /** Cancels pending work and stops the worker threads, waiting up to 10 s for running tasks to end. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (current != null) {
            current.cancel();
        }
        if (pool != null) {
            pool.shutdownNow();
            try {
                // A terminated pool's worker threads may still be finishing their exit: join them too.
                if (pool.awaitTermination(10, TimeUnit.SECONDS)) {
                    for (Thread t : workers) {
                        t.join(TimeUnit.SECONDS.toMillis(10));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Copies same-shaped samples into one batch. */
    private Batch assemble(int epoch, int[] indices, Sample[] samples) {
        Sample first = samples[0];
        int c = first.channels();
        int h = first.height();
        int w = first.width();
        int n = samples.length;
        float[] images = new float[n * c * h * w];
        int[] targets = new int[n * h * w];
        boolean withInstances = true;
        for (Sample s : samples) {
            withInstances &= s.instances() != null;
        }
        int[] instances = withInstances ? new int[n * h * w] : null;
        for (int k = 0; k < n; k++) {
            Sample s = samples[k];
            if (s.channels() != c || s.height() != h || s.width() != w) {
                throw new IllegalStateException("sample " + indices[k] + " is " + s.channels() + "x" + s.height()
                        + "x" + s.width() + " (CxHxW) but sample " + indices[0] + " of the same batch is " + c + "x"
                        + h + "x" + w + "; add a crop-or-pad augmentation to give all samples one size");
            }
            PlanarF32 img = s.image();
            for (int ch = 0; ch < c; ch++) {
                int dst = (k * c + ch) * h * w;
                for (int y = 0; y < h; y++) {
                    System.arraycopy(img.data, img.startIndex + ch * img.planeStride + y * img.stride, images,
                            dst + y * w, w);
                }
            }
            LabelMap t = s.target();
            for (int y = 0; y < h; y++) {
                System.arraycopy(t.data, t.startIndex + y * t.stride, targets, (k * h + y) * w, w);
            }
            if (withInstances) {
                LabelMap in = s.instances();
                for (int y = 0; y < h; y++) {
                    System.arraycopy(in.data, in.startIndex + y * in.stride, instances, (k * h + y) * w, w);
                }
            }
        }
        return new Batch(n, c, h, w, images, targets, instances, indices, epoch);
    }

    private final class EpochIterator implements Iterator<Batch> {
        private final int epoch;
        private final int[] order;
        private final int batches;
        /** Futures of the batches submitted and not yet returned, oldest first. */
        private final ArrayDeque<List<CompletableFuture<Sample>>> pending = new ArrayDeque<>();
        private int nextToReturn;
        private int nextToSubmit;
        private volatile boolean cancelled;

        EpochIterator(int epoch, int[] order) {
            this.epoch = epoch;
            this.order = order;
            this.batches = batchesPerEpoch();
            if (pool != null) {
                while (nextToSubmit < batches && nextToSubmit < config.prefetchBatches()) {
                    submitNext();
                }
            }
        }

        private int[] indicesOf(int batch) {
            int from = batch * config.batchSize();
            int to = Math.min(order.length, from + config.batchSize());
            int[] idx = new int[to - from];
            System.arraycopy(order, from, idx, 0, idx.length);
            return idx;
        }

        private void submitNext() {
            int[] idx = indicesOf(nextToSubmit++);
            List<CompletableFuture<Sample>> futures = new ArrayList<>(idx.length);
            for (int index : idx) {
                futures.add(CompletableFuture.supplyAsync(() -> load(epoch, index), pool));
            }
            pending.addLast(futures);
        }

        @Override
        public synchronized boolean hasNext() {
            return !cancelled && nextToReturn < batches;
        }

        @Override
        public synchronized Batch next() {
            if (cancelled) {
                throw new IllegalStateException("this epoch's iterator was cancelled by a later epoch() or close()");
            }
            if (nextToReturn >= batches) {
                throw new NoSuchElementException("epoch " + epoch + " has " + batches + " batches");
            }
            int[] idx = indicesOf(nextToReturn++);
            Sample[] samples = new Sample[idx.length];
            if (pool == null) {
                for (int k = 0; k < idx.length; k++) {
                    samples[k] = load(epoch, idx[k]);
                }
            } else {
                List<CompletableFuture<Sample>> futures = pending.removeFirst();
                if (nextToSubmit < batches) {
                    submitNext();
                }
                for (int k = 0; k < idx.length; k++) {
                    samples[k] = await(futures.get(k), idx[k]);
                }
            }
            return assemble(epoch, idx, samples);
        }

        private Sample await(CompletableFuture<Sample> f, int index) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for sample " + index, e);
            } catch (CancellationException e) {
                throw new IllegalStateException("loading of sample " + index + " was cancelled", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof CompletionException && e.getCause().getCause() != null
                        ? e.getCause().getCause() : e.getCause();
                if (cause instanceof RuntimeException re) {
                    // Rethrow the worker's own exception (e.g. a DatasetException naming the file) so callers can
                    // catch it by type; its stack trace shows the worker, ours is attached as suppressed.
                    re.addSuppressed(new RuntimeException("rethrown while assembling epoch " + epoch));
                    throw re;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("loading sample " + index + " failed", cause);
            }
        }

        synchronized void cancel() {
            cancelled = true;
            for (List<CompletableFuture<Sample>> futures : pending) {
                for (CompletableFuture<Sample> f : futures) {
                    f.cancel(false);
                }
            }
            pending.clear();
        }
    }
}
