package org.segmentation.nn.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.nn.io.SafeTensors;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;

/** {@link Predictor} with small U-Nets: sizes, padding, tiles, flips, threads, batches and instances. */
class UNetPredictorTest {
    /** Depth 2 (size multiple 4), 4 base filters, 3 classes, batch norm with non-trivial running statistics. */
    private static UNet model(int inputChannels, long seed) {
        UNet m = new UNet(UNetConfig.of(inputChannels, 3).withDepth(2).withBaseFilters(4), seed);
        Random rng = new Random(seed);
        for (INDArray b : m.buffers().values()) {
            // eval mode uses these: mean in [-0.2, 0.2], variance in [0.5, 1.5]
            double base = b.getDouble(0) == 0 ? 0 : 1;
            for (long i = 0; i < b.length(); i++) {
                b.putScalar(i, base == 0 ? 0.4 * rng.nextDouble() - 0.2 : 0.5 + rng.nextDouble());
            }
        }
        m.setTraining(false);
        return m;
    }

    private static PlanarF32 image(int c, int w, int h, long seed) {
        Random rng = new Random(seed);
        PlanarF32 im = new PlanarF32(c, w, h);
        for (int i = 0; i < im.data.length; i++) {
            im.data[i] = (float) rng.nextGaussian();
        }
        return im;
    }

    @Test
    void anySizeGivesProbabilitiesOfTheInputSize() {
        UNet m = model(2, 1);
        for (PredictorConfig cfg : List.of(PredictorConfig.wholeImage(),
                PredictorConfig.wholeImage().withPadding(PredictorConfig.Padding.ZERO),
                PredictorConfig.tiled(16).withFlipTta(true))) {
            Predictor p = new Predictor(m, cfg);
            for (int[] size : new int[][] {{13, 7}, {1, 1}, {3, 9}, {21, 18}}) {
                PlanarF32 probs = p.probabilities(image(2, size[0], size[1], 3));
                assertEquals(3, probs.channels);
                assertEquals(size[0], probs.width, cfg.toString());
                assertEquals(size[1], probs.height, cfg.toString());
                for (int i = 0; i < size[0] * size[1]; i++) {
                    float sum = probs.data[i] + probs.data[i + probs.planeStride] + probs.data[i + 2 * probs.planeStride];
                    assertEquals(1f, sum, 1e-5f, "probabilities sum to 1 up to float rounding");
                }
                LabelMap labels = p.labels(image(2, size[0], size[1], 3));
                assertEquals(size[0], labels.width);
                assertEquals(size[1], labels.height);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new Predictor(m, PredictorConfig.tiled(18)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Predictor(m, PredictorConfig.wholeImage()).probabilities(image(3, 8, 8, 1)));
        assertTrue(e.getMessage().contains("(2,*,*)") && e.getMessage().contains("(3,8,8)"), e.getMessage());
    }

    /** Labels are the argmax of the probabilities, or P(foreground) > 0.5 for a binary (sigmoid) head. */
    @Test
    void labelsFollowTheProbabilities() {
        UNet binary = new UNet(UNetConfig.binary(1).withDepth(2).withBaseFilters(4), 12);
        UNet multi = model(1, 13);
        UNet multiDouble = new UNet(UNetConfig.of(1, 3).withDepth(2).withBaseFilters(4)
                .withDtype(DataType.DOUBLE), 13);
        PlanarF32 im = image(1, 11, 9, 14);
        for (UNet m : List.of(binary, multi, multiDouble)) {
            Predictor p = new Predictor(m, PredictorConfig.wholeImage());
            PlanarF32 probs = p.probabilities(im);
            LabelMap labels = p.labels(im);
            assertEquals(m.outputChannels(), probs.channels);
            for (int i = 0; i < 11 * 9; i++) {
                int best = 0;
                if (probs.channels == 1) {
                    best = probs.data[i] > 0.5f ? 1 : 0;
                } else {
                    for (int c = 1; c < probs.channels; c++) {
                        best = probs.data[c * probs.planeStride + i] > probs.data[best * probs.planeStride + i]
                                ? c : best;
                    }
                }
                assertEquals(best, labels.data[i]);
            }
            assertArrayEquals(labels.data, Predictor.labelsOf(probs).data, "labelsOf(probabilities) = labels");
        }
    }

    /** Zero padding by hand (the image placed in the top-left of a zero image of a multiple of 4), then cropped. */
    @Test
    void paddedImagesAreCroppedBack() {
        UNet m = model(1, 2);
        PlanarF32 small = image(1, 13, 7, 4);
        PlanarF32 big = new PlanarF32(1, 16, 8);
        for (int y = 0; y < 7; y++) {
            System.arraycopy(small.data, y * 13, big.data, y * 16, 13);
        }
        Predictor zero = new Predictor(m, PredictorConfig.wholeImage().withPadding(PredictorConfig.Padding.ZERO));
        PlanarF32 a = zero.probabilities(small);
        PlanarF32 b = zero.probabilities(big);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 7; y++) {
                for (int x = 0; x < 13; x++) {
                    assertEquals(b.get(c, x, y), a.get(c, x, y), 1e-6f);
                }
            }
        }
    }

