package org.segmentation.nn.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.segment.InstanceSegmentation;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.SavedModel;
import org.segmentation.nn.model.MaskRCNN;
import org.segmentation.nn.model.MaskRCNNTransform;

/**
 * A Mask R-CNN with everything its predictions need: the transform it was trained with (normalisation of [0, 1]
 * intensities, resizing) and the names of its classes. Loading one and finding the instances of a file takes two
 * lines:
 *
 * <pre>{@code
 * TrainedMaskRCNN model = TrainedMaskRCNN.load(Path.of("runs/items"));
 * InstanceSegmentation found = model.segment(Path.of("photo.png"));   // classes: model.classNames()
 * }</pre>
 *
 * <p><b>Files.</b> {@link #save} writes a {@link ModelFiles} directory whose {@code config.json} holds the
 * {@link MaskRCNN#configToJson} fields (with {@code "architecture": "maskrcnn"}) plus {@code "transform":
 * {"min_size", "max_size", "size_divisible"}}, the normalisation as {@code "input"} (as {@link TrainedUNet}
 * writes it) and {@code "class_names"}, and whose
 * {@code model.safetensors} holds the weights under torchvision's state_dict names. Masks are thresholded at
 * {@link #MASK_THRESHOLD}.
 *
 * <p>One call at a time (the network serves one thread).
 */
public final class TrainedMaskRCNN {
    /** Mask probability above which a pixel belongs to an instance, as torchvision's users threshold. */
    public static final double MASK_THRESHOLD = 0.5;

    private final MaskRCNN network;
    private final MaskRCNNTransform transform;
    private final List<String> classNames;

    /**
     * @param classNames one per class, background first
     * @throws IllegalArgumentException if the transform's channels or the number of names do not fit the network
     */
    public TrainedMaskRCNN(MaskRCNN network, MaskRCNNTransform transform, List<String> classNames) {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(transform, "transform");
        if (transform.input().channels() != network.config().backbone().inputChannels()) {
            throw new IllegalArgumentException("the transform normalises " + transform.input().channels()
                    + " channel(s), the network takes " + network.config().backbone().inputChannels());
        }
        if (classNames.size() != network.config().classes()) {
            throw new IllegalArgumentException(network.config().classes() + " class names needed, got "
                    + classNames.size() + ": " + classNames);
        }
        this.network = network;
        this.transform = transform;
        this.classNames = List.copyOf(classNames);
    }

