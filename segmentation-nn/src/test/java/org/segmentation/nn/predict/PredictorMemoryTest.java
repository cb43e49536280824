package org.segmentation.nn.predict;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.deallocation.DeallocatableReference;
import org.nd4j.linalg.api.memory.deallocation.DeallocatorService;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;

/**
 * A prediction's data is freed when the call ends, not when the garbage collector gets round to it: every buffer
 * of floats, ints or booleans that a call allocates off the Java heap (input tensor, activations, logits,
 * probabilities, padding, tiles, flips, blending) is either in the calling thread's workspace or closed by the time
 * the call returns.
 *
 * <p>What may be left to the collector: ND4J's own bookkeeping, which this library cannot close (shape descriptors
 * and tensor-along-dimension index tables, LONG wrappers of libnd4j's cached memory; op contexts), and small
 * per-channel vectors, as {@link org.segmentation.nn.Memory} allows: at most {@value #SMALL} elements.
 *
 * <p>How: ND4J registers every detached buffer it allocates with its {@link DeallocatorService} (a map of weak
 * references, private, read by reflection), and removes it only after the garbage collector has found it
 * unreachable; a closed buffer says so ({@link DataBuffer#wasClosed()}). The entries a call adds are inspected
 * right after it. The collector may drop an entry during the call, which can hide a buffer but never report one
 * falsely. If ND4J renames the field, the test fails rather than passing vacuously.
 */
class PredictorMemoryTest {
    private static final int SMALL = 64;

    private static UNet model(long seed) {
        UNet m = new UNet(UNetConfig.of(2, 3).withDepth(2).withBaseFilters(4), seed);
        m.setTraining(false);
        return m;
    }

    private static PlanarF32 image(int w, int h, long seed) {
        Random rng = new Random(seed);
        PlanarF32 im = new PlanarF32(2, w, h);
        for (int i = 0; i < im.data.length; i++) {
            im.data[i] = (float) rng.nextGaussian();
        }
        return im;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, DeallocatableReference> registered() throws ReflectiveOperationException {
        Field f = DeallocatorService.class.getDeclaredField("referenceMap");
        f.setAccessible(true);
        return (Map<String, DeallocatableReference>) f.get(Nd4j.getDeallocatorService());
    }

    /** Data buffers registered since {@code before} that are neither closed, nor in a workspace, nor views. */
    private static List<String> openDataBuffers(Set<String> before) throws ReflectiveOperationException {
        List<String> open = new ArrayList<>();
        for (Map.Entry<String, DeallocatableReference> e : new ArrayList<>(registered().entrySet())) {
            if (before.contains(e.getKey()) || !(e.getValue().get() instanceof DataBuffer b)) {
                continue;
            }
            DataBuffer owner = b.originalDataBuffer() != null ? b.originalDataBuffer() : b;
            boolean data = b.dataType() == DataType.FLOAT || b.dataType() == DataType.DOUBLE
                    || b.dataType() == DataType.INT || b.dataType() == DataType.BOOL;
            if (data && !b.wasClosed() && !owner.isAttached() && owner == b && !b.isConstant()
                    && b.length() > SMALL) {
                open.add(b.dataType() + "[" + b.length() + "]");
            }
        }
        return open;
    }

    private static void assertCallFreesItsData(String what, Runnable call) throws ReflectiveOperationException {
        assertCallFreesItsData(what, call, call);   // first call: workspaces sized, caches filled
    }

    /** After {@code first}, {@code second} leaves no data buffer to the garbage collector. */
    private static void assertCallFreesItsData(String what, Runnable first, Runnable second)
            throws ReflectiveOperationException {
        first.run();
        Set<String> before = new HashSet<>(registered().keySet());
        second.run();
        List<String> open = openDataBuffers(before);
        assertTrue(open.isEmpty(), what + ": buffers left for the garbage collector: " + open);
    }

    @Test
    void wholeImageTiledFlippedAndBatchedPredictionsFreeTheirData() throws ReflectiveOperationException {
        UNet m = model(3);
        PlanarF32 odd = image(37, 29, 1);            // padded to 40 x 32
        Predictor whole = new Predictor(m, PredictorConfig.wholeImage());
        assertCallFreesItsData("labels", () -> whole.labels(odd));
        assertCallFreesItsData("probabilities", () -> whole.probabilities(odd));
        assertCallFreesItsData("a batch of three", () -> whole.labels(List.of(odd, image(37, 29, 2),
                image(37, 29, 3))));
        Predictor tiled = new Predictor(m, PredictorConfig.tiled(16).withFlipTta(true).withBatchSize(3));
        assertCallFreesItsData("tiles and flips", () -> tiled.labels(image(50, 41, 4)));
        Predictor auto = new Predictor(m, PredictorConfig.wholeImage().withMaxWholePixels(32 * 32));
        assertCallFreesItsData("automatic tiles", () -> auto.probabilities(image(70, 40, 5)));
    }

    /**
     * A concurrent predictor gives each pass the cores the passes running at that moment leave it, so one call may
     * run on one thread and the next on all of them: a call's memory must not depend on that. (This failed at
     * random in {@link #concurrentPredictionsOnModelCopiesFreeTheirData} while the kernels' work buffers were sized
     * for the current thread limit.)
     */
    @Test
    void aCallOnMoreThreadsThanTheFirstAllocatesNothingNew() throws ReflectiveOperationException {
        Predictor p = new Predictor(model(5), PredictorConfig.wholeImage());
        PlanarF32 im = image(40, 24, 8);
        assertCallFreesItsData("a call on " + ParallelRanges.THREADS + " threads after one on 1",
                () -> ParallelRanges.withThreads(1, () -> p.labels(im)), () -> p.labels(im));
    }

    @Test
    void concurrentPredictionsOnModelCopiesFreeTheirData() throws Exception {
        Predictor p = new Predictor(model(4), PredictorConfig.wholeImage().withConcurrency(2));
        List<PlanarF32> images = List.of(image(40, 24, 6), image(40, 24, 7));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Runnable both = () -> {
                try {
                    List<Future<?>> calls = new ArrayList<>();
                    for (PlanarF32 im : images) {
                        calls.add(pool.submit(() -> p.labels(im)));
                    }
                    for (Future<?> f : calls) {
                        f.get();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            assertCallFreesItsData("two threads on two model copies", both);
        } finally {
            pool.shutdown();
        }
    }
}