    @Test
    void reflectPaddingMirrorsWithoutTheEdgeLikeNumpy() {
        INDArray row = Nd4j.createFromArray(1f, 2f, 3f).reshape(1, 1, 1, 3);
        // np.pad([1, 2, 3], (0, 5), 'reflect') = [1, 2, 3, 2, 1, 2, 3, 2]
        INDArray padded = Predictor.pad(row, 0, 5, PredictorConfig.Padding.REFLECT);
        assertArrayEquals(new float[] {1, 2, 3, 2, 1, 2, 3, 2}, padded.data().asFloat());
        INDArray col = Nd4j.createFromArray(1f, 2f, 3f).reshape(1, 1, 3, 1);
        INDArray both = Predictor.pad(col, 2, 1, PredictorConfig.Padding.REFLECT);  // single column: repeated
        assertArrayEquals(new long[] {1, 1, 5, 2}, both.shape());
        assertArrayEquals(new float[] {1, 1, 2, 2, 3, 3, 2, 2, 1, 1}, both.dup('c').data().asFloat());
    }

    /** Probabilities and labels of the PyTorch-trained model are the softmax and argmax of PyTorch's logits. */
    @Test
    void pytorchModelProbabilitiesAndLabels() throws Exception {
        Path dir = resource("/org/segmentation/nn/model/unet_torch_transposed");
        UNet m = UNet.load(dir);
        TensorFile io = SafeTensors.read(dir.resolve("io.safetensors"));
        float[] x = io.get("input").floats();
        float[] logits = io.get("logits").floats();
        long[] s = io.get("logits").shape();        // (2,3,16,12)
        int k = (int) s[1], h = (int) s[2], w = (int) s[3];
        Predictor p = new Predictor(m, PredictorConfig.wholeImage());
        List<PlanarF32> images = new ArrayList<>();
        for (int n = 0; n < 2; n++) {
            float[] d = new float[2 * h * w];
            System.arraycopy(x, n * d.length, d, 0, d.length);
            images.add(PlanarF32.wrap(d, 2, w, h));
        }
        List<PlanarF32> probs = p.probabilities(images);
        List<LabelMap> labels = p.labels(images);
        int[] counts = new int[k];
        for (int n = 0; n < 2; n++) {
            for (int i = 0; i < h * w; i++) {
                double[] e = new double[k];
                double sum = 0;
                int best = 0;
                for (int c = 0; c < k; c++) {
                    e[c] = Math.exp(logits[(n * k + c) * h * w + i]);
                    sum += e[c];
                    best = e[c] > e[best] ? c : best;
                }
                for (int c = 0; c < k; c++) {
                    // float32 logits within 1e-4 of PyTorch's change a probability by at most 1e-4/2
                    assertEquals(e[c] / sum, probs.get(n).data[c * h * w + i], 1e-4);
                }
                assertEquals(best, labels.get(n).data[i]);
                counts[best]++;
            }
        }
        assertTrue(counts[0] > 0 && counts[1] + counts[2] > 0, "more than one label: " + java.util.Arrays.toString(counts));
    }

