package org.segmentation.nn.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.segmentation.core.io.AtomicFiles;

/**
 * Saves and loads models and training checkpoints as directories:
 *
 * <pre>
 * config.json            {"format_version": 2, "save_id": "...", ...architecture fields, and for a task-level
 *                        model "input" (normalisation) and "class_names"}
 * model.safetensors      weights (parameters and buffers)
 * optimizer.safetensors  checkpoints only: the optimizer's tensors
 * training_state.json    checkpoints only: {"format_version": 1, "save_id": "...", "epoch": 3, "step": 1200,
 *                        "rng_state": "...", "extra": {...}}
 * </pre>
 *
 * <p><b>Consistency.</b> A save writes every file into a fresh hidden sibling directory and renames it to the
 * target ({@link AtomicFiles#writeDirectory}), so a crash never leaves a directory that mixes files of two saves
 * or holds a half-written file. A crash between moving the old directory aside and moving the new one in leaves
 * no directory under the target's name; loading then reads the complete hidden copy
 * ({@code AtomicFiles.existingDirectory}), and the next save restores the name and deletes the debris. Every
 * file also carries the same random {@code save_id} (in the JSON files and in the safetensors
 * {@code __metadata__}), and loading rejects files whose ids differ: a reader that opens the
 * files while another process replaces the directory gets a {@link ModelFormatException}, never a mismatched
 * model, and may simply retry. Files without a {@code save_id} (made by other tools) are accepted as long as
 * none of the directory's files has one.
 *
 * <p><b>Versions.</b> {@code format_version} is the version of this layout, {@link #FORMAT_VERSION}; loading a
 * directory of a newer version throws a {@link ModelFormatException}. Version 2 added the optional
 * {@code "input"} and {@code "class_names"} fields of {@code config.json} (see
 * {@code org.segmentation.nn.task.TrainedUNet}); version 1 files load unchanged, with the defaults those fields
 * stand for. Architecture versions belong in the caller's own config fields.
 *
 * <p><b>Validation.</b> Loading checks the files' formats and the save ids, not that the tensors fit the
 * config: only the model that owns the architecture knows the shapes. It should check each tensor as it
 * restores it, typically with {@link TensorFile#require}, which throws a {@link ModelFormatException} naming
 * the file and the tensor.
 */
public final class ModelFiles {
    /** The layout version this class writes and the newest it reads. */
    public static final int FORMAT_VERSION = 2;
    /** The architecture file. */
    public static final String CONFIG = "config.json";
    /** The weights file. */
    public static final String WEIGHTS = "model.safetensors";
    /** The optimizer state file of a checkpoint. */
    public static final String OPTIMIZER = "optimizer.safetensors";
    /** The training position file of a checkpoint. */
    public static final String TRAINING_STATE = "training_state.json";

    /**
     * The largest {@value #CONFIG} or {@value #TRAINING_STATE} read, 1 MiB (the library's are a few KiB; a config
     * with tens of thousands of class names still fits), refused before it is parsed; nesting is limited to
     * {@link SafeTensors#MAX_JSON_DEPTH} levels.
     */
    public static final long MAX_JSON_BYTES = 1L << 20;

    static final String FORMAT_VERSION_KEY = "format_version";
    static final String SAVE_ID_KEY = "save_id";
    private static final Set<String> OWN_FILES = Set.of(CONFIG, WEIGHTS, OPTIMIZER, TRAINING_STATE);

    private ModelFiles() {
    }

    /**
     * Saves {@code model} as directory {@code dir}, replacing a model or checkpoint directory already there.
     *
     * @throws IllegalArgumentException if the config uses the reserved keys {@code format_version} or
     *     {@code save_id}, or the weights' metadata uses {@code save_id}
     * @throws java.nio.file.FileAlreadyExistsException if {@code dir} exists but holds other files
     */
    public static void saveModel(Path dir, SavedModel model) throws IOException {
        String saveId = UUID.randomUUID().toString();
        checkReserved(model);
        AtomicFiles.writeDirectory(dir, OWN_FILES, tmp -> writeModel(tmp, model, saveId));
    }

