package org.segmentation.nn.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
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
import org.segmentation.nn.Shapes;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.SavedModel;
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
        for (DoubleConv d : down) {
            d.setTraining(training);
        }
        bottleneck.setTraining(training);
        dropout.setTraining(training);
        for (UpBlock u : up) {
            u.block.setTraining(training);
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
        int depth = config.depth();
        INDArray[] skips = new INDArray[depth];
        INDArray h = x;
        for (int i = 0; i < depth; i++) {
            skips[i] = down[i].forward(h);              // (N,f_i,H/2^(i),W/2^(i))
            h = pools[i].forward(skips[i]);             // (N,f_i,H/2^(i+1),W/2^(i+1))
        }
        h = dropout.forward(bottleneck.forward(h));     // (N,f_{depth+1},H/2^depth,W/2^depth)
        for (int i = 0; i < depth; i++) {
            h = up[i].forward(h, skips[depth - 1 - i]);
        }
        return head.forward(h);                         // (N,K,H,W)
    }

    /**
     * Back-propagates through the last {@link #forward}, adding into the parameter gradients.
     *
     * @param dLogits gradient of the loss with respect to the logits (N,K,H,W)
     */
    @Override
    public void backward(INDArray dLogits) {
        backwardInput(dLogits);
    }

    /**
     * {@link #backward}, also returning the gradient with respect to the input images (N,C,H,W).
     */
    public INDArray backwardInput(INDArray dLogits) {
        int depth = config.depth();
        INDArray d = head.backward(dLogits);
        INDArray[] dSkips = new INDArray[depth];
        for (int i = depth - 1; i >= 0; i--) {          // the up blocks in reverse: the last applied first
            INDArray[] g = up[i].backward(d);
            d = g[0];
            dSkips[depth - 1 - i] = g[1];
        }
        d = bottleneck.backward(dropout.backward(d));
        for (int i = depth - 1; i >= 0; i--) {
            d = down[i].backward(pools[i].backward(d).addi(dSkips[i]));
        }
        return d;
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
        SavedModel saved = ModelFiles.loadModel(dir);
        UNetConfig config = configFromJson(saved.config(), dir.resolve(ModelFiles.CONFIG));
        UNet model = new UNet(config, seed);
        ModelWeights.load(model, saved.weights());
        model.setTraining(false);
        return model;
    }

    private static final Set<String> CONFIG_KEYS = Set.of("architecture", "input_channels", "classes", "depth",
            "base_filters", "batch_norm", "dropout", "upsampling", "up_kernel", "head", "dtype");

    /** The config as the fields of {@code config.json}, with {@code "architecture": "unet"}. */
    public static ObjectNode configToJson(UNetConfig c) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
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
            if (!CONFIG_KEYS.contains(key)) {
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

    private static JsonNode field(JsonNode json, String key, Path file) throws ModelFormatException {
        JsonNode v = json.get(key);
        if (v == null || v.isNull()) {
            throw new ModelFormatException(file, null, "config field \"" + key + "\" is missing");
        }
        return v;
    }

    private static int intField(JsonNode json, String key, Path file) throws ModelFormatException {
        JsonNode v = field(json, key, file);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ModelFormatException(file, null, "config field \"" + key + "\" is " + v + ", not an int");
        }
        return v.intValue();
    }

    private static double numberField(JsonNode json, String key, Path file) throws ModelFormatException {
        JsonNode v = field(json, key, file);
        if (!v.isNumber()) {
            throw new ModelFormatException(file, null, "config field \"" + key + "\" is " + v + ", not a number");
        }
        return v.doubleValue();
    }

    private static boolean boolField(JsonNode json, String key, Path file) throws ModelFormatException {
        JsonNode v = field(json, key, file);
        if (!v.isBoolean()) {
            throw new ModelFormatException(file, null, "config field \"" + key + "\" is " + v + ", not a boolean");
        }
        return v.booleanValue();
    }

    private static <E extends Enum<E>> E enumField(JsonNode json, String key, Class<E> type, Path file)
            throws ModelFormatException {
        JsonNode v = field(json, key, file);
        if (v.isTextual()) {
            for (E e : type.getEnumConstants()) {
                if (e.name().toLowerCase(java.util.Locale.ROOT).equals(v.textValue())) {
                    return e;
                }
            }
        }
        throw new ModelFormatException(file, null, "config field \"" + key + "\" is " + v + ", expected one of "
                + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(java.util.Locale.ROOT));
    }

    private static DataType dtypeField(JsonNode json, Path file) throws ModelFormatException {
        JsonNode v = field(json, "dtype", file);
        if (v.isTextual() && v.textValue().equals("float32")) {
            return DataType.FLOAT;
        }
        if (v.isTextual() && v.textValue().equals("float64")) {
            return DataType.DOUBLE;
        }
        throw new ModelFormatException(file, null, "config field \"dtype\" is " + v
                + ", expected \"float32\" or \"float64\"");
    }

    // ---------------------------------------------------------------- blocks

    /** [conv3x3 - BN - ReLU] x2, named {@code <name>.conv1}, {@code <name>.bn1}, {@code <name>.conv2}, ... */
    private static final class DoubleConv {
        final Conv2d conv1;
        final BatchNorm2d bn1; // null without batch norm
        final Relu relu1 = new Relu();
        final Conv2d conv2;
        final BatchNorm2d bn2;
        final Relu relu2 = new Relu();

        DoubleConv(ParameterBuffer.Builder b, Map<String, INDArray> buffers, String name, int in, int out,
                boolean batchNorm, Random rng) {
            conv1 = new Conv2d(b, name + ".conv1", in, out, 3, rng);
            bn1 = batchNorm ? batchNorm(b, buffers, name + ".bn1", out) : null;
            conv2 = new Conv2d(b, name + ".conv2", out, out, 3, rng);
            bn2 = batchNorm ? batchNorm(b, buffers, name + ".bn2", out) : null;
        }

        private static BatchNorm2d batchNorm(ParameterBuffer.Builder b, Map<String, INDArray> buffers, String name,
                int channels) {
            BatchNorm2d bn = new BatchNorm2d(b, name, channels);
            buffers.put(name + ".running_mean", bn.runningMean());
            buffers.put(name + ".running_var", bn.runningVar());
            return bn;
        }

        void setTraining(boolean training) {
            if (bn1 != null) {
                bn1.setTraining(training);
                bn2.setTraining(training);
            }
        }

        /** (N,in,H,W) -> (N,out,H,W) */
        INDArray forward(INDArray x) {
            INDArray h = conv1.forward(x);
            h = relu1.forward(bn1 == null ? h : bn1.forward(h));
            h = conv2.forward(h);
            return relu2.forward(bn2 == null ? h : bn2.forward(h));
        }

        /** (N,out,H,W) -> (N,in,H,W) */
        INDArray backward(INDArray dY) {
            INDArray d = relu2.backward(dY);
            d = conv2.backward(bn2 == null ? d : bn2.backward(d));
            d = relu1.backward(d);
            return conv1.backward(bn1 == null ? d : bn1.backward(d));
        }
    }

    /** Up to the skip's resolution (halving the channels), concat(skip, up), then a {@link DoubleConv}. */
    private static final class UpBlock {
        final ConvTranspose2x2 upConv;       // TRANSPOSED, else null
        final BilinearUpsample2x bilinear;   // BILINEAR, else null
        final Conv2d bilinearConv;           // BILINEAR, else null
        final Concat concat = new Concat();
        final DoubleConv block;

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

        /**
         * @param x (N,in,H,W)
         * @param skip (N,out,2H,2W)
         * @return (N,out,2H,2W)
         */
        INDArray forward(INDArray x, INDArray skip) {
            INDArray u = upConv != null ? upConv.forward(x) : bilinearConv.forward(bilinear.forward(x));
            return block.forward(concat.forward(skip, u));
        }

        /** @return {dX (N,in,H,W), dSkip (N,out,2H,2W)} */
        INDArray[] backward(INDArray dY) {
            INDArray[] g = concat.backward(block.backward(dY));  // {dSkip, dUp}
            INDArray dX = upConv != null ? upConv.backward(g[1]) : bilinear.backward(bilinearConv.backward(g[1]));
            return new INDArray[] {dX, g[0]};
        }
    }
}
