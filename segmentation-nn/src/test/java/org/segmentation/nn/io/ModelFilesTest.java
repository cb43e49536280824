package org.segmentation.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.io.Tensor;

class ModelFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static SavedModel model(int version) {
        ObjectNode config = JSON.createObjectNode();
        config.put("architecture", "unet");
        config.put("version", version);
        config.putArray("channels").add(16).add(32);
        config.putObject("norm").put("kind", "batch").put("momentum", 0.1);
        float[] w = new float[2 * 3 * 3 * 3];
        java.util.Arrays.fill(w, version);
        TensorFile weights = TensorFile.builder()
                .put("down1.conv1.weight", Tensor.f32(w, 2, 3, 3, 3))
                .put("down1.bn1.num_batches_tracked", Tensor.i64(new long[] {version}))
                .meta("producer", "test")
                .build();
        return new SavedModel(config, weights);
    }

    static Checkpoint checkpoint(int version) {
        TensorFile optimizer = TensorFile.builder()
                .put("exp_avg.down1.conv1.weight", Tensor.f32(new float[54], 2, 3, 3, 3))
                .put("step", Tensor.i64(new long[] {12L * version}))
                .meta("lr", "0.001")
                .build();
        ObjectNode extra = JSON.createObjectNode().put("best_val_iou", 0.75);
        return new Checkpoint(model(version), optimizer,
                new TrainingState(version, 12L * version, "-8247393401283743", extra));
    }

    @Test
    void modelRoundTripWritesVersionAndSaveIdIntoBothFiles() throws IOException {
        Path d = dir.resolve("model");
        SavedModel saved = model(1);
        ModelFiles.saveModel(d, saved);
        assertEquals(List.of(ModelFiles.CONFIG, ModelFiles.WEIGHTS), listing(d));
        SavedModel loaded = ModelFiles.loadModel(d);
        assertEquals(saved, loaded);

        JsonNode config = JSON.readTree(d.resolve(ModelFiles.CONFIG).toFile());
        assertEquals(ModelFiles.FORMAT_VERSION, config.get("format_version").intValue());
        String id = config.get("save_id").textValue();
        assertEquals(id, SafeTensors.read(d.resolve(ModelFiles.WEIGHTS)).metadata().get("save_id"));
    }

    @Test
    void checkpointRoundTripAndReadAsModel() throws IOException {
        Path d = dir.resolve("ckpt");
        Checkpoint saved = checkpoint(3);
        ModelFiles.saveCheckpoint(d, saved);
        Checkpoint loaded = ModelFiles.loadCheckpoint(d);
        assertEquals(saved, loaded);
        assertEquals(3, loaded.state().epoch());
        assertEquals(saved.model(), ModelFiles.loadModel(d));
    }

    @Test
    void savingReplacesPreviousSaveCompletely() throws IOException {
        Path d = dir.resolve("ckpt");
        ModelFiles.saveCheckpoint(d, checkpoint(1));
        ModelFiles.saveModel(d, model(2));
        assertEquals(List.of(ModelFiles.CONFIG, ModelFiles.WEIGHTS), listing(d));
        assertEquals(model(2), ModelFiles.loadModel(d));
        assertEquals(List.of("ckpt"), listing(dir), "no temporary or old directory left");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.loadCheckpoint(d));
        assertEquals(d.resolve(ModelFiles.OPTIMIZER), e.file());
    }

    @Test
    void filesOfDifferentSavesAreRejected() throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        ModelFiles.saveCheckpoint(a, checkpoint(1));
        ModelFiles.saveCheckpoint(b, checkpoint(1));
        Files.copy(b.resolve(ModelFiles.WEIGHTS), a.resolve(ModelFiles.WEIGHTS), StandardCopyOption.REPLACE_EXISTING);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.loadModel(a));
        assertTrue(e.getMessage().contains("different saves"), e.getMessage());
        assertEquals(a, e.file());

        Files.copy(b.resolve(ModelFiles.TRAINING_STATE), a.resolve(ModelFiles.TRAINING_STATE),
                StandardCopyOption.REPLACE_EXISTING);
        Files.copy(b.resolve(ModelFiles.CONFIG), a.resolve(ModelFiles.CONFIG), StandardCopyOption.REPLACE_EXISTING);
        // config, weights and training state now all come from b, the optimizer state from a
        assertEquals(model(1), ModelFiles.loadModel(a));
        ModelFormatException ckpt = assertThrows(ModelFormatException.class, () -> ModelFiles.loadCheckpoint(a));
        assertTrue(ckpt.getMessage().contains(ModelFiles.OPTIMIZER), ckpt.getMessage());
    }

    @Test
    void readerNeverSeesAMixOfTwoSaves() throws Exception {
        // A writer replaces the model over and over; every load either fails with ModelFormatException (the
        // directory was being swapped) or returns a config and weights of the same save. Without the save id
        // check, this test sees config of one save with weights of the next within a few runs: renaming the
        // directory alone does not stop a reader that opens config.json before and model.safetensors after it.
        Path d = dir.resolve("live");
        ModelFiles.saveModel(d, model(0));
        AtomicReference<Throwable> writerError = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int v = 1; v <= 20; v++) {
                    ModelFiles.saveModel(d, model(v));
                }
            } catch (Throwable t) {
                writerError.set(t);
            }
        });
        writer.start();
        int loads = 0;
        int retries = 0;
        while (writer.isAlive() || loads == 0) {
            try {
                SavedModel m = ModelFiles.loadModel(d);
                int version = m.config().get("version").intValue();
                assertEquals(version, (int) m.weights().get("down1.conv1.weight").floats()[0]);
                assertEquals(version, m.weights().get("down1.bn1.num_batches_tracked").longs()[0]);
                loads++;
            } catch (ModelFormatException e) {
                retries++;
            }
        }
        writer.join();
        assertEquals(null, writerError.get());
        assertTrue(loads > 0, "loads " + loads + ", retries " + retries);
        assertEquals(model(20), ModelFiles.loadModel(d));
    }

    @Test
    void newerFormatVersionIsRejected() throws IOException {
        Path d = dir.resolve("m");
        ModelFiles.saveModel(d, model(1));
        Path config = d.resolve(ModelFiles.CONFIG);
        String newer = Integer.toString(ModelFiles.FORMAT_VERSION + 1);
        for (String version : new String[] {newer, "0", "\"1\"", "1.5"}) {
            ObjectNode json = (ObjectNode) JSON.readTree(config.toFile());
            json.set("format_version", JSON.readTree(version));
            Files.write(config, JSON.writeValueAsBytes(json));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.loadModel(d));
            assertEquals(config, e.file());
            assertTrue(e.getMessage().contains(version.equals(newer)
                    ? "newer than the version " + ModelFiles.FORMAT_VERSION : "not a positive"),
                    e.getMessage());
        }
        Files.writeString(config, "{\"save_id\": \"x\"}");
        assertTrue(assertThrows(ModelFormatException.class, () -> ModelFiles.loadModel(d)).getMessage()
                .contains("format_version is missing"));
        Files.writeString(config, "{\"format_version\": 1, \"a\": 1, \"a\": 2}");
        assertTrue(assertThrows(ModelFormatException.class, () -> ModelFiles.loadModel(d)).getMessage()
                .contains("Duplicate field 'a'"));
    }

    @Test
    void oversizedConfigIsRefusedWithoutReadingIt() throws IOException {
        Path d = dir.resolve("m");
        ModelFiles.saveModel(d, model(1));
        Path config = d.resolve(ModelFiles.CONFIG);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(config.toFile(), "rw")) {
            f.setLength(ModelFiles.MAX_JSON_BYTES + 1); // sparse: costs no disk space
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.loadModel(d));
        assertEquals(config, e.file());
        assertEquals(config + ": has 1048577 bytes, more than the limit of 1048576 bytes for a JSON file",
                e.getMessage());

        // the same for the training state of a checkpoint, and nesting beyond 64 levels
        Path c = dir.resolve("c");
        ModelFiles.saveCheckpoint(c, new Checkpoint(model(1), TensorFile.builder().build(), new TrainingState(0, 0,
                "1", JsonNodeFactory.instance.objectNode())));
        Path state = c.resolve(ModelFiles.TRAINING_STATE);
        String good = java.nio.file.Files.readString(state);
        java.nio.file.Files.writeString(state, good.replace("\"extra\" : { }", "\"extra\" : {\"x\": \""
                + "y".repeat((int) ModelFiles.MAX_JSON_BYTES) + "\"}"));
        e = assertThrows(ModelFormatException.class, () -> ModelFiles.loadCheckpoint(c));
        assertEquals(state, e.file());
        assertTrue(e.getMessage().contains("more than the limit of 1048576 bytes"), e.getMessage());
        java.nio.file.Files.writeString(state, good.replace("\"extra\" : { }", "\"extra\" : {\"x\": "
                + "[".repeat(63) + "]".repeat(63) + "}"));
        e = assertThrows(ModelFormatException.class, () -> ModelFiles.loadCheckpoint(c));
        assertEquals(state + ": not valid JSON: Document nesting depth (65) exceeds the maximum allowed (64, from"
                + " `StreamReadConstraints.getMaxNestingDepth()`)", e.getMessage());
        java.nio.file.Files.writeString(state, good.replace("\"extra\" : { }", "\"extra\" : {\"x\": "
                + "[".repeat(62) + "]".repeat(62) + "}"));
        assertEquals(62, depth(ModelFiles.loadCheckpoint(c).state().extra().get("x")), "64 levels are read");

        // and the writer refuses what the loader would
        com.fasterxml.jackson.databind.node.ObjectNode big = JsonNodeFactory.instance.objectNode();
        big.put("names", "n".repeat((int) ModelFiles.MAX_JSON_BYTES));
        assertThrows(IllegalArgumentException.class, () -> ModelFiles.saveModel(dir.resolve("big"),
                new SavedModel(big, TensorFile.builder().build())));
    }

    private static int depth(com.fasterxml.jackson.databind.JsonNode n) {
        return n.isArray() ? 1 + (n.isEmpty() ? 0 : depth(n.get(0))) : 0;
    }

    @Test
    void missingFileIsNamed() throws IOException {
        Path d = dir.resolve("m");
        ModelFiles.saveModel(d, model(1));
        Files.delete(d.resolve(ModelFiles.WEIGHTS));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.loadModel(d));
        assertEquals(d.resolve(ModelFiles.WEIGHTS), e.file());
        assertTrue(e.getMessage().endsWith("missing"), e.getMessage());
    }

    @Test
    void aFolderWhereAFileShouldBeIsNamedNotReadAsAnEmptyOrUnnamedError() throws IOException {
        for (String name : List.of(ModelFiles.WEIGHTS, ModelFiles.OPTIMIZER, ModelFiles.TRAINING_STATE)) {
            Path d = dir.resolve("c-" + name);
            ModelFiles.saveCheckpoint(d, checkpoint(1));
            Files.delete(d.resolve(name));
            Files.createDirectory(d.resolve(name));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.loadCheckpoint(d));
            assertEquals(d.resolve(name), e.file());
            assertEquals(d.resolve(name) + ": is a folder, not a file", e.getMessage());
        }
    }

    @Test
    void readConfigChecksTheConfigAsLoadingDoesWithoutTheWeights() throws IOException {
        Path d = dir.resolve("m");
        ModelFiles.saveModel(d, model(1));
        Files.delete(d.resolve(ModelFiles.WEIGHTS));
        ObjectNode config = ModelFiles.readConfig(d);
        assertEquals(model(1).config(), config);
        Files.writeString(d.resolve(ModelFiles.CONFIG), "{\"format_version\": 99}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.readConfig(d));
        assertEquals(d.resolve(ModelFiles.CONFIG), e.file());
        assertTrue(e.getMessage().contains("format_version 99 is newer"), e.getMessage());
    }

    @Test
    void reservedKeysAreRefused() {
        SavedModel m = model(1);
        m.config().put("save_id", "mine");
        assertThrows(IllegalArgumentException.class, () -> ModelFiles.saveModel(dir.resolve("m"), m));
        SavedModel m2 = new SavedModel(JSON.createObjectNode(),
                TensorFile.builder().meta("save_id", "x").build());
        assertThrows(IllegalArgumentException.class, () -> ModelFiles.saveModel(dir.resolve("m"), m2));
        assertFalse(Files.exists(dir.resolve("m")));
    }

    @Test
    void directoryMadeByOtherToolsWithoutSaveIdLoads() throws Exception {
        // config.json by hand and the PyTorch-made fixture as weights: no save ids anywhere
        Path d = Files.createDirectory(dir.resolve("from-python"));
        Files.writeString(d.resolve(ModelFiles.CONFIG), "{\"format_version\": 1, \"in_channels\": 2}");
        Files.copy(SafeTensorsTest.resource("torch_small.safetensors"), d.resolve(ModelFiles.WEIGHTS));
        SavedModel m = ModelFiles.loadModel(d);
        assertEquals(2, m.config().get("in_channels").intValue());
        assertEquals(1, m.config().size(), "format_version is not part of the returned config");
        assertEquals(SafeTensors.read(d.resolve(ModelFiles.WEIGHTS)), m.weights());
        assertEquals(d.resolve(ModelFiles.WEIGHTS), m.weights().source());
    }

    private static List<String> listing(Path d) throws IOException {
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