    /**
     * Loads a model directory, or the {@value TrainedUNet#MODEL_DIR} folder inside a training output folder.
     *
     * @throws FileNotFoundException naming {@code dir} if it holds no model
     * @throws ModelFormatException naming the file and the problem if the model is malformed or not a Mask R-CNN
     */
    public static TrainedMaskRCNN load(Path dir) throws IOException {
        Path d = TrainedUNet.resolve(dir);
        SavedModel saved = ModelFiles.loadModel(d);
        Path configFile = d.resolve(ModelFiles.CONFIG);
        JsonNode t = saved.config().get("transform");
        JsonNode input = saved.config().get("input");
        JsonNode names = saved.config().get("class_names");
        if (t == null || input == null || names == null) {
            throw new ModelFormatException(configFile, null, "a Mask R-CNN model needs \"transform\", \"input\""
                    + " and \"class_names\"");
        }
        if (!t.isObject()) {
            throw new ModelFormatException(configFile, null, "\"transform\" is " + t + ", not an object");
        }
        MaskRCNNTransform transform;
        try {
            // before the network is built: the transform's limits refuse sizes the images could not be resized to
            transform = new MaskRCNNTransform(integer(t, "min_size", configFile), integer(t, "max_size", configFile),
                    TrainedUNet.parseInput(input, configFile), integer(t, "size_divisible", configFile));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configFile, null, "\"transform\": " + e.getMessage(), e);
        }
        MaskRCNN network = MaskRCNN.fromSaved(saved, d);
        try {
            return new TrainedMaskRCNN(network, transform, TrainedUNet.parseNames(names, configFile));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configFile, null, e.getMessage(), e);
        }
    }

    /**
     * Whether {@code dir} (a model directory or a training output folder) holds a Mask R-CNN: its
     * {@code config.json} says {@code "architecture": "maskrcnn"}. Reads only that file, with the checks of
     * {@link ModelFiles#readConfig}, so that a file either loader would refuse is refused here with the same
     * message.
     *
     * @throws FileNotFoundException naming {@code dir} if it holds no model
     * @throws ModelFormatException naming the file if it is not a JSON object of a supported format version, or
     *     its {@code "architecture"} is not a string
     */
    public static boolean describes(Path dir) throws IOException {
        Path d = TrainedUNet.resolve(dir);
        JsonNode arch = ModelFiles.readConfig(d).get("architecture");
        if (arch != null && !arch.isTextual()) {
            throw new ModelFormatException(d.resolve(ModelFiles.CONFIG), null, "\"architecture\" is " + arch
                    + ", not a string");
        }
        return arch != null && MaskRCNN.ARCHITECTURE.equals(arch.textValue());
    }

    /** Saves as model directory {@code dir}, replacing a model directory already there (see {@link ModelFiles}). */
    public void save(Path dir) throws IOException {
        ModelFiles.saveModel(dir, new SavedModel(configJson(), network.toTensors()));
    }

    /**
     * The fields of this model's {@code config.json} as {@link #save} writes them, for the checkpoints of a
     * training run ({@link org.segmentation.nn.train.TrainerConfig.Builder#checkpoints}), whose directories then
     * load as this model.
     */
    public java.util.Map<String, Object> configFields() {
        return new com.fasterxml.jackson.databind.ObjectMapper().convertValue(configJson(),
                new com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, Object>>() { });
    }

    private ObjectNode configJson() {
        ObjectNode config = MaskRCNN.configToJson(network.config());
        config.putObject("transform").put("min_size", transform.minSize()).put("max_size", transform.maxSize())
                .put("size_divisible", transform.sizeDivisible());
        config.set("input", new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(
                TrainedUNet.inputFields(transform.input())));
        classNames.forEach(config.putArray("class_names")::add);
        return config;
    }

    public MaskRCNN network() {
        return network;
    }

    public MaskRCNNTransform transform() {
        return transform;
    }

    /** One name per class id, background (0) first. */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * The instances of an image file (PNG, JPEG, TIFF, BMP), in its own size.
     *
     * @throws FileNotFoundException naming the file if it does not exist
     * @throws IOException naming the file if it cannot be decoded
     */
    public InstanceSegmentation segment(Path imageFile) throws IOException {
        return segment(read(imageFile));
    }

    /**
     * The instances of an image with intensities in [0, 1] (as the datasets give them).
     *
     * @throws IllegalArgumentException if its channel count is not the model's
     */
    public InstanceSegmentation segment(PlanarF32 unitImage) {
        return transform.segment(network, List.of(unitImage), MASK_THRESHOLD).get(0);
    }

    /**
     * An image file decoded with the model's channel count and scaled to [0, 1]
     * ({@link org.segmentation.core.image.ConvertImage#toUnitPlanar}): the model's input before its transform, and
     * what an overlay is drawn on.
     *
     * @throws FileNotFoundException naming the file if it does not exist
     * @throws IOException naming the file if it cannot be decoded
     */
    public PlanarF32 read(Path imageFile) throws IOException {
        return TrainedUNet.readUnit(imageFile, transform.input().channels(), ImageFiles.DEFAULT_MAX_PIXELS);
    }

    private static int integer(JsonNode t, String key, Path file) throws ModelFormatException {
        JsonNode v = t.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ModelFormatException(file, null, "transform field \"" + key + "\" is " + v + ", not an int");
        }
        return v.intValue();
    }
}