    /**
     * Tiles start at multiples of the size multiple (4), so inside a tile the network sees what it sees in the
     * whole image; tile and whole-image outputs then agree wherever the receptive field does not reach a tile
     * edge that is not an image edge. Receptive radius of a depth-2 U-Net of 3x3 convolutions: 2 (level 1) + 1
     * (pool) + 4 (level 2) + 2 (pool) + 8 (bottleneck) + 3 (up-convs) + 4 + 2 (decoder) = 26 pixels; the margin
     * is 32. Where one tile covers a pixel the Gaussian blend returns that tile's value (w·p/w): tolerance 1e-5
     * for float32 rounding of the blend and of the summation orders of different batch sizes.
     */
    @Test
    void tiledEqualsWholeImageAwayFromTileBorders() {
        UNet m = model(1, 5);
        PlanarF32 im = image(1, 90, 100, 6);
        PlanarF32 whole = new Predictor(m, PredictorConfig.wholeImage()).probabilities(im);
        PlanarF32 tiled = new Predictor(m, PredictorConfig.tiled(64).withTileOverlap(16)).probabilities(im);
        long[] ys = Predictor.tileStarts(100, 64, 16, 4);   // padded height 100
        long[] xs = Predictor.tileStarts(92, 64, 16, 4);    // padded width 92
        assertArrayEquals(new long[] {0, 36}, ys);
        assertArrayEquals(new long[] {0, 28}, xs);
        int margin = 32;
        int checked = 0;
        for (int y = 0; y < 100; y++) {
            for (int x = 0; x < 90; x++) {
                if (nearInnerTileEdge(y, ys, 64, 100, margin) || nearInnerTileEdge(x, xs, 64, 92, margin)) {
                    continue;
                }
                checked++;
                for (int c = 0; c < 3; c++) {
                    assertEquals(whole.get(c, x, y), tiled.get(c, x, y), 1e-5f, "at " + x + "," + y);
                }
            }
        }
        assertTrue(checked > 2000, "checked " + checked + " pixels");
    }

