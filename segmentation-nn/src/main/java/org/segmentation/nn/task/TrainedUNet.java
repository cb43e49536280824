package org.segmentation.nn.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.io.AtomicFiles;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.SavedModel;
import org.segmentation.nn.model.ModelWeights;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.predict.InputNormalization;
import org.segmentation.nn.predict.ModelSegmenter;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;

/**
 * A U-Net with everything its predictions need: the input normalisation it was trained with and the names of its
 * classes. What {@link UNetTraining} returns and what a model directory holds; loading one and segmenting a file
 * takes two lines:
 *
 * <pre>{@code
 * TrainedUNet model = TrainedUNet.load(Path.of("runs/cells"));
 * LabelMap labels = model.segment(Path.of("cell.png"));    // class ids, see model.classNames()
 * }</pre>
 *
 * <p><b>Files.</b> {@link #save} writes a {@link ModelFiles} directory whose {@code config.json} holds the
 * {@link UNet} architecture fields plus {@code "input": {"channels": C, "scale": "unit", "mean": [..], "std": [..]}}
 * and {@code "class_names": [..]}. A directory written before these fields existed (format version 1, or by
 * {@link UNet#save}) loads with the defaults: intensities in [0, 1] as they are ({@link InputNormalization#unit})
 * and classes named {@code "background", "class 1", ...}.
 *
 * <p>Predictions run a {@link Predictor} on the whole image ({@link PredictorConfig#wholeImage()}); use
 * {@link #segmenter} for tiles or flips. Safe to call from several threads (see {@link Predictor}).
 */
public final class TrainedUNet {
    /** The model folder inside a {@link UNetTraining} output folder (and a {@code seg train --out} folder). */
    public static final String MODEL_DIR = "model";
    /** The only input scale: 8-bit values over 255, 16-bit over 65535. */
    static final String UNIT_SCALE = "unit";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final UNet network;
    private final InputNormalization normalization;
    private final List<String> classNames;
    private final Predictor predictor;

    /**
     * @param classNames one per class, background first; for a one-channel (sigmoid) model two names
     * @throws IllegalArgumentException if the normalisation's channels or the number of names do not fit the
     *     network
     */
    public TrainedUNet(UNet network, InputNormalization normalization, List<String> classNames) {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(normalization, "normalization");
        int classes = classCount(network);
        if (normalization.channels() != network.inputChannels()) {
            throw new IllegalArgumentException("the normalisation has " + normalization.channels()
                    + " channel(s), the network takes " + network.inputChannels());
        }
        if (classNames.size() != classes) {
            throw new IllegalArgumentException(classes + " class names needed, got " + classNames.size() + ": "
                    + classNames);
        }
        this.network = network;
        this.normalization = normalization;
        this.classNames = List.copyOf(classNames);
        this.predictor = new Predictor(network, PredictorConfig.wholeImage());
    }

    /** {@code "background", "class 1", ..., "class n-1"}. */
    public static List<String> defaultClassNames(int classes) {
        List<String> names = new ArrayList<>();
        names.add("background");
        for (int c = 1; c < classes; c++) {
            names.add("class " + c);
        }
        return names;
    }