    /**
     * Saves {@code checkpoint} as directory {@code dir}, replacing a model or checkpoint directory already
     * there.
     *
     * @throws IllegalArgumentException if a reserved key is used (see {@link #saveModel}; the optimizer's
     *     metadata may not use {@code save_id} either)
     * @throws java.nio.file.FileAlreadyExistsException if {@code dir} exists but holds other files
     */
    public static void saveCheckpoint(Path dir, Checkpoint checkpoint) throws IOException {
        String saveId = UUID.randomUUID().toString();
        checkReserved(checkpoint.model());
        checkReservedMetadata(checkpoint.optimizer(), "optimizer");
        AtomicFiles.writeDirectory(dir, OWN_FILES, tmp -> {
            writeModel(tmp, checkpoint.model(), saveId);
            SafeTensors.write(tmp.resolve(OPTIMIZER), withSaveId(checkpoint.optimizer(), saveId));
            TrainingState s = checkpoint.state();
            ObjectNode json = SafeTensors.JSON.createObjectNode();
            json.put(FORMAT_VERSION_KEY, FORMAT_VERSION);
            json.put(SAVE_ID_KEY, saveId);
            json.put("epoch", s.epoch());
            json.put("step", s.step());
            json.put("rng_state", s.rngState());
            json.set("extra", s.extra());
            writeJson(tmp.resolve(TRAINING_STATE), json);
        });
    }

    /**
     * Loads the model of directory {@code dir} (a model or a checkpoint directory).
     *
     * @throws ModelFormatException if a file is missing, malformed, of a newer format version, or from another
     *     save than the others
     */
    public static SavedModel loadModel(Path given) throws IOException {
        Path dir = AtomicFiles.existingDirectory(given);
        Map<String, String> ids = new LinkedHashMap<>();
        SavedModel model = readModel(dir, ids);
        checkSameSave(dir, ids);
        return model;
    }

    /**
     * The {@value #CONFIG} of model or checkpoint directory {@code dir}, checked as {@link #loadModel} checks it
     * (size at most {@link #MAX_JSON_BYTES}, nesting, UTF-8, a JSON object without duplicate keys, a supported
     * format version), without its {@code format_version} and {@code save_id}; the weights are not read.
     *
     * @throws ModelFormatException naming the file if it is missing or malformed, or of a newer format version
     */
    public static ObjectNode readConfig(Path dir) throws IOException {
        return readJson(AtomicFiles.existingDirectory(dir).resolve(CONFIG), new LinkedHashMap<>());
    }

    /**
     * Loads the checkpoint of directory {@code dir}.
     *
     * @throws ModelFormatException if a file is missing, malformed, of a newer format version, or from another
     *     save than the others
     */
    public static Checkpoint loadCheckpoint(Path given) throws IOException {
        Path dir = AtomicFiles.existingDirectory(given);
        Map<String, String> ids = new LinkedHashMap<>();
        SavedModel model = readModel(dir, ids);
        TensorFile optimizer = readTensors(dir.resolve(OPTIMIZER), ids);
        Path stateFile = dir.resolve(TRAINING_STATE);
        ObjectNode json = readJson(stateFile, ids);
        long epoch = nonNegativeLong(stateFile, json, "epoch");
        long step = nonNegativeLong(stateFile, json, "step");
        JsonNode rng = json.get("rng_state");
        if (rng == null || !rng.isTextual()) {
            throw new ModelFormatException(stateFile, null, "rng_state is missing or not a string");
        }
        JsonNode extra = json.get("extra");
        if (extra == null || !extra.isObject()) {
            throw new ModelFormatException(stateFile, null, "extra is missing or not an object");
        }
        checkSameSave(dir, ids);
        return new Checkpoint(model, optimizer, new TrainingState(epoch, step, rng.textValue(), (ObjectNode) extra));
    }

    private static void writeModel(Path dir, SavedModel model, String saveId) throws IOException {
        SafeTensors.write(dir.resolve(WEIGHTS), withSaveId(model.weights(), saveId));
        ObjectNode config = SafeTensors.JSON.createObjectNode();
        config.put(FORMAT_VERSION_KEY, FORMAT_VERSION);
        config.put(SAVE_ID_KEY, saveId);
        config.setAll(model.config());
        writeJson(dir.resolve(CONFIG), config);
    }

    private static SavedModel readModel(Path dir, Map<String, String> ids) throws IOException {
        ObjectNode config = readJson(dir.resolve(CONFIG), ids);
        TensorFile weights = readTensors(dir.resolve(WEIGHTS), ids);
        return new SavedModel(config, weights);
    }

    private static void checkReserved(SavedModel model) {
        for (String key : new String[] {FORMAT_VERSION_KEY, SAVE_ID_KEY}) {
            if (model.config().has(key)) {
                throw new IllegalArgumentException("config key '" + key + "' is reserved for " + CONFIG);
            }
        }
        checkReservedMetadata(model.weights(), "weights");
    }