    /** True if a tile covering p has an edge that is not the image's within margin of p. */
    private static boolean nearInnerTileEdge(int p, long[] starts, int tile, int length, int margin) {
        for (long s : starts) {
            if (p >= s && p < s + tile) {
                boolean nearStart = s > 0 && p - s < margin;
                boolean nearEnd = s + tile < length && s + tile - 1 - p < margin;
                if (nearStart || nearEnd) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The blend computed by hand from each tile's own whole-image prediction: Σ g·p / Σ g with g the Gaussian
     * (sigma = tile/8) of each tile covering the pixel. Tolerance 1e-5: float32 rounding.
     */
    @Test
    void tilesAreBlendedWithGaussianWeights() {
        UNet m = model(1, 7);
        int t = 32;
        PlanarF32 im = image(1, 48, 40, 8);
        PlanarF32 tiled = new Predictor(m, PredictorConfig.tiled(t).withTileOverlap(16)).probabilities(im);
        long[] ys = Predictor.tileStarts(40, t, 16, 4);
        long[] xs = Predictor.tileStarts(48, t, 16, 4);
        INDArray g = Predictor.gaussianWeights(t, DataType.FLOAT);
        assertEquals(1.0, g.maxNumber().doubleValue(), 1e-6);
        double centre = (t - 1) / 2.0;
        assertEquals(Math.exp(-(Math.pow(0 - centre, 2) * 2) / (2 * 4.0 * 4.0)), g.getDouble(0, 0), 1e-6);
        Predictor whole = new Predictor(m, PredictorConfig.wholeImage());
        double[][][] num = new double[3][40][48];
        double[][] den = new double[40][48];
        for (long y0 : ys) {
            for (long x0 : xs) {
                PlanarF32 p = whole.probabilities(im.subimage((int) x0, (int) y0, (int) x0 + t, (int) y0 + t));
                for (int y = 0; y < t; y++) {
                    for (int x = 0; x < t; x++) {
                        double wgt = g.getDouble(y, x);
                        den[(int) y0 + y][(int) x0 + x] += wgt;
                        for (int c = 0; c < 3; c++) {
                            num[c][(int) y0 + y][(int) x0 + x] += wgt * p.get(c, x, y);
                        }
                    }
                }
            }
        }
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 40; y++) {
                for (int x = 0; x < 48; x++) {
                    assertEquals(num[c][y][x] / den[y][x], tiled.get(c, x, y), 1e-5, "at " + x + "," + y);
                }
            }
        }
    }

    /** TTA = mean over the four flips of the flipped image's prediction flipped back, flips done by hand. */
    @Test
    void flipTtaIsTheMeanOfTheFlippedPredictions() {
        UNet m = model(2, 9);
        PlanarF32 im = image(2, 13, 10, 10);
        PlanarF32 tta = new Predictor(m, PredictorConfig.wholeImage().withFlipTta(true)).probabilities(im);
        Predictor plain = new Predictor(m, PredictorConfig.wholeImage());
        float[] mean = new float[tta.data.length];
        for (int f = 0; f < 4; f++) {
            boolean fx = (f & 1) != 0, fy = (f & 2) != 0;
            PlanarF32 p = flip(plain.probabilities(flip(im, fx, fy)), fx, fy);
            for (int i = 0; i < mean.length; i++) {
                mean[i] += p.data[i] / 4;
            }
        }
        assertArrayEquals(mean, tta.data, 1e-6f);
        // and the flips matter: this random model is not flip-equivariant
        PlanarF32 once = plain.probabilities(im);
        float maxDiff = 0;
        for (int i = 0; i < mean.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(once.data[i] - tta.data[i]));
        }
        assertTrue(maxDiff > 1e-3, "TTA changed nothing: " + maxDiff);
    }

    private static PlanarF32 flip(PlanarF32 im, boolean fx, boolean fy) {
        PlanarF32 out = new PlanarF32(im.channels, im.width, im.height);
        for (int c = 0; c < im.channels; c++) {
            for (int y = 0; y < im.height; y++) {
                for (int x = 0; x < im.width; x++) {
                    out.set(c, fx ? im.width - 1 - x : x, fy ? im.height - 1 - y : y, im.get(c, x, y));
                }
            }
        }
        return out;
    }

