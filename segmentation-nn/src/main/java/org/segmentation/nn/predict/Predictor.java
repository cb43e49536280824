package org.segmentation.nn.predict;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.Pad;
import org.nd4j.linalg.api.ops.impl.transforms.custom.Reverse;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.nn.Memory;
import org.segmentation.nn.layers.Softmax;
import org.segmentation.nn.model.SegmentationModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inference with a {@link SegmentationModel} in evaluation mode: class probabilities, label maps and (for a
 * 3-class background/interior/boundary model) instances.
 *
 * <p><b>Probabilities.</b> The model outputs logits; a model with one output channel is a binary (sigmoid) head
 * and yields one channel, P(foreground); K ≥ 2 channels are turned into probabilities by a softmax. Labels are the
 * argmax over the channels (the first on ties), or P(foreground) &gt; 0.5 for a binary head.
 *
 * <p><b>Any image size.</b> An image is extended at its bottom and right edges to a multiple of the model's
 * {@link SegmentationModel#sizeMultiple()} (and to at least one tile), with reflect or zero padding
 * ({@link PredictorConfig.Padding}), and the result is cropped back. With tiles, sliding windows spread evenly
 * over the padded image (starts at multiples of the size multiple, so that every tile sees the pooling grid of
 * the whole image) are blended with a Gaussian weight map of sigma = tile/8 centred on the tile, as nnU-Net does
 * (Isensee et al., Nature Methods 2021): probabilities, not logits, are blended. A pixel covered by one tile gets
 * that tile's probability exactly (up to rounding).
 *
 * <p><b>Large images.</b> Without tiles, an image whose padded size exceeds
 * {@link PredictorConfig#maxWholePixels()} is tiled by itself (tiles of {@link PredictorConfig#AUTO_TILE}
 * overlapping by a quarter, one per forward pass), so that the network's activations are those of one tile
 * whatever the image size (the blended probabilities still take K floats per pixel); its probabilities then
 * differ from a whole-image pass by the blending, near the tile borders.
 *
 * <p><b>Test-time augmentation.</b> With {@code flipTta}, the probabilities of the image, its horizontal, vertical
 * and double flips (each flipped back) are averaged.
 *
 * <p><b>Threads.</b> Safe to call from several threads at once. The model's layers cache their inputs in
 * fields, so with {@link PredictorConfig#concurrency()} 1 (the default) the forward pass runs while holding the
 * model's monitor ({@code synchronized (model)}): predictors sharing one model also exclude each other, but a
 * trainer that uses the same model without that monitor must not run at the same time. With concurrency n &gt; 1
 * the predictor makes n copies of the model when it is built ({@link SegmentationModel#inferenceCopy}) and each
 * forward pass takes an idle one, so up to n threads run the network in parallel, each in its own copy's fields
 * and its own thread's workspaces; the results are bit-identical to one thread's, as the same operations run on
 * the same values. Padding, tiling, flips, softmax and blending run outside the lock, in the calling thread's own
 * workspace.
 *
 * <p><b>Memory.</b> The model's forward pass keeps nothing in evaluation mode and frees each activation once
 * consumed ({@link Memory}); its logits are freed as soon as they are turned into probabilities. The padding,
 * tiles, flips and blending of each image or batch are computed inside the calling thread's workspace
 * {@link #WORKSPACE_ID}, closed before the next one; results are returned as Java arrays, so memory stays flat
 * over many calls.
 */
public final class Predictor {
    /** The ND4J workspace of a prediction; one per thread. */
    public static final String WORKSPACE_ID = "segmentation-nn-predict";

    private static final Logger LOG = LoggerFactory.getLogger(Predictor.class);

    private final SegmentationModel model;
    private final PredictorConfig config;
    private final DataType dtype;
    private final INDArray gaussian; // (T,T) blending weights, null without tiles
    private final int autoTile;        // tile side for images above config.maxWholePixels(), 0 with tiles
    private final INDArray autoGaussian; // (autoTile,autoTile), null with tiles
    private final BlockingQueue<SegmentationModel> copies; // idle model copies; null with concurrency 1

    /**
     * @throws IllegalArgumentException if the tile size is not a multiple of the model's size multiple
     */
    public Predictor(SegmentationModel model, PredictorConfig config) {
        if (model == null || config == null) {
            throw new IllegalArgumentException("model and config must not be null");
        }
        int m = model.sizeMultiple();
        if (config.tileSize() % m != 0) {
            throw new IllegalArgumentException("tileSize must be a multiple of the model's size multiple " + m
                    + ", got " + config.tileSize());
        }
        this.model = model;
        this.config = config;
        this.dtype = model.parameters().dataType();
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            if (config.tileSize() > 0) {
                this.gaussian = gaussianWeights(config.tileSize(), dtype);
                this.autoTile = 0;
                this.autoGaussian = null;
            } else {
                this.gaussian = null;
                this.autoTile = (int) roundUp(PredictorConfig.AUTO_TILE, m);
                this.autoGaussian = gaussianWeights(autoTile, dtype);
            }
            if (config.concurrency() > 1) {
                this.copies = new ArrayBlockingQueue<>(config.concurrency());
                synchronized (model) {
                    for (int i = 0; i < config.concurrency(); i++) {
                        copies.add(model.inferenceCopy());
                    }
                }
            } else {
                this.copies = null;
            }
        }
    }

    public PredictorConfig config() {
        return config;
    }

    /**
     * Class probabilities of one image.
     *
     * @param image (C,H,W) with C = the model's input channels, any H and W ≥ 1; not modified
     * @return (K,H,W) probabilities: K = 1 (P(foreground)) for a binary head, else the softmax over K classes
     */
    public PlanarF32 probabilities(PlanarF32 image) {
        return probabilities(List.of(image)).get(0);
    }

    /**
     * Class probabilities of several images; consecutive images of the same size share forward passes of up to
     * {@code batchSize} images (tiles are batched instead when tiling).
     */
    public List<PlanarF32> probabilities(List<PlanarF32> images) {
        List<PlanarF32> out = new ArrayList<>(images.size());
        forEachBatch(images, (p, first) -> {
            for (int i = 0; i < p.size(0); i++) {
                out.add(toPlanar(p, i));
            }
        });
        return out;
    }

    /** Labels of one image: argmax of the probabilities, or P(foreground) &gt; 0.5 for a binary head. */
    public LabelMap labels(PlanarF32 image) {
        return labels(List.of(image)).get(0);
    }

    /** Labels of several images, batched as in {@link #probabilities(List)}. */
    public List<LabelMap> labels(List<PlanarF32> images) {
        List<LabelMap> out = new ArrayList<>(images.size());
        forEachBatch(images, (p, first) -> {
            INDArray labels = (p.size(1) == 1 ? p.gt(0.5) : p.argMax(1)).castTo(DataType.INT32);
            long h = p.size(2), w = p.size(3);
            for (int i = 0; i < p.size(0); i++) {
                int[] data = labels.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all()).dup('c')
                        .data().asInt();
                out.add(LabelMap.wrap(data, (int) w, (int) h));
            }
        });
        return out;
    }

    /**
     * Labels from probabilities this predictor (or any) produced: the most probable class per pixel (the first on
     * ties) for K &gt; 1 channels, P(foreground) &gt; 0.5 for K = 1; the same labels {@link #labels} gives, for
     * callers that also need the probabilities and so run one forward pass for both.
     *
     * @param probs (K,H,W) class probabilities
     */
    public static LabelMap labelsOf(PlanarF32 probs) {
        return argmax(probs, 0.5f);
    }

    /**
     * Labels from logits, as {@link #labelsOf} from the probabilities they give: the largest logit per pixel (the
     * first on ties) for K &gt; 1 channels (the softmax keeps the order), logit &gt; 0 for K = 1 (P &gt; 0.5).
     *
     * @param logits (K,H,W) class scores before the softmax or sigmoid
     */
    public static LabelMap labelsOfLogits(PlanarF32 logits) {
        return argmax(logits, 0f);
    }

    /** The one argmax: the first channel with the largest score, or score &gt; threshold for one channel. */
    private static LabelMap argmax(PlanarF32 scores, float binaryThreshold) {
        LabelMap out = new LabelMap(scores.width, scores.height);
        for (int y = 0; y < scores.height; y++) {
            for (int x = 0; x < scores.width; x++) {
                int s = scores.startIndex + y * scores.stride + x;
                int best = 0;
                if (scores.channels == 1) {
                    best = scores.data[s] > binaryThreshold ? 1 : 0;
                } else {
                    for (int c = 1; c < scores.channels; c++) {
                        if (scores.data[s + c * scores.planeStride] > scores.data[s + best * scores.planeStride]) {
                            best = c;
                        }
                    }
                }
                out.data[y * out.stride + x] = best;
            }
        }
        return out;
    }

    /**
     * Instances of one image from a 3-class model (background, interior, boundary), see
     * {@link InstanceDecoding#fromProbabilities}.
     *
     * @throws IllegalArgumentException if the model does not have 3 output channels
     */
    public LabelMap instances(PlanarF32 image, InstanceConfig instanceConfig) {
        if (model.outputChannels() != 3) {
            throw new IllegalArgumentException("instances need a 3-class (background, interior, boundary) model,"
                    + " this one has " + model.outputChannels() + " output channels");
        }
        return InstanceDecoding.fromProbabilities(probabilities(image), instanceConfig);
    }

    // ---------------------------------------------------------------- batching

    private interface BatchConsumer {
        /** @param p probabilities (N,K,H,W) of images first..first+N-1, valid only during the call */
        void accept(INDArray p, int first);
    }

    private void forEachBatch(List<PlanarF32> images, BatchConsumer consumer) {
        int c = model.inputChannels();
        for (PlanarF32 im : images) {
            if (im.channels != c) {
                throw new IllegalArgumentException("expected images of shape (C,H,W) = (" + c + ",*,*), got ("
                        + im.channels + "," + im.height + "," + im.width + ")");
            }
            checkFinite(im);
        }
        int i = 0;
        while (i < images.size()) {
            int j = i + 1;
            PlanarF32 im = images.get(i);
            int batch = config.tileSize() > 0 || autoTiled(im.height, im.width) ? 1 : config.batchSize();
            while (j < images.size() && j - i < batch && images.get(j).isSameShape(images.get(i))) {
                j++;
            }
            try (MemoryWorkspace ws = Memory.workspace(WORKSPACE_ID)) {
                consumer.accept(predict(toBatch(images.subList(i, j))), i);
            }
            i = j;
        }
    }

    /** A NaN or infinite input would spread through every convolution into labels that look like results. */
    private static void checkFinite(PlanarF32 im) {
        for (int ch = 0; ch < im.channels; ch++) {
            for (int y = 0; y < im.height; y++) {
                int s = im.startIndex + ch * im.planeStride + y * im.stride;
                for (int x = 0; x < im.width; x++) {
                    if (!Float.isFinite(im.data[s + x])) {
                        throw new IllegalArgumentException("input value " + im.data[s + x] + " at channel " + ch
                                + ", (" + x + ", " + y + ") is not finite");
                    }
                }
            }
        }
    }

    /** (N,C,H,W) images to (N,K,H,W) probabilities, with flip TTA if configured. */
    INDArray predict(INDArray x) {
        if (!config.flipTta()) {
            return predictOnce(x);
        }
        INDArray sum = predictOnce(x);
        sum.addi(flip(predictOnce(flip(x, 3)), 3));
        sum.addi(flip(predictOnce(flip(x, 2)), 2));
        sum.addi(flip(predictOnce(flip(x, 2, 3)), 2, 3));
        return sum.divi(4);
    }

    /** True when an image of this size runs in tiles although the config asks for whole images. */
    private boolean autoTiled(long h, long w) {
        int m = model.sizeMultiple();
        return config.tileSize() == 0 && roundUp(h, m) * roundUp(w, m) > config.maxWholePixels();
    }

    private INDArray predictOnce(INDArray x) {
        long h = x.size(2), w = x.size(3);
        int m = model.sizeMultiple();
        boolean auto = autoTiled(h, w);
        int t = auto ? autoTile : config.tileSize();
        long ph = roundUp(Math.max(h, t), m);
        long pw = roundUp(Math.max(w, t), m);
        INDArray padded = pad(x, ph - h, pw - w, config.padding());
        INDArray p = t == 0 ? probabilitiesOf(logits(padded))
                : auto ? tiled(padded, t, t / 4, autoGaussian, 1)
                : tiled(padded, t, config.tileOverlap(), gaussian, config.batchSize());
        if (ph == h && pw == w) {
            return p;
        }
        return p.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, h), NDArrayIndex.interval(0, w))
                .dup('c');
    }

    /**
     * The forward pass, the only step that touches a model's state: on the model under its monitor, or on an idle
     * copy, which no other thread uses until it is put back.
     */
    private INDArray logits(INDArray x) {
        if (copies == null) {
            synchronized (model) {
                model.setTraining(false);
                return model.forward(x);
            }
        }
        SegmentationModel copy;
        try {
            copy = copies.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for an idle model copy", e);
        }
        try {
            return copy.forward(x);
        } finally {
            copies.add(copy);
        }
    }

    /** The probabilities of logits, in the prediction workspace; frees the (detached) logits. */
    private INDArray probabilitiesOf(INDArray logits) {
        INDArray p = logits.size(1) == 1 ? Transforms.sigmoid(logits, true) : Softmax.apply(logits);
        Memory.free(logits);
        return p;
    }

    /**
     * Sliding windows over padded images (N,C,Hp,Wp), Hp and Wp at least one tile and multiples of the size
     * multiple: the Gaussian-weighted mean of the tiles' probabilities, (N,K,Hp,Wp).
     */
    private INDArray tiled(INDArray x, int t, int overlap, INDArray gaussian, int batchSize) {
        long n = x.size(0), c = x.size(1), hp = x.size(2), wp = x.size(3);
        long[] ys = tileStarts(hp, t, overlap, model.sizeMultiple());
        long[] xs = tileStarts(wp, t, overlap, model.sizeMultiple());
        LOG.debug("{} x {} tiles of {} over {}x{}", ys.length, xs.length, t, hp, wp);
        INDArray weight = Nd4j.zeros(dtype, hp, wp);                                 // (Hp,Wp)
        for (long y : ys) {
            for (long xx : xs) {
                weight.get(NDArrayIndex.interval(y, y + t), NDArrayIndex.interval(xx, xx + t)).addi(gaussian);
            }
        }
        List<long[]> tiles = new ArrayList<>();                                     // {image, y, x}
        for (long i = 0; i < n; i++) {
            for (long y : ys) {
                for (long xx : xs) {
                    tiles.add(new long[] {i, y, xx});
                }
            }
        }
        INDArray acc = null;                                                        // (N,K,Hp,Wp)
        for (int from = 0; from < tiles.size(); from += batchSize) {
            int b = Math.min(batchSize, tiles.size() - from);
            INDArray batch = Nd4j.createUninitialized(dtype, b, c, t, t);           // (B,C,T,T)
            for (int j = 0; j < b; j++) {
                long[] tile = tiles.get(from + j);
                batch.get(NDArrayIndex.interval(j, j + 1), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all())
                        .assign(x.get(window(tile, t)));
            }
            INDArray p = probabilitiesOf(logits(batch));                            // (B,K,T,T)
            if (acc == null) {
                acc = Nd4j.zeros(dtype, n, p.size(1), hp, wp);
            }
            for (int j = 0; j < b; j++) {
                INDArray pj = p.get(NDArrayIndex.interval(j, j + 1), NDArrayIndex.all(), NDArrayIndex.all(),
                        NDArrayIndex.all());
                INDArray weighted = Broadcast.mul(pj, gaussian, Nd4j.createUninitialized(dtype, pj.shape()), 2, 3);
                acc.get(window(tiles.get(from + j), t)).addi(weighted);
            }
        }
        return Broadcast.div(acc, weight, acc, 2, 3);
    }

    private static INDArrayIndex[] window(long[] tile, int t) {
        return new INDArrayIndex[] {NDArrayIndex.interval(tile[0], tile[0] + 1), NDArrayIndex.all(),
            NDArrayIndex.interval(tile[1], tile[1] + t), NDArrayIndex.interval(tile[2], tile[2] + t)};
    }

    /**
     * Starts of the tiles along one axis of {@code length} (a multiple of {@code multiple}, at least
     * {@code tile}): the fewest tiles with at least {@code overlap} shared pixels, spread evenly from 0 to
     * length − tile and rounded down to multiples of {@code multiple}. Consecutive starts are at most one tile
     * apart, so the tiles cover the axis.
     */
    static long[] tileStarts(long length, int tile, int overlap, int multiple) {
        if (length <= tile) {
            return new long[] {0};
        }
        long span = length - tile;
        int step = tile - overlap;
        int count = (int) ((span + step - 1) / step) + 1;
        long[] starts = new long[count];
        for (int i = 0; i < count; i++) {
            long s = Math.round((double) i * span / (count - 1));
            starts[i] = s / multiple * multiple;
        }
        starts[count - 1] = span;
        return starts;
    }

    /**
     * A (t,t) Gaussian with sigma = t/8 centred at ((t−1)/2, (t−1)/2), scaled to a maximum of 1 (nnU-Net's
     * importance map); values below 1e-6 are raised to it so that no pixel has zero total weight.
     */
    static INDArray gaussianWeights(int t, DataType dtype) {
        double sigma = t / 8.0;
        double centre = (t - 1) / 2.0;
        double[] g = new double[t];
        for (int i = 0; i < t; i++) {
            double d = i - centre;
            g[i] = Math.exp(-d * d / (2 * sigma * sigma));
        }
        INDArray v = Nd4j.createFromArray(g).reshape(t, 1);
        INDArray map = v.mmul(v.transpose());
        map.divi(map.maxNumber());
        return Transforms.max(map, 1e-6, false).castTo(dtype);
    }

    // ---------------------------------------------------------------- tensors

    private static long roundUp(long v, int m) {
        return (v + m - 1) / m * m;
    }

    /**
     * Extends (N,C,H,W) at the bottom by {@code padH} and at the right by {@code padW}. Reflect padding mirrors
     * without repeating the edge (numpy's "reflect"); a pad longer than the image reflects again, as numpy does,
     * and a single row or column is repeated.
     */
    public static INDArray pad(INDArray x, long padH, long padW, PredictorConfig.Padding mode) {
        if (padH == 0 && padW == 0) {
            return x;
        }
        if (mode == PredictorConfig.Padding.ZERO) {
            return Nd4j.pad(x, new int[][] {{0, 0}, {0, 0}, {0, (int) padH}, {0, (int) padW}}, Pad.Mode.CONSTANT, 0);
        }
        return reflect(reflect(x, 2, padH), 3, padW);
    }

    private static INDArray reflect(INDArray x, int axis, long pad) {
        while (pad > 0) {
            long size = x.size(axis);
            long step = size > 1 ? Math.min(pad, size - 1) : 1;
            int[][] widths = new int[4][2];
            widths[axis][1] = (int) step;
            x = Nd4j.pad(x, widths, size > 1 ? Pad.Mode.REFLECT : Pad.Mode.SYMMETRIC, 0);
            pad -= step;
        }
        return x;
    }

    /** A reversed copy of {@code x} along the given axes. */
    static INDArray flip(INDArray x, int... axes) {
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.shape());
        Nd4j.exec(new Reverse(x, out, axes));
        return out;
    }

    /** Images of one size to an (N,C,H,W) tensor of the model's dtype. */
    private INDArray toBatch(List<PlanarF32> images) {
        PlanarF32 first = images.get(0);
        int c = first.channels, h = first.height, w = first.width;
        int size = c * h * w;
        float[] data = new float[images.size() * size];
        for (int i = 0; i < images.size(); i++) {
            PlanarF32 im = images.get(i);
            if (im.isSubimage() || !im.isContiguous() || im.startIndex != 0 || im.planeStride != w * h) {
                im = im.copy();
            }
            System.arraycopy(im.data, 0, data, i * size, size);
        }
        INDArray x = Nd4j.createFromArray(data).reshape('c', images.size(), c, h, w);
        return dtype == DataType.FLOAT ? x : x.castTo(dtype);
    }

    /** Image i of (N,K,H,W) probabilities as a new (K,H,W) image. */
    private static PlanarF32 toPlanar(INDArray p, int i) {
        long k = p.size(1), h = p.size(2), w = p.size(3);
        INDArray one = p.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
        float[] data = one.castTo(DataType.FLOAT).dup('c').data().asFloat();
        if (data.length != k * h * w) {
            throw new IllegalStateException("expected " + k * h * w + " values, got " + data.length
                    + " for shape " + Arrays.toString(p.shape()));
        }
        return PlanarF32.wrap(data, (int) k, (int) w, (int) h);
    }
}