    private static void checkReservedMetadata(TensorFile file, String what) {
        if (file.metadata().containsKey(SAVE_ID_KEY)) {
            throw new IllegalArgumentException(what + " metadata key '" + SAVE_ID_KEY + "' is reserved");
        }
    }

    private static TensorFile withSaveId(TensorFile file, String saveId) {
        Map<String, String> metadata = new LinkedHashMap<>(file.metadata());
        metadata.put(SAVE_ID_KEY, saveId);
        return new TensorFile(file.tensors(), metadata);
    }

    private static void writeJson(Path file, ObjectNode json) throws IOException {
        byte[] bytes = SafeTensors.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json);
        if (bytes.length > MAX_JSON_BYTES) {
            throw new IllegalArgumentException(file.getFileName() + " would have " + bytes.length
                    + " bytes, more than the " + MAX_JSON_BYTES + " the loader reads");
        }
        AtomicFiles.write(file, ch -> {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        });
    }

    /** Reads a safetensors file, moving its save id from the metadata into {@code ids}. */
    private static TensorFile readTensors(Path file, Map<String, String> ids) throws IOException {
        TensorFile read;
        try {
            read = SafeTensors.read(file);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file, null, "missing", e);
        }
        Map<String, String> metadata = new LinkedHashMap<>(read.metadata());
        ids.put(file.getFileName().toString(), metadata.remove(SAVE_ID_KEY));
        return new TensorFile(read.tensors(), metadata, file);
    }

    /**
     * Reads a JSON object with a supported {@code format_version}, moving its save id into {@code ids}; the
     * result has neither key.
     */
    private static ObjectNode readJson(Path file, Map<String, String> ids) throws IOException {
        byte[] bytes;
        SafeTensors.requireRegularFile(file);
        try {
            long size = Files.size(file);
            if (size > SafeTensors.jsonLimit(MAX_JSON_BYTES)) {
                throw new ModelFormatException(file, null, "has " + size + " bytes, more than the limit of "
                        + SafeTensors.describeJsonLimit(MAX_JSON_BYTES) + " for a JSON file");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file, null, "missing", e);
        }
        JsonNode root;
        try {
            root = SafeTensors.JSON.readTree(SafeTensors.decodeUtf8(bytes));
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file, null, "not valid UTF-8", e);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file, null, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file, null, "not a JSON object");
        }
        ObjectNode json = (ObjectNode) root;
        JsonNode version = json.remove(FORMAT_VERSION_KEY);
        if (version == null || !version.isIntegralNumber() || !version.canConvertToInt() || version.intValue() < 1) {
            throw new ModelFormatException(file, null, FORMAT_VERSION_KEY + " is "
                    + (version == null ? "missing" : version.toString()) + ", not a positive integer");
        }
        if (version.intValue() > FORMAT_VERSION) {
            throw new ModelFormatException(file, null, FORMAT_VERSION_KEY + " " + version.intValue()
                    + " is newer than the version " + FORMAT_VERSION + " this library reads");
        }
        JsonNode id = json.remove(SAVE_ID_KEY);
        if (id != null && !id.isTextual()) {
            throw new ModelFormatException(file, null, SAVE_ID_KEY + " is " + id + ", not a string");
        }
        ids.put(file.getFileName().toString(), id == null ? null : id.textValue());
        return json;
    }

    private static long nonNegativeLong(Path file, ObjectNode json, String key) throws ModelFormatException {
        JsonNode v = json.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
            throw new ModelFormatException(file, null, key + " is " + (v == null ? "missing" : v.toString())
                    + ", not a non-negative integer");
        }
        return v.longValue();
    }

    /** Throws unless every file has the same save id (or none has one). */
    private static void checkSameSave(Path dir, Map<String, String> ids) throws ModelFormatException {
        String first = null;
        String firstFile = null;
        for (Map.Entry<String, String> e : ids.entrySet()) {
            if (firstFile == null) {
                firstFile = e.getKey();
                first = e.getValue();
            } else if (!Objects.equals(first, e.getValue())) {
                throw new ModelFormatException(dir, null, "files come from different saves: " + firstFile
                        + " has " + SAVE_ID_KEY + " " + first + ", " + e.getKey() + " has " + e.getValue()
                        + " (was the directory replaced while it was read, or files copied in by hand?)");
            }
        }
    }
}