    /** Several threads at once get exactly the results of sequential calls; also batches vs single images. */
    @Test
    void concurrentCallsGiveTheSequentialResults() throws Exception {
        UNet m = model(1, 11);
        Predictor p = new Predictor(m, PredictorConfig.tiled(16));
        List<PlanarF32> images = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            images.add(image(1, 20 + i, 17 + 2 * i, 20 + i));
        }
        List<PlanarF32> expected = new ArrayList<>();
        for (PlanarF32 im : images) {
            expected.add(p.probabilities(im));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<PlanarF32>>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final int shift = t;
                results.add(pool.submit(() -> {
                    List<PlanarF32> out = new ArrayList<>();
                    for (int r = 0; r < 2; r++) {
                        for (int i = 0; i < 4; i++) {
                            out.add(p.probabilities(images.get((i + shift) % 4)));
                        }
                    }
                    return out;
                }));
            }
            for (int t = 0; t < 4; t++) {
                List<PlanarF32> out = results.get(t).get();
                for (int j = 0; j < out.size(); j++) {
                    assertArrayEquals(expected.get((j % 4 + t) % 4).data, out.get(j).data, "thread " + t);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        // a batch of same-size images equals one image at a time (float32 GEMM order may differ: 1e-5)
        Predictor whole = new Predictor(m, PredictorConfig.wholeImage().withBatchSize(3));
        List<PlanarF32> same = List.of(image(1, 12, 8, 1), image(1, 12, 8, 2), image(1, 12, 8, 3), image(1, 9, 5, 4));
        List<PlanarF32> batched = whole.probabilities(same);
        for (int i = 0; i < same.size(); i++) {
            assertArrayEquals(whole.probabilities(same.get(i)).data, batched.get(i).data, 1e-5f);
        }
    }

    /**
     * Two touching cells drawn by hand as a 3-class map: interiors (P = 0.9) ringed by boundary (P = 0.8), so the
     * boundary between the cells is two pixels wide. The watershed splits it down the middle: each cell gets
     * exactly its own rectangle, background stays 0.
     */
    @Test
    void instancesFromAHandMadeThreeClassMap() {
        int w = 20, h = 12;
        PlanarF32 probs = new PlanarF32(3, w, h);
        LabelMap expected = new LabelMap(w, h);
        int[][] cells = {{2, 2, 8, 9}, {9, 2, 15, 9}, {17, 5, 19, 8}}; // x0, y0, x1, y1 inclusive; cell 3 has no interior
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                probs.set(0, x, y, 0.9f);
                probs.set(1, x, y, 0.05f);
                probs.set(2, x, y, 0.05f);
            }
        }
        for (int i = 0; i < 2; i++) {
            int[] c = cells[i];
            for (int y = c[1]; y <= c[3]; y++) {
                for (int x = c[0]; x <= c[2]; x++) {
                    boolean ring = x == c[0] || x == c[2] || y == c[1] || y == c[3];
                    probs.set(0, x, y, 0.05f);
                    probs.set(1, x, y, ring ? 0.15f : 0.9f);
                    probs.set(2, x, y, ring ? 0.8f : 0.05f);
                    expected.set(x, y, i + 1);
                }
            }
        }
        // foreground with no confident interior, not connected to a marker: no marker reaches it, it stays 0
        // (attached to a cell, the flooding would absorb it into that cell)
        int[] c = cells[2];
        for (int y = c[1]; y <= c[3]; y++) {
            for (int x = c[0]; x <= c[2]; x++) {
                probs.set(0, x, y, 0.2f);
                probs.set(1, x, y, 0.4f);
                probs.set(2, x, y, 0.4f);
            }
        }
        for (InstanceConfig.Elevation e : InstanceConfig.Elevation.values()) {
            LabelMap got = InstanceDecoding.fromProbabilities(probs,
                    new InstanceConfig(0.5, 0.5, e, Connectivity.FOUR));
            if (e == InstanceConfig.Elevation.BOUNDARY) {
                assertArrayEquals(expected.data, got.data);
            } else {
                // P(background) is flat over each cell: still two instances, background 0
                assertEquals(2, got.maxLabel());
                assertEquals(0, got.get(0, 0));
                assertEquals(1, got.get(4, 5));
                assertEquals(2, got.get(12, 5));
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> InstanceDecoding.fromProbabilities(new PlanarF32(2, 4, 4), InstanceConfig.defaults()));
        // through a model: a 3-class U-Net gives a label map of the image's size
        LabelMap viaModel = new Predictor(model(1, 3), PredictorConfig.wholeImage())
                .instances(image(1, 15, 9, 2), InstanceConfig.defaults());
        assertEquals(15, viaModel.width);
        assertEquals(9, viaModel.height);
    }

