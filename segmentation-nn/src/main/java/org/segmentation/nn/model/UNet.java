package org.segmentation.nn.model;

import static org.segmentation.nn.model.ConfigFields.boolField;
import static org.segmentation.nn.model.ConfigFields.dtypeField;
import static org.segmentation.nn.model.ConfigFields.enumField;
import static org.segmentation.nn.model.ConfigFields.intField;
import static org.segmentation.nn.model.ConfigFields.numberField;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.SavedModel;
import org.segmentation.nn.conv.PhasedLayout;
import org.segmentation.nn.layers.BatchNorm2d;
import org.segmentation.nn.layers.BilinearUpsample2x;
import org.segmentation.nn.layers.Concat;
import org.segmentation.nn.layers.Conv2d;
import org.segmentation.nn.layers.ConvTranspose2x2;
import org.segmentation.nn.layers.Dropout;
import org.segmentation.nn.layers.MaxPool2x2;
import org.segmentation.nn.layers.Relu;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * A U-Net with same padding (Ronneberger et al. 2015), wired in plain Java from the layers of
 * {@code org.segmentation.nn.layers}; see {@link UNetConfig} for the architecture's options.
 *
 * <pre>
 * down1 .. down{depth}   [conv3x3 - BN - ReLU] x2, each followed by a 2x2 max pool; its output is a skip
 * bottleneck             [conv3x3 - BN - ReLU] x2, then dropout (training mode only)
 * up1 .. up{depth}       up (2x2 transposed conv, or bilinear x2 + conv) halving the channels,
 *                        concat(skip, up) on channels, [conv3x3 - BN - ReLU] x2; up1 is the deepest
 * head                   1x1 conv to the output channels: LOGITS (no sigmoid or softmax)
 * </pre>
 *
 * <p>Parameter and buffer names are the {@code state_dict} keys of the equivalent PyTorch module in
 * {@code src/test/python/make_unet_golden.py}: {@code down1.conv1.weight}, {@code down1.bn1.running_mean},
 * {@code bottleneck.conv2.bias}, {@code up1.up.weight} (a (C,C/2,2,2) transposed-conv weight, or a
 * (C/2,C,k,k) conv weight after bilinear upsampling), {@code up1.conv1.weight}, {@code head.weight}. Without batch
 * norm the {@code bn*} entries are absent.
 *
 * <p><b>Memory</b> ({@link Memory}). A training-mode {@link #forward} keeps exactly what {@link #backward}
 * reads, per level of width f at resolution (H,W), batch N: in each [conv - BN+ReLU] x2 the two conv outputs (BN
 * inputs, from which backward recomputes x̂) and the two BN+ReLU outputs (the next conv's input and the ReLU
 * mask), 4 tensors (N,f,H,W); the pooled (N,f,H/2,W/2) (the next level's input); in an up block the
 * concatenation (N,2f,H,W) (its conv1's input) and the block's 4 tensors. Everything else is freed as soon as the
 * next layer has consumed it (the up-convolution's output once copied into the concatenation buffer), and each
 * kept tensor is freed by backward right after its last reader: the producer's backward, which in the reverse
 * order comes after every consumer's. Gradients are freed as soon as the layer below has consumed them; the skip
 * gradient is one buffer into which the concat's backward copies and the pool's backward adds. A training forward
 * not followed by backward has its tensors freed by the next forward. In evaluation mode nothing is kept: each
 * activation is freed once the next layer has read it (a skip once the concatenation has copied it). The input x
 * and the returned logits belong to the caller.
 *
 * <p>One instance serves one thread at a time (layers cache their inputs in fields); see
 * {@code org.segmentation.nn.predict.Predictor} for concurrent inference.
 */
public final class UNet implements SegmentationModel {
    /** The value of the {@code "architecture"} key in {@code config.json}. */
    public static final String ARCHITECTURE = "unet";

    private final UNetConfig config;
    private final ParameterBuffer params;
    private final Map<String, INDArray> buffers;
    private final DoubleConv[] down;    // level 1..depth at index 0..depth-1
    private final MaxPool2x2[] pools;
    private final DoubleConv bottleneck;
    private final Dropout dropout;
    private final UpBlock[] up;         // up1 (deepest) at index 0
    private final Conv2d head;
    private boolean training = true;

    // kept by a training-mode forward for backward; the blocks keep their own
    private INDArray[] pooled;          // pooled[i] (N,f_{i+1},H/2^(i+1),W/2^(i+1)), output of pools[i]
    private INDArray bottleneckOut;     // (N,f_{depth+1},H/2^depth,W/2^depth), freed by the bottleneck's backward
    private INDArray dropped;           // dropout's output, bottleneckOut itself when dropout is the identity
    private boolean awaitingBackward;

    /**
     * A new U-Net with PyTorch-style random initial weights.
     *
     * @param seed seeds the initial weights and the dropout masks
     */
    public UNet(UNetConfig config, long seed) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.config = config;
        int depth = config.depth();
        Random rng = new Random(seed);
        ParameterBuffer.Builder b = ParameterBuffer.builder(config.dtype());
        Map<String, INDArray> bufs = new LinkedHashMap<>();
        down = new DoubleConv[depth];
        pools = new MaxPool2x2[depth];
        int in = config.inputChannels();
        for (int i = 0; i < depth; i++) {
            down[i] = new DoubleConv(b, bufs, "down" + (i + 1), in, config.filters(i + 1), config.batchNorm(), rng);
            pools[i] = new MaxPool2x2();
            in = config.filters(i + 1);
        }
        bottleneck = new DoubleConv(b, bufs, "bottleneck", in, config.filters(depth + 1), config.batchNorm(), rng);
        dropout = new Dropout(config.dropout(), seed ^ 0x5DEECE66DL);
        up = new UpBlock[depth];
        for (int i = 0; i < depth; i++) {
            int level = depth - i;                 // the encoder level whose skip this block takes
            up[i] = new UpBlock(b, bufs, "up" + (i + 1), config.filters(level + 1), config.filters(level), config,
                    rng);
        }
        head = new Conv2d(b, "head", config.filters(1), config.outputChannels(), 1, rng);
        params = b.build();
        buffers = Collections.unmodifiableMap(bufs);
    }

    /** A new U-Net of the same config with a copy of this one's parameters and buffers, in evaluation mode. */
    @Override
    public UNet inferenceCopy() {
        UNet copy = new UNet(config, 0);
        try {
            ModelWeights.load(copy, ModelWeights.toTensors(this));
        } catch (ModelFormatException e) {
            throw new IllegalStateException("a U-Net's own weights do not fit a U-Net of its config", e);
        }
        copy.setTraining(false);
        return copy;
    }

    public UNetConfig config() {
        return config;
    }

    @Override
    public int inputChannels() {
        return config.inputChannels();
    }

    @Override
    public int outputChannels() {
        return config.outputChannels();
    }

    @Override
    public int sizeMultiple() {
        return config.sizeMultiple();
    }

    @Override
    public ParameterBuffer parameters() {
        return params;
    }

    @Override
    public Map<String, INDArray> buffers() {
        return buffers;
    }

    /** Restarts the dropout masks from {@code seed}, as a new model built with this seed would draw them. */
    @Override
    public void reseed(long seed) {
        dropout.reseed(seed ^ 0x5DEECE66DL);
    }

    @Override
    public void setTraining(boolean training) {
        this.training = training;
        for (DoubleConv d : down) {
            d.setTraining(training);
        }
        bottleneck.setTraining(training);
        dropout.setTraining(training);
        for (UpBlock u : up) {
            u.setTraining(training);
        }
    }

    /**
     * @param x images (N,C,H,W) of the model's dtype, H and W multiples of 2^depth
     * @return logits (N,K,H,W)
     */
    @Override
    public INDArray forward(INDArray x) {
        Shapes.require("UNet input x", "(N,C,H,W)", x, Shapes.ANY, config.inputChannels(), Shapes.ANY, Shapes.ANY);
        Shapes.requireType("UNet input x", x, config.dtype());
        int m = sizeMultiple();
        if (x.size(2) % m != 0 || x.size(3) % m != 0 || x.size(2) == 0 || x.size(3) == 0) {
            throw new IllegalArgumentException("UNet input x: expected H and W positive multiples of 2^depth = " + m
                    + ", got shape " + java.util.Arrays.toString(x.shape()));
        }
        releaseCaches();
        int depth = config.depth();
        INDArray[] skips = new INDArray[depth];
        INDArray[] pool = new INDArray[depth];
        INDArray h = x;
        for (int i = 0; i < depth; i++) {
            skips[i] = down[i].forward(h);              // (N,f_i,H/2^(i),W/2^(i))
            if (!training && i > 0) {
                Memory.free(h);
            }
            h = pools[i].forward(skips[i]);             // (N,f_i,H/2^(i+1),W/2^(i+1))
            pool[i] = h;
        }
        INDArray b = bottleneck.forward(h);             // (N,f_{depth+1},H/2^depth,W/2^depth)
        INDArray dr = dropout.forward(b);
        if (!training) {
            Memory.free(h);
            if (dr != b) {
                Memory.free(b);
            }
        }
        h = dr;
        for (int i = 0; i < depth; i++) {
            INDArray skip = skips[depth - 1 - i];
            INDArray next = up[i].forward(h, skip);
            if (!training) {
                Memory.free(h, skip);
            }
            h = next;
        }
        INDArray logits = head.forward(h);              // (N,K,H,W)
        if (training) {
            pooled = pool;
            bottleneckOut = b;
            dropped = dr;
            awaitingBackward = true;
        } else {
            Memory.free(h);
        }
        return logits;
    }

    /**
     * Back-propagates through the last {@link #forward}, adding into the parameter gradients.
     *
     * @param dLogits gradient of the loss with respect to the logits (N,K,H,W); not modified or freed
     * @throws IllegalStateException if the last forward was not in training mode or was back-propagated already
     */
    @Override
    public void backward(INDArray dLogits) {
        backward(dLogits, false);
    }

    /**
     * {@link #backward}, also returning the gradient with respect to the input images (N,C,H,W), a detached array
     * owned by the caller.
     */
    public INDArray backwardInput(INDArray dLogits) {
        return backward(dLogits, true);
    }

    /** The backward pass; the first convolution computes its input gradient only if {@code inputGradient}. */
    private INDArray backward(INDArray dLogits, boolean inputGradient) {
        if (!awaitingBackward) {
            throw new IllegalStateException("UNet.backward needs a training-mode forward that has not been"
                    + " back-propagated yet");
        }
        awaitingBackward = false;
        int depth = config.depth();
        INDArray d = head.backward(dLogits);
        INDArray[] dSkips = new INDArray[depth];
        for (int i = depth - 1; i >= 0; i--) {          // the up blocks in reverse: the last applied first
            INDArray[] g = up[i].backward(d);
            Memory.free(d);
            d = g[0];
            dSkips[depth - 1 - i] = g[1];
        }
        if (dropped != bottleneckOut) {
            Memory.free(dropped);                        // its reader, up1's up-convolution, is done
        }
        INDArray dB = dropout.backward(d);
        if (dB != d) {
            Memory.free(d);
        }
        d = bottleneck.backward(dB);
        Memory.free(dB);
        for (int i = depth - 1; i >= 0; i--) {
            Memory.free(pooled[i]);                      // read by the conv that back-propagated last
            INDArray dSkip = pools[i].backward(d, dSkips[i]);
            Memory.free(d);
            d = down[i].backward(dSkip, i > 0 || inputGradient);
            Memory.free(dSkip);
        }
        pooled = null;
        bottleneckOut = null;
        dropped = null;
        return d;
    }

    /** Frees what a training-mode forward kept for a backward that never came. */
    private void releaseCaches() {
        if (!awaitingBackward) {
            return;
        }
        awaitingBackward = false;
        for (DoubleConv dc : down) {
            dc.release();
        }
        bottleneck.release();
        for (UpBlock u : up) {
            u.release();
        }
        Memory.free(pooled);
        Memory.free(dropped);
        pooled = null;
        bottleneckOut = null;
        dropped = null;
    }

    // ---------------------------------------------------------------- files

    /**
     * Saves the model as directory {@code dir} ({@code config.json} + {@code model.safetensors}, see
     * {@link ModelFiles}), replacing a model directory already there.
     */
    public void save(Path dir) throws IOException {
        ModelFiles.saveModel(dir, new SavedModel(configToJson(config), ModelWeights.toTensors(this)));
    }

    /**
     * Loads a model saved by {@link #save} or exported from PyTorch, in evaluation mode; dropout masks seeded
     * with 0. See {@link #load(Path, long)}.
     */
    public static UNet load(Path dir) throws IOException {
        return load(dir, 0);
    }

    /**
     * Loads a model directory, in evaluation mode: the config is validated, then every tensor is checked
     * against it before any is copied, so a bad directory never yields a half-loaded model.
     *
     * @param seed seeds the dropout masks should the model be trained further
     * @throws ModelFormatException if a file is missing or malformed, the architecture is not {@code "unet"}, a
     *     config field is missing, unknown or invalid, or a tensor's name, shape or dtype does not fit the config
     */
    public static UNet load(Path dir, long seed) throws IOException {
        return fromSaved(ModelFiles.loadModel(dir), dir, seed);
    }

    /**
     * The model of a loaded directory ({@link ModelFiles#loadModel}), in evaluation mode; see
     * {@link #load(Path, long)}.
     *
     * @param dir the directory it was read from, named in errors
     * @throws ModelFormatException if the config or a tensor does not fit
     */
    public static UNet fromSaved(SavedModel saved, Path dir, long seed) throws ModelFormatException {
        UNetConfig config = configFromJson(saved.config(), dir.resolve(ModelFiles.CONFIG));
        checkSizeBeforeAllocation(config, saved, dir);
        UNet model = new UNet(config, seed);
        ModelWeights.load(model, saved.weights());
        model.setTraining(false);
        return model;
    }

    /**
     * A hand-edited config (classes or base_filters of a billion) would make the constructor allocate gigabytes
     * before the weights' shapes are compared. The second 3x3 convolution of each level alone holds
     * {@code 9 f^2} weights ({@code f} its filters) and the head {@code classes * baseFilters}: a lower bound on
     * the parameters, which a weights file that fits the config must hold at least
     * ({@link ConfigFields#requireWeightsFor}).
     */
    private static void checkSizeBeforeAllocation(UNetConfig c, SavedModel saved, Path dir)
            throws ModelFormatException {
        double needed = (double) c.classes() * c.baseFilters();
        for (int level = 0; level <= c.depth(); level++) {
            double f = (double) c.baseFilters() * (1L << level);
            needed += 9 * f * f;
        }
        ConfigFields.requireWeightsFor(needed, "classes " + c.classes() + ", depth " + c.depth() + ", base_filters "
                + c.baseFilters(), saved, dir);
    }

    private static final Set<String> CONFIG_KEYS = Set.of("architecture", "input_channels", "classes", "depth",
            "base_filters", "batch_norm", "dropout", "upsampling", "up_kernel", "head", "dtype");
    /**
     * Fields a task-level model adds beside the architecture ({@code org.segmentation.nn.task.TrainedUNet}: input
     * normalisation, class names); the network does not read them.
     */
    private static final Set<String> TASK_KEYS = Set.of("input", "class_names");

    /** The config as the fields of {@code config.json}, with {@code "architecture": "unet"}, in file order. */
    public static Map<String, Object> configFields(UNetConfig c) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("architecture", ARCHITECTURE);
        o.put("input_channels", c.inputChannels());
        o.put("classes", c.classes());
        o.put("depth", c.depth());
        o.put("base_filters", c.baseFilters());
        o.put("batch_norm", c.batchNorm());
        o.put("dropout", c.dropout());
        o.put("upsampling", c.upsampling().name().toLowerCase(java.util.Locale.ROOT));
        o.put("up_kernel", c.upKernel());
        o.put("head", c.head().name().toLowerCase(java.util.Locale.ROOT));
        o.put("dtype", c.dtype() == DataType.DOUBLE ? "float64" : "float32");
        return o;
    }

    /** {@link #configFields} as a JSON object. */
    public static ObjectNode configToJson(UNetConfig c) {
        return new ObjectMapper().valueToTree(configFields(c));
    }

    /**
     * Parses the fields written by {@link #configToJson}.
     *
     * @param file named in errors (may be null)
     * @throws ModelFormatException on another architecture, a missing, unknown or ill-typed field, or values
     *     that {@link UNetConfig} rejects
     */
    public static UNetConfig configFromJson(JsonNode json, Path file) throws ModelFormatException {
        if (json == null || !json.isObject()) {
            throw new ModelFormatException(file, null, "the config is not a JSON object");
        }
        JsonNode arch = json.get("architecture");
        if (arch == null || !arch.isTextual()) {
            throw new ModelFormatException(file, null, "\"architecture\" is missing or not a string");
        }
        if (!ARCHITECTURE.equals(arch.textValue())) {
            throw new ModelFormatException(file, null, "architecture is \"" + arch.textValue() + "\", expected \""
                    + ARCHITECTURE + "\"");
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!CONFIG_KEYS.contains(key) && !TASK_KEYS.contains(key)) {
                throw new ModelFormatException(file, null, "unknown config field \"" + key + "\"");
            }
        }
        try {
            return new UNetConfig(intField(json, "input_channels", file), intField(json, "classes", file),
                    intField(json, "depth", file), intField(json, "base_filters", file),
                    boolField(json, "batch_norm", file), numberField(json, "dropout", file),
                    enumField(json, "upsampling", UNetConfig.Upsampling.class, file), intField(json, "up_kernel", file),
                    enumField(json, "head", UNetConfig.Head.class, file), dtypeField(json, file));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, null, "invalid config: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- blocks

    /**
     * [conv3x3 - BN+ReLU] x2 (or [conv3x3 - ReLU in place] x2 without batch norm), named {@code <name>.conv1},
     * {@code <name>.bn1}, {@code <name>.conv2}, ... In training mode it keeps the conv outputs z1, z2 and the
     * activations y1, y2 (y2 is the block's output) until its backward. In evaluation mode each batch norm is
     * folded into the convolution before it ({@link Conv2d#forwardEvaluation}), and y1 is freed as soon as conv2
     * has consumed it (without batch norm: z1, y1 and z2 likewise).
     */
    private static final class DoubleConv {
        final Conv2d conv1;
        final BatchNorm2d bn1; // BN+ReLU; null without batch norm
        final Relu relu1 = new Relu();
        final Conv2d conv2;
        final BatchNorm2d bn2;
        final Relu relu2 = new Relu();
        boolean training = true;

        // kept for backward (training mode); without batch norm z and y are one array
        INDArray z1; // (N,out,H,W) conv1's output
        INDArray y1; // (N,out,H,W) conv2's input
        INDArray z2; // (N,out,H,W) conv2's output
        INDArray y2; // (N,out,H,W) the block's output

        DoubleConv(ParameterBuffer.Builder b, Map<String, INDArray> buffers, String name, int in, int out,
                boolean batchNorm, Random rng) {
            conv1 = new Conv2d(b, name + ".conv1", in, out, 3, rng);
            bn1 = batchNorm ? batchNorm(b, buffers, name + ".bn1", out) : null;
            conv2 = new Conv2d(b, name + ".conv2", out, out, 3, rng);
            bn2 = batchNorm ? batchNorm(b, buffers, name + ".bn2", out) : null;
        }

        private static BatchNorm2d batchNorm(ParameterBuffer.Builder b, Map<String, INDArray> buffers, String name,
                int channels) {
            BatchNorm2d bn = new BatchNorm2d(b, name, channels, true);
            buffers.put(name + ".running_mean", bn.runningMean());
            buffers.put(name + ".running_var", bn.runningVar());
            return bn;
        }

        void setTraining(boolean training) {
            this.training = training;
            if (bn1 != null) {
                bn1.setTraining(training);
                bn2.setTraining(training);
            }
        }

        /**
         * (N,in,H,W) -> (N,out,H,W); x is not freed. Where the convolutions compute it directly, the tensor between
         * them (conv1's output, its batch norm and ReLU, conv2's input) is in the {@link PhasedLayout}: conv1 then
         * writes its tiles and conv2 reads its windows as contiguous copies. Batch norm and ReLU work plane by plane
         * or element by element, so the layout changes none of their results; the block's input and output are
         * standard.
         */
        INDArray forward(INDArray x) {
            boolean p = conv1.phasesDirectly(x);
            if (!training && bn1 != null) {             // each batch norm folded into its convolution
                INDArray b = conv1.forwardEvaluation(x, bn1, false, p);
                INDArray y = conv2.forwardEvaluation(b, bn2, p, false);
                Memory.free(b);
                return y;
            }
            INDArray a = conv1.forward(x, false, p);
            INDArray b = bn1 != null ? bn1.forward(a) : relu1.forward(a, a);
            if (!training) {
                if (b != a) {
                    Memory.free(a);
                }
                a = conv2.forward(b, p, false);
                Memory.free(b);
                INDArray y = bn2 != null ? bn2.forward(a) : relu2.forward(a, a);
                if (y != a) {
                    Memory.free(a);
                }
                return y;
            }
            z1 = a;
            y1 = b;
            z2 = conv2.forward(y1, p, false);
            y2 = bn2 != null ? bn2.forward(z2) : relu2.forward(z2, z2);
            return y2;
        }

        /**
         * (N,out,H,W) -> (N,in,H,W); frees what forward kept. dY is not freed, but with batch norm it is
         * overwritten: the second batch norm's input gradient is computed in its place, so the caller must not read
         * it again.
         */
        INDArray backward(INDArray dY) {
            return backward(dY, true);
        }

        /** {@link #backward(INDArray)}; without {@code inputGradient} (the network's first block) returns null. */
        INDArray backward(INDArray dY, boolean inputGradient) {
            // each batch norm's input gradient overwrites its output gradient, which has no other reader
            INDArray d = bn2 != null ? bn2.backward(dY, contiguousOr(dY)) : relu2.backward(dY);
            Memory.free(z2, y2);
            INDArray d1 = conv2.backward(d);
            if (d != dY) {
                Memory.free(d);
            }
            d = bn1 != null ? bn1.backward(d1, d1) : relu1.backward(d1);
            if (d != d1) {
                Memory.free(d1);
            }
            Memory.free(z1, y1);
            INDArray dX = conv1.backward(d, inputGradient);
            Memory.free(d);
            z1 = y1 = z2 = y2 = null;
            return dX;
        }

        /** Frees what forward kept. */
        void release() {
            Memory.free(z1, y1, z2, y2);
            z1 = y1 = z2 = y2 = null;
        }

        /** dY itself if it is c-contiguous (batch norm's gradient can then overwrite it), else a new array. */
        private static INDArray contiguousOr(INDArray dY) {
            return Scalars.isContiguous(dY) ? dY : Memory.detached(dY.dataType(), dY.shape());
        }
    }

    /**
     * Up to the skip's resolution (halving the channels), concat(skip, up), then a {@link DoubleConv}. The
     * up-sampled tensor is freed once copied into the concatenation; in training mode the concatenation (and the
     * bilinear output, the conv's input) is kept until backward.
     */
    private static final class UpBlock {
        final ConvTranspose2x2 upConv;       // TRANSPOSED, else null
        final BilinearUpsample2x bilinear;   // BILINEAR, else null
        final Conv2d bilinearConv;           // BILINEAR, else null
        final Concat concat = new Concat();
        final DoubleConv block;
        boolean training = true;

        // kept for backward (training mode)
        INDArray upsampled; // (N,in,2H,2W) the bilinear output, BILINEAR only
        INDArray cat;       // (N,2·out,2H,2W) concat(skip, up)

        UpBlock(ParameterBuffer.Builder b, Map<String, INDArray> buffers, String name, int in, int out,
                UNetConfig config, Random rng) {
            if (config.upsampling() == UNetConfig.Upsampling.TRANSPOSED) {
                upConv = new ConvTranspose2x2(b, name + ".up", in, out, rng);
                bilinear = null;
                bilinearConv = null;
            } else {
                upConv = null;
                bilinear = new BilinearUpsample2x();
                bilinearConv = new Conv2d(b, name + ".up", in, out, config.upKernel(), rng);
            }
            block = new DoubleConv(b, buffers, name, 2 * out, out, config.batchNorm(), rng);
        }

        void setTraining(boolean training) {
            this.training = training;
            block.setTraining(training);
        }

        /**
         * @param x (N,in,H,W), not freed
         * @param skip (N,out,2H,2W), not freed
         * @return (N,out,2H,2W)
         */
        INDArray forward(INDArray x, INDArray skip) {
            if (upConv != null) {                      // the up-convolution writes its half of cat in place
                cat = concat.withFirst(skip, upConv.outChannels());
                upConv.forward(x, concat.second(cat));
            } else {
                upsampled = bilinear.forward(x);
                INDArray u = bilinearConv.forward(upsampled);
                if (!training) {
                    Memory.free(upsampled);
                    upsampled = null;
                }
                cat = concat.forward(skip, u);
                Memory.free(u);
            }
            INDArray y = block.forward(cat);
            if (!training) {
                Memory.free(cat);
                cat = null;
            }
            return y;
        }

        /** @return {dX (N,in,H,W), dSkip (N,out,2H,2W)}; frees what forward kept, dY is not freed */
        INDArray[] backward(INDArray dY) {
            INDArray dCat = block.backward(dY);
            Memory.free(cat);
            INDArray[] g = concat.backward(dCat);  // {dSkip, a view of dCat for dUp}
            INDArray dX;
            if (upConv != null) {
                dX = upConv.backward(g[1]);
            } else {
                INDArray dUp = bilinearConv.backward(g[1]);
                Memory.free(upsampled);
                dX = bilinear.backward(dUp);
                Memory.free(dUp);
            }
            Memory.free(dCat);
            cat = null;
            upsampled = null;
            return new INDArray[] {dX, g[0]};
        }

        /** Frees what forward kept. */
        void release() {
            Memory.free(cat, upsampled);
            cat = null;
            upsampled = null;
            block.release();
        }
    }
}