    /**
     * Loads a model directory, or the {@value #MODEL_DIR} folder inside a training output folder.
     *
     * @throws FileNotFoundException naming {@code dir} if it holds no model
     * @throws ModelFormatException naming the file and the problem if the model is malformed
     */
    public static TrainedUNet load(Path dir) throws IOException {
        Path d = resolve(dir);
        SavedModel saved = ModelFiles.loadModel(d);
        Path configFile = d.resolve(ModelFiles.CONFIG);
        ObjectNode config = saved.config().deepCopy();
        JsonNode input = config.remove("input");
        JsonNode names = config.remove("class_names");
        UNet network = UNet.fromSaved(new SavedModel(config, saved.weights()), d, 0);
        InputNormalization normalization = input == null ? InputNormalization.unit(network.inputChannels())
                : parseInput(input, configFile);
        List<String> classNames = names == null ? defaultClassNames(classCount(network))
                : parseNames(names, configFile);
        try {
            return new TrainedUNet(network, normalization, classNames);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configFile, null, e.getMessage(), e);
        }
    }

    /** Saves as model directory {@code dir}, replacing a model directory already there (see {@link ModelFiles}). */
    public void save(Path dir) throws IOException {
        ModelFiles.saveModel(dir, new SavedModel(JSON.valueToTree(configFields()), ModelWeights.toTensors(network)));
    }

    /** The fields of this model's {@code config.json}: what a checkpoint of its training writes. */
    public Map<String, Object> configFields() {
        return configFields(network, normalization, classNames);
    }

    static Map<String, Object> configFields(UNet network, InputNormalization normalization, List<String> names) {
        Map<String, Object> fields = UNet.configFields(network.config());
        fields.put("input", inputFields(normalization));
        fields.put("class_names", List.copyOf(names));
        return fields;
    }

    /** The {@code "input"} object of a model's {@code config.json}, which {@link #parseInput} reads. */
    static Map<String, Object> inputFields(InputNormalization normalization) {
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("channels", normalization.channels());
        input.put("scale", UNIT_SCALE);
        input.put("mean", normalization.mean());
        input.put("std", normalization.std());
        return input;
    }

    public UNet network() {
        return network;
    }

    public InputNormalization normalization() {
        return normalization;
    }

    /** One name per class id, background (0) first. */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * The class id of every pixel of an image file (PNG, JPEG, TIFF, BMP), read and normalised as in training.
     *
     * @throws FileNotFoundException naming the file if it does not exist
     * @throws IOException naming the file if it cannot be decoded
     */
    public LabelMap segment(Path imageFile) throws IOException {
        return predictor.labels(input(imageFile));
    }

    /** The class id of every pixel of a decoded image, normalised as in training. */
    public LabelMap segment(BufferedImage image) {
        return predictor.labels(normalization.apply(image));
    }

    /**
     * The class id of every pixel of an image with intensities in [0, 1] (as the datasets give them).
     *
     * @throws IllegalArgumentException if its channel count is not the model's
     */
    public LabelMap segment(PlanarF32 unitImage) {
        return predictor.labels(normalization.apply(unitImage));
    }

    /**
     * An image file as the network's input: {@link #read}, then normalised.
     *
     * @throws FileNotFoundException naming the file if it does not exist
     * @throws IOException naming the file if it cannot be decoded
     */
    public PlanarF32 input(Path imageFile) throws IOException {
        return normalization.apply(read(imageFile));
    }

    /**
     * An image file decoded with the model's channel count and scaled to [0, 1]
     * ({@link ConvertImage#toUnitPlanar}), before normalisation: what an overlay is
     * drawn on.
     *
     * @throws FileNotFoundException naming the file if it does not exist
     * @throws IOException naming the file if it cannot be decoded
     */
    public PlanarF32 read(Path imageFile) throws IOException {
        return read(imageFile, ImageFiles.DEFAULT_MAX_PIXELS);
    }

    /**
     * {@link #read(Path)} with a limit on the pixels the file's header may declare.
     *
     * @throws IOException naming the file if it cannot be decoded or declares more than {@code maxPixels}
     */
    public PlanarF32 read(Path imageFile, long maxPixels) throws IOException {
        return readUnit(imageFile, normalization.channels(), maxPixels);
    }

    /** An image file decoded with {@code channels} channels and scaled to [0, 1]; see {@link #read}. */
    static PlanarF32 readUnit(Path imageFile, int channels, long maxPixels) throws IOException {
        if (!Files.isRegularFile(imageFile)) {
            throw new FileNotFoundException("input image " + imageFile + (Files.exists(imageFile)
                    ? " is not a file" : " does not exist"));
        }
        return ImageFiles.readUnitPlanar(imageFile, channels, maxPixels);
    }

    /**
     * This model as a {@link org.segmentation.core.segment.Segmenter}: class ids, or with {@code instances} the
     * watershed instances of a 3-class (background, interior, boundary) model.
     *
     * @throws IllegalArgumentException if {@code instances} is asked of a model without 3 classes
     */
    public ModelSegmenter segmenter(String name, PredictorConfig config, boolean instances) {
        return ModelSegmenter.of(name, network, normalization, config, instances);
    }

    /** A model directory itself, or the {@value #MODEL_DIR} folder inside {@code dir}. */
    static Path resolve(Path given) throws IOException {
        Path dir = AtomicFiles.existingDirectory(given);
        if (!Files.isDirectory(dir)) {
            throw new FileNotFoundException("model folder " + dir + (Files.exists(dir) ? " is not a folder"
                    : " does not exist"));
        }
        if (Files.isRegularFile(dir.resolve(ModelFiles.CONFIG))) {
            return dir;
        }
        Path inner = AtomicFiles.existingDirectory(dir.resolve(MODEL_DIR));
        if (Files.isRegularFile(inner.resolve(ModelFiles.CONFIG))) {
            return inner;
        }
        throw new FileNotFoundException("model folder " + dir + " holds no " + ModelFiles.CONFIG + " (nor does "
                + inner + ")");
    }

    private static int classCount(UNet network) {
        return network.outputChannels() == 1 ? 2 : network.outputChannels();
    }

    static InputNormalization parseInput(JsonNode input, Path file) throws ModelFormatException {
        if (!input.isObject()) {
            throw new ModelFormatException(file, null, "\"input\" is " + input + ", not an object");
        }
        JsonNode channels = input.get("channels");
        JsonNode scale = input.get("scale");
        if (channels == null || !channels.canConvertToInt() || !channels.isIntegralNumber()) {
            throw new ModelFormatException(file, null, "input.channels is " + channels + ", not an int");
        }
        if (scale == null || !UNIT_SCALE.equals(scale.asText(null))) {
            throw new ModelFormatException(file, null, "input.scale is " + scale + ", expected \"" + UNIT_SCALE
                    + "\"");
        }
        try {
            return new InputNormalization(channels.intValue(), numbers(input, "mean", file),
                    numbers(input, "std", file));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, null, "input: " + e.getMessage(), e);
        }
    }

    private static double[] numbers(JsonNode input, String key, Path file) throws ModelFormatException {
        JsonNode a = input.get(key);
        if (a == null || !a.isArray()) {
            throw new ModelFormatException(file, null, "input." + key + " is " + a + ", not an array");
        }
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).isNumber()) {
                throw new ModelFormatException(file, null, "input." + key + "[" + i + "] is " + a.get(i)
                        + ", not a number");
            }
            out[i] = a.get(i).doubleValue();
        }
        return out;
    }

    static List<String> parseNames(JsonNode names, Path file) throws ModelFormatException {
        if (!names.isArray()) {
            throw new ModelFormatException(file, null, "\"class_names\" is " + names + ", not an array");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode n : (ArrayNode) names) {
            if (!n.isTextual()) {
                throw new ModelFormatException(file, null, "a class name is " + n + ", not a string");
            }
            out.add(n.textValue());
        }
        return out;
    }
}