    /**
     * Every call's tensors live in the predictor's workspace: after the first call (which sizes it), each call
     * allocates the same number of bytes there and the workspace keeps its size, so memory does not grow with
     * the number of calls. This does not see arrays a layer might allocate outside any workspace (none of the
     * predictor's own do); a resident-memory reading was tried for that, but at these sizes a call makes ~0.2 MB
     * of tensors, well below the 5-20 MB that RSS drifted over 100 calls while the JIT warmed up.
     */
    @Test
    void everyCallReusesTheSameWorkspace() {
        UNet m = new UNet(UNetConfig.of(1, 3).withDepth(2).withBaseFilters(4), 4);
        Predictor p = new Predictor(m, PredictorConfig.tiled(8).withTileOverlap(0).withFlipTta(true));
        PlanarF32 im = image(1, 16, 14, 1);
        p.probabilities(im);
        p.probabilities(im);
        MemoryWorkspace ws = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(Predictor.WORKSPACE_ID);
        long size = ws.getCurrentSize();
        long perCall = ws.getLastCycleAllocations();
        assertTrue(perCall > 0 && size >= perCall, "size " + size + ", per call " + perCall);
        for (int call = 0; call < 10; call++) {
            p.probabilities(im);
            assertEquals(perCall, ws.getLastCycleAllocations(), "bytes allocated in the workspace by call " + call);
            assertEquals(size, ws.getCurrentSize(), "workspace size after call " + call);
        }
        assertTrue(!ws.isScopeActive(), "the workspace is closed between calls");
    }

    static Path resource(String name) throws URISyntaxException {
        return Path.of(UNetPredictorTest.class.getResource(name).toURI());
    }

    @Test
    void wholeImageAboveTheLimitIsTiledByItselfExactlyAsWithExplicitTiles() {
        UNet net = model(1, 3);
        PlanarF32 im = image(1, 600, 520, 5);
        // 600 x 520 is above a limit of 512 x 512, so it runs in tiles of AUTO_TILE overlapping by a quarter,
        // one per forward pass: the same computation as asking for those tiles
        PlanarF32 auto = new Predictor(net, PredictorConfig.wholeImage().withMaxWholePixels(512 * 512))
                .probabilities(im);
        int t = PredictorConfig.AUTO_TILE;
        PlanarF32 explicit = new Predictor(net, PredictorConfig.tiled(t).withTileOverlap(t / 4).withBatchSize(1))
                .probabilities(im);
        assertArrayEquals(explicit.data, auto.data, 0f);
        // below the limit the image still runs whole: the same as a predictor with an unreachable limit
        PlanarF32 small = image(1, 100, 60, 6);
        assertArrayEquals(new Predictor(net, PredictorConfig.wholeImage().withMaxWholePixels(Long.MAX_VALUE))
                .probabilities(small).data, new Predictor(net, PredictorConfig.wholeImage()).probabilities(small).data,
                0f);
    }

    @Test
    void nonFiniteInputAndAbsurdTilesAreRefused() {
        UNet net = model(1, 3);
        PlanarF32 im = image(1, 16, 16, 5);
        im.data[37] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Predictor(net, PredictorConfig.wholeImage()).labels(im));
        assertTrue(e.getMessage().contains("NaN at channel 0, (5, 2) is not finite"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PredictorConfig.tiled(1 << 30));
        assertTrue(e.getMessage().contains("tileSize must be in 0.." + PredictorConfig.MAX_TILE), e.getMessage());
    }

    @Test
    void eightThreadsOnOnePredictorWithCopiesGiveTheSingleThreadedResultsBitForBit() throws Exception {
        UNet net = model(1, 11);
        List<PlanarF32> images = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            images.add(image(1, 24 + 4 * (i % 3), 20 + 4 * (i % 2), 100 + i));
        }
        Predictor single = new Predictor(net, PredictorConfig.wholeImage());
        List<float[]> expected = new ArrayList<>();
        for (PlanarF32 im : images) {
            expected.add(single.probabilities(im).data);
        }
        Predictor parallel = new Predictor(net, PredictorConfig.wholeImage().withConcurrency(8));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                for (PlanarF32 im : images) {
                    results.add(pool.submit(() -> parallel.probabilities(im).data));
                }
            }
            for (int k = 0; k < results.size(); k++) {
                assertArrayEquals(expected.get(k % images.size()), results.get(k).get(), 0f, "prediction " + k);
            }
        } finally {
            pool.shutdownNow();
        }
        // the copies are a snapshot: changing the model afterwards does not reach them
        net.parameters().parameters().get(0).value().addi(1);
        assertArrayEquals(expected.get(0), parallel.probabilities(images.get(0)).data, 0f);
    }
}
