package org.segmentation.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.segmentation.bench.cli.SegCliTest.Result;
import org.segmentation.core.coco.CocoDataset;
import org.segmentation.core.coco.CocoFormatException;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.RgbU8;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.core.io.ImageFormatException;
import org.segmentation.core.io.NpyFiles;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.detect.AnchorGenerator;
import org.segmentation.nn.detect.RoiHeadsConfig;
import org.segmentation.nn.detect.RpnConfig;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.SafeTensors;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.model.MaskRCNN;
import org.segmentation.nn.model.MaskRCNNConfig;
import org.segmentation.nn.model.MaskRCNNTransform;
import org.segmentation.nn.model.ResNetConfig;
import org.segmentation.nn.predict.InputNormalization;
import org.segmentation.nn.task.TrainedMaskRCNN;

/**
 * The hostile-input corpus ({@code segmentation-core/src/test/hostile}, issue 14): every case must end in a typed exception naming the
 * file, or through the {@code seg} tool in exit code 1 (a bad file) or 2 (a bad option) with one line on stderr
 * naming the file or option and the problem, and no stack trace; the unusual but valid cases must succeed.
 *
 * <p>File cases come from {@code segmentation-core/src/test/hostile/cases.tsv}, written with the files by {@code generate.py}. Cases
 * that need a trained model, a checkpoint or a dataset folder are derived here from a tiny model trained once for
 * the class, and the option cases are listed here.
 */
class HostileCorpusTest {
    private static final Path CORPUS = Path.of("..", "segmentation-core", "src", "test", "hostile");
    private static final String[] TINY = {"--synthetic", "cells", "--count", "8", "--size", "32", "--depth", "2",
        "--base-filters", "4", "--batch-size", "2", "--val-fraction", "0.25", "--seed", "7", "--threads", "0"};

    @TempDir
    static Path shared;
    static Path run;
    static Path model;
    static Path maskRcnn;
    static Path image;

    @TempDir
    Path dir;

    @BeforeAll
    static void trainTinyModel() throws IOException {
        run = shared.resolve("run");
        Result r = SegCliTest.run(concat(concat(new String[] {"train"}, TINY), "--epochs", "1", "--out",
                run.toString(), "--json"));
        assertEquals(0, r.code(), r.err());
        model = run.resolve("model");
        image = shared.resolve("good.png");
        ImageFiles.writePng(gradient(40, 24), image);
        maskRcnn = shared.resolve("maskrcnn");
        MaskRCNNConfig c = new MaskRCNNConfig(new ResNetConfig(ResNetConfig.Block.BASIC, new int[] {1, 1, 1, 1},
                new int[] {8, 8, 8, 8}, 8, 1), 16, AnchorGenerator.small(),
                new RpnConfig(150, 100, 80, 50, 0.7, 0.7, 0.3, 64, 0.5, 0.0, 1e-3),
                new RoiHeadsConfig(0.5, 0.5, 64, 0.25, 0.05, 0.5, 10), 2, 32, 8, DataType.FLOAT);
        new TrainedMaskRCNN(new MaskRCNN(c, 5), new MaskRCNNTransform(24, 48, InputNormalization.unit(1), 32),
                List.of("background", "cell")).save(maskRcnn);
    }

    private static GrayU8 gradient(int w, int h) {
        GrayU8 g = new GrayU8(w, h);
        for (int i = 0; i < g.data.length; i++) {
            g.data[i] = (byte) (i * 7);
        }
        return g;
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Exit code {@code code}, one line on stderr holding every fragment, no stack trace. */
    static void assertOneLineFailure(Result r, int code, String... fragments) {
        assertEquals(code, r.code(), "exit code; stderr: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
        assertFalse(r.err().contains("OutOfMemoryError"), r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "'" + f + "' in: " + r.err());
        }
    }

    // ---------------------------------------------------------------- files (cases.tsv)

    private record FileCase(String id, String reader, Path file, String expected) {
        boolean ok() {
            return expected.equals("ok");
        }

        String fragment() {
            return expected.substring("error:".length());
        }
    }

    private static List<FileCase> fileCases() throws IOException {
        List<FileCase> cases = new ArrayList<>();
        for (String line : Files.readAllLines(CORPUS.resolve("cases.tsv"))) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            cases.add(new FileCase(f[0], f[1], CORPUS.resolve(f[2]), f[3]));
        }
        return cases;
    }

    @FunctionalInterface
    private interface Read {
        Object apply(Path file) throws IOException;
    }

    private static final Map<String, Read> IMAGE_READERS = new LinkedHashMap<>();

    static {
        IMAGE_READERS.put("readGrayU8", ImageFiles::readGrayU8);
        IMAGE_READERS.put("readGrayU16", ImageFiles::readGrayU16);
        IMAGE_READERS.put("readRgb", ImageFiles::readRgb);
        IMAGE_READERS.put("readMask", ImageFiles::readMask);
        IMAGE_READERS.put("readUnitPlanar(1)", f -> ImageFiles.readUnitPlanar(f, 1, ImageFiles.DEFAULT_MAX_PIXELS));
        IMAGE_READERS.put("readUnitPlanar(3)", f -> ImageFiles.readUnitPlanar(f, 3, ImageFiles.DEFAULT_MAX_PIXELS));
        IMAGE_READERS.put("info", ImageFiles::info);
    }

    @TestFactory
    Stream<DynamicTest> everyFileCaseThroughEveryReaderAndTheTool() throws IOException {
        List<FileCase> cases = fileCases();
        assertTrue(cases.size() >= 60, "corpus has " + cases.size() + " file cases");
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.id(), () -> {
            switch (c.reader()) {
                case "image" -> checkImage(c);
                case "npy" -> check(c, NpyFiles::read, ImageFormatException.class);
                case "safetensors" -> check(c, SafeTensors::read, ModelFormatException.class);
                case "coco" -> check(c, f -> CocoDataset.read(f, CORPUS.resolve("files")), CocoFormatException.class);
                default -> throw new AssertionError("unknown reader " + c.reader());
            }
        }));
    }

    private static void check(FileCase c, Read read, Class<? extends IOException> type) throws IOException {
        if (c.ok()) {
            read.apply(c.file());
            return;
        }
        IOException e = assertThrows(type, () -> read.apply(c.file()), c.id());
        assertTrue(e.getMessage().contains(c.file().toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(c.fragment()), "'" + c.fragment() + "' in " + e.getMessage());
    }

    private void checkImage(FileCase c) throws IOException {
        for (Map.Entry<String, Read> reader : IMAGE_READERS.entrySet()) {
            if (reader.getKey().equals("info") && !c.ok()) {
                continue; // the header alone may be fine: info decodes no pixel and checks no limit
            }
            if (reader.getKey().equals("readMask") && !c.ok() && c.fragment().equals("not in [0, 1]")) {
                continue; // a mask pixel is on for any nonzero finite sample; the range is for intensities
            }
            try {
                check(c, reader.getValue(), ImageFormatException.class);
            } catch (AssertionError | IOException e) {
                throw new AssertionError(reader.getKey() + ": " + e.getMessage(), e);
            }
        }
        String name = c.file().toString();
        Path out = dir.resolve("out");
        Result segment = SegCliTest.run("segment", name, "-a", "otsu", "-o", dir.resolve("labels.png").toString());
        Result predict = SegCliTest.run("predict", "-m", model.toString(), name, "-o", out.toString());
        if (c.ok()) {
            assertEquals(0, segment.code(), segment.err());
            assertEquals(0, predict.code(), predict.err());
        } else {
            assertOneLineFailure(segment, SegCli.EXIT_FAILURE, name, c.fragment());
            assertOneLineFailure(predict, SegCli.EXIT_FAILURE, name, c.fragment());
        }
    }

    // ---------------------------------------------------------------- model folders

    private Path modelCopy(String name) throws IOException {
        return modelCopy(model, name);
    }

    private Path modelCopy(Path source, String name) throws IOException {
        Path copy = Files.createDirectory(dir.resolve(name));
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        // Edited by hand: without save ids, so that the loader checks the content and not the mismatch of ids.
        editConfig(copy, s -> s.replaceFirst("\"save_id\" : \"[^\"]*\",", ""));
        TensorFile w = SafeTensors.read(copy.resolve(ModelFiles.WEIGHTS));
        SafeTensors.write(copy.resolve(ModelFiles.WEIGHTS), new TensorFile(w.tensors(), Map.of()));
        return copy;
    }

    private static void editConfig(Path modelDir, UnaryOperator<String> edit) throws IOException {
        Path config = modelDir.resolve(ModelFiles.CONFIG);
        String before = Files.readString(config);
        String after = edit.apply(before);
        Files.writeString(config, after);
    }

    private static void editWeight(Path modelDir, String name, int index, float value) throws IOException {
        Path file = modelDir.resolve(ModelFiles.WEIGHTS);
        TensorFile w = SafeTensors.read(file);
        Map<String, Tensor> tensors = new LinkedHashMap<>(w.tensors());
        Tensor t = tensors.get(name);
        float[] v = t.floats().clone();
        v[index < 0 ? v.length + index : index] = value;
        tensors.put(name, Tensor.f32(v, t.shape()));
        SafeTensors.write(file, new TensorFile(tensors, Map.of()));
    }

    private record ModelCase(String id, String fragment, ModelEdit edit) {
    }

    @FunctionalInterface
    private interface ModelEdit {
        void apply(Path modelDir) throws IOException;
    }

    @TestFactory
    Stream<DynamicTest> brokenModelsAreRefusedNamingTheFile() {
        String bias = "head.bias";
        List<ModelCase> cases = List.of(
            new ModelCase("nan_weights", "holds NaN", d -> {
                TensorFile w = SafeTensors.read(d.resolve(ModelFiles.WEIGHTS));
                for (String n : w.tensors().keySet()) {
                    if (n.endsWith("weight")) {
                        editWeight(d, n, 0, Float.NaN);
                    }
                }
            }),
            new ModelCase("inf_in_conv", "holds Infinity", d -> editWeight(d, "down1.conv1.weight", 5,
                    Float.POSITIVE_INFINITY)),
            new ModelCase("nan_head_bias", "holds NaN", d -> editWeight(d, bias, 0, Float.NaN)),
            new ModelCase("weights_1e30", "magnitude at most", d -> editWeight(d, "down1.conv1.weight", -1, 1e30f)),
            new ModelCase("negative_running_var", "running variance cannot be negative", d -> {
                TensorFile w = SafeTensors.read(d.resolve(ModelFiles.WEIGHTS));
                String var = w.tensors().keySet().stream().filter(n -> n.endsWith("running_var")).findFirst()
                        .orElseThrow();
                editWeight(d, var, 0, -0.5f);
            }),
            new ModelCase("config_huge_classes", "declares a network of at least",
                    d -> editConfig(d, s -> s.replace("\"classes\" : 3", "\"classes\" : 1000000000"))),
            new ModelCase("config_huge_base_filters", "declares a network of at least",
                    d -> editConfig(d, s -> s.replace("\"base_filters\" : 4", "\"base_filters\" : 16000"))),
            new ModelCase("config_absurd_depth", "depth must be",
                    d -> editConfig(d, s -> s.replace("\"depth\" : 2", "\"depth\" : 100"))),
            new ModelCase("config_unknown_format_version", "newer than the version",
                    d -> editConfig(d, s -> s.replaceFirst("\"format_version\" : \\d+", "\"format_version\" : 99"))),
            new ModelCase("config_other_architecture", "architecture",
                    d -> editConfig(d, s -> s.replace("\"unet\"", "\"maskrcnn\""))),
            new ModelCase("config_duplicate_key", "Duplicate field",
                    d -> editConfig(d, s -> s.replace("\"depth\" : 2", "\"depth\" : 2, \"depth\" : 3"))),
            new ModelCase("config_over_the_json_limit", "more than the limit of 1048576 bytes for a JSON file",
                    d -> editConfig(d, s -> s.replace("\"depth\" : 2", "\"depth\" : 2, \"padding\" : \""
                            + " ".repeat(1 << 20) + "\""))),
            new ModelCase("config_nested_100_deep", "nesting depth (65) exceeds the maximum allowed (64",
                    d -> editConfig(d, s -> s.replace("\"depth\" : 2", "\"depth\" : 2, \"x\" : "
                            + "[".repeat(99) + "]".repeat(99)))),
            new ModelCase("config_not_json", "not valid JSON",
                    d -> editConfig(d, s -> s.substring(0, s.length() / 2))),
            new ModelCase("weights_missing", "missing", d -> Files.delete(d.resolve(ModelFiles.WEIGHTS))),
            new ModelCase("weights_of_another_network", "not a tensor of this model",
                    d -> SafeTensors.write(d.resolve(ModelFiles.WEIGHTS), new TensorFile(
                            Map.of("backbone.conv1.weight", Tensor.f32(new float[27], 1, 3, 3, 3)), Map.of()))),
            new ModelCase("weights_wrong_shape", "has shape", d -> {
                Path file = d.resolve(ModelFiles.WEIGHTS);
                Map<String, Tensor> t = new LinkedHashMap<>(SafeTensors.read(file).tensors());
                t.put(bias, Tensor.f32(new float[7], 7));
                SafeTensors.write(file, new TensorFile(t, Map.of()));
            }));
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.id(), () -> {
            Path d = modelCopy(c.id());
            c.edit().apply(d);
            Result r = SegCliTest.run("predict", "-m", d.toString(), image.toString(), "-o",
                    dir.resolve("out").toString());
            assertOneLineFailure(r, SegCli.EXIT_FAILURE, d.toString(), c.fragment());
        }));
    }

    @TestFactory
    Stream<DynamicTest> brokenMaskRCNNFoldersAreRefusedNamingTheFile() {
        List<ModelCase> cases = List.of(
            new ModelCase("maskrcnn_config_utf32", "not valid UTF-8", d -> Files.write(d.resolve(ModelFiles.CONFIG),
                    new byte[] {0, 0, (byte) 0xfe, (byte) 0xff, 0, 0, 0, '{', 0, 0, 0, '}'})),
            new ModelCase("maskrcnn_config_an_array", "not a JSON object",
                    d -> Files.writeString(d.resolve(ModelFiles.CONFIG), "[\"maskrcnn\"]")),
            new ModelCase("maskrcnn_architecture_a_number", "\"architecture\" is 5, not a string",
                    d -> editConfig(d, s -> s.replace("\"maskrcnn\"", "5"))),
            new ModelCase("maskrcnn_huge_representation", "declares a network of at least",
                    d -> editConfig(d, s -> s.replace("\"representation\" : 32", "\"representation\" : 2000000000"))),
            new ModelCase("maskrcnn_huge_fpn", "declares a network of at least",
                    d -> editConfig(d, s -> s.replace("\"fpn\" : 16", "\"fpn\" : 100000"))),
            new ModelCase("maskrcnn_huge_classes", "declares a network of at least",
                    d -> editConfig(d, s -> s.replace("\"classes\" : 2", "\"classes\" : 100000000"))),
            new ModelCase("maskrcnn_million_blocks", "needs 1..1024 blocks",
                    d -> editConfig(d, s -> s.replace("\"blocks\" : [ 1, 1, 1, 1 ]",
                            "\"blocks\" : [ 1, 1, 1, 1000000 ]"))),
            new ModelCase("maskrcnn_transform_huge_max_size", "min_size 24 x max_size 2000000000 = 48000000000 pixels"
                    + " exceeds the limit of 67108864", d -> editConfig(d, s -> s.replace("\"max_size\" : 48",
                    "\"max_size\" : 2000000000"))),
            new ModelCase("maskrcnn_transform_huge_size_divisible", "size_divisible 1073741824 exceeds the limit of 256",
                    d -> editConfig(d, s -> s.replace("\"size_divisible\" : 32", "\"size_divisible\" : 1073741824"))),
            new ModelCase("maskrcnn_three_anchor_sizes", "\"sizes\" has 3 values [8, 16, 32], expected one anchor size"
                    + " per pyramid level (5)", d -> editConfig(d, s -> s.replace("\"sizes\" : [ 8, 16, 32, 64, 128 ]",
                    "\"sizes\" : [ 8, 16, 32 ]"))),
            new ModelCase("maskrcnn_no_ratios", "\"ratios\" has 0 values, expected 1..16",
                    d -> editConfig(d, s -> s.replace("\"ratios\" : [ 0.5, 1.0, 2.0 ]", "\"ratios\" : [ ]"))),
            new ModelCase("maskrcnn_negative_ratio", "\"ratios\" has -1.0, not a positive finite aspect ratio",
                    d -> editConfig(d, s -> s.replace("\"ratios\" : [ 0.5, 1.0, 2.0 ]", "\"ratios\" : [ 0.5, -1, 2.0 ]"))),
            new ModelCase("maskrcnn_transform_a_number", "\"transform\" is 7, not an object",
                    d -> editConfig(d, s -> s.replaceFirst("\"transform\" : \\{[^}]*}", "\"transform\" : 7"))),
            new ModelCase("maskrcnn_weights_a_folder", "is a folder, not a file", d -> {
                Files.delete(d.resolve(ModelFiles.WEIGHTS));
                Files.createDirectory(d.resolve(ModelFiles.WEIGHTS));
            }));
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.id(), () -> {
            Path d = modelCopy(maskRcnn, c.id());
            String before = folderState(d);
            c.edit().apply(d);
            assertFalse(before.equals(folderState(d)), "the edit changes " + d);
            Result r = SegCliTest.run("predict", "-m", d.toString(), image.toString(), "-o",
                    dir.resolve("out").toString());
            assertOneLineFailure(r, SegCli.EXIT_FAILURE, d.toString(), c.fragment());
        }));
    }

    private static String folderState(Path modelDir) throws IOException {
        return Arrays.toString(Files.readAllBytes(modelDir.resolve(ModelFiles.CONFIG)))
                + Files.isRegularFile(modelDir.resolve(ModelFiles.WEIGHTS));
    }

    // ---------------------------------------------------------------- checkpoints

    private Path runCopy(String name) throws IOException {
        Path copy = dir.resolve(name);
        try (Stream<Path> files = Files.walk(run)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(run.relativize(f).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return copy;
    }

    private static void editState(Path checkpoint, UnaryOperator<String> edit) throws IOException {
        Path state = checkpoint.resolve(ModelFiles.TRAINING_STATE);
        String before = Files.readString(state);
        String after = edit.apply(before);
        assertFalse(before.equals(after), "the edit changes " + state);
        Files.writeString(state, after);
    }

    /** Sets one metadata entry of the checkpoint's optimizer state, keeping its save id. */
    private static void editOptimizer(Path checkpoint, String key, String value) throws IOException {
        Path file = checkpoint.resolve(ModelFiles.OPTIMIZER);
        TensorFile state = SafeTensors.read(file);
        Map<String, String> meta = new LinkedHashMap<>(state.metadata());
        assertTrue(meta.containsKey(key), key + " in " + meta);
        meta.put(key, value);
        SafeTensors.write(file, new TensorFile(state.tensors(), meta));
    }

    /** A copy of the run whose last checkpoint's optimizer metadata {@code key} is {@code value}: refused on resume. */
    private DynamicTest optimizerCase(String id, String copyName, String key, String value, String fragment) {
        return DynamicTest.dynamicTest(id, () -> {
            Path copy = runCopy(copyName);
            editOptimizer(copy.resolve("last"), key, value);
            assertOneLineFailure(resume(copy), SegCli.EXIT_FAILURE, "optimizer.safetensors", fragment);
        });
    }

    private static void editHistory(Path run, UnaryOperator<String> edit) throws IOException {
        Path history = run.resolve("history.json");
        String before = Files.readString(history);
        String after = edit.apply(before);
        assertFalse(before.equals(after), "the edit changes " + history);
        Files.writeString(history, after);
    }

    private Result resume(Path copy) {
        return SegCliTest.run(concat(concat(new String[] {"train"}, TINY), "--epochs", "2", "--resume",
                copy.resolve("last").toString(), "--json"));
    }

    @TestFactory
    Stream<DynamicTest> editedCheckpointsAreRefusedAndAnInterruptedSaveResumes() {
        return Stream.of(
            DynamicTest.dynamicTest("step_1e18", () -> {
                Path copy = runCopy("step");
                editState(copy.resolve("last"), s -> s.replaceFirst("\"step\" : \\d+", "\"step\" : 1000000000000000000"));
                assertOneLineFailure(resume(copy), SegCli.EXIT_FAILURE, "training_state.json",
                        "step 1000000000000000000 does not lie in epoch");
            }),
            DynamicTest.dynamicTest("negative_batches_per_epoch", () -> {
                Path copy = runCopy("bpe");
                editState(copy.resolve("last"), s -> s.replaceFirst("\"batches_per_epoch\" : \\d+",
                        "\"batches_per_epoch\" : -3"));
                assertOneLineFailure(resume(copy), SegCli.EXIT_FAILURE, "training_state.json",
                        "batches_per_epoch is -3");
            }),
            optimizerCase("optimizer_lr_nan", "lr", "lr", "NaN", "metadata 'lr' is NaN, not a finite number >= 0"),
            optimizerCase("optimizer_beta1_one", "beta", "beta1", "1.0",
                    "metadata 'beta1' is 1.0, not a number in [0, 1)"),
            optimizerCase("optimizer_negative_step", "adam_step", "step", "-5",
                    "metadata 'step' is -5, not a non-negative integer"),
            DynamicTest.dynamicTest("corrupt_history", () -> {
                Path copy = runCopy("history");
                Files.writeString(copy.resolve("history.json"), "{\"steps\": {\"step\": [1, 2");
                assertOneLineFailure(resume(copy), SegCli.EXIT_FAILURE, copy.resolve("history.json").toString(),
                        "not valid JSON", "delete the file");
            }),
            DynamicTest.dynamicTest("history_step_a_string", () -> {
                Path copy = runCopy("history_type");
                editHistory(copy, s -> s.replaceFirst("\"step\" : \\[ 1,", "\"step\" : [ \"one\","));
                assertOneLineFailure(resume(copy), SegCli.EXIT_FAILURE, copy.resolve("history.json").toString(),
                        "steps.step[0] is \"one\", not an integer >= 1", "delete the file");
            }),
            DynamicTest.dynamicTest("history_negative_learning_rate", () -> {
                Path copy = runCopy("history_lr");
                editHistory(copy, s -> s.replaceFirst("\"lr\" : \\[ [^,\\]]+", "\"lr\" : [ -1.0"));
                assertOneLineFailure(resume(copy), SegCli.EXIT_FAILURE, copy.resolve("history.json").toString(),
                        "steps.lr[0] is -1.0, not a finite number >= 0");
            }),
            DynamicTest.dynamicTest("history_validation_missing_a_field", () -> {
                Path copy = runCopy("history_field");
                editHistory(copy, s -> s.replaceFirst("\"mean_iou\" : [^,]*,", ""));
                assertOneLineFailure(resume(copy), SegCli.EXIT_FAILURE, copy.resolve("history.json").toString(),
                        "validations[0].mean_iou is missing");
            }),
            DynamicTest.dynamicTest("killed_between_the_two_moves_resumes", () -> {
                // what a kill between "move last aside" and "move the new one in" leaves: no last/, two copies
                Path copy = runCopy("gap");
                Files.move(copy.resolve("last"), copy.resolve(".last.00000000000000aa.old"));
                Files.copy(copy.resolve(".last.00000000000000aa.old"), copy.resolve(".last.00000000000000bb.new"));
                for (Path f : Files.list(copy.resolve(".last.00000000000000aa.old")).toList()) {
                    Files.copy(f, copy.resolve(".last.00000000000000bb.new").resolve(f.getFileName()));
                }
                Result r = resume(copy);
                assertEquals(0, r.code(), r.err());
                assertTrue(Files.isDirectory(copy.resolve("last")), "the name is restored");
                try (Stream<Path> files = Files.list(copy)) {
                    assertEquals(List.of(), files.map(p -> p.getFileName().toString())
                            .filter(n -> n.startsWith(".last.")).toList(), "debris deleted");
                }
            }));
    }

    // ---------------------------------------------------------------- datasets

    /** Six good 32x32 pairs (labels 0..2) and the case's bad file, so that only a scan finds it at once. */
    private Path dataset(String name) throws IOException {
        Path root = dir.resolve(name);
        Files.createDirectories(root.resolve("images"));
        Files.createDirectories(root.resolve("masks"));
        for (int i = 0; i < 6; i++) {
            ImageFiles.writePng(gradient(32, 32), root.resolve("images/ok" + i + ".png"));
            LabelMap labels = new LabelMap(32, 32);
            for (int p = 0; p < labels.data.length; p++) {
                labels.data[p] = (p / 7 + i) % 3;
            }
            ImageFiles.writeLabels(labels, root.resolve("masks/ok" + i + ".png"));
        }
        return root;
    }

    private record DatasetCase(String id, String badFile, String fragment, DatasetEdit edit) {
    }

    @FunctionalInterface
    private interface DatasetEdit {
        void apply(Path root) throws IOException;
    }

    private static void labelsFile(Path file, int w, int h, int value) throws IOException {
        LabelMap labels = new LabelMap(w, h);
        Arrays.fill(labels.data, value);
        ImageFiles.writeLabels(labels, file);
    }

    @TestFactory
    Stream<DynamicTest> brokenDatasetsFailBeforeTrainingNamingTheFile() {
        List<DatasetCase> cases = List.of(
            new DatasetCase("mismatched_sizes", "masks/bad.png", "is 31x32 but image", r -> {
                ImageFiles.writePng(gradient(32, 32), r.resolve("images/bad.png"));
                labelsFile(r.resolve("masks/bad.png"), 31, 32, 1);
            }),
            new DatasetCase("label_out_of_range", "masks/bad.png", "7", r -> {
                ImageFiles.writePng(gradient(32, 32), r.resolve("images/bad.png"));
                labelsFile(r.resolve("masks/bad.png"), 32, 32, 7);
            }),
            new DatasetCase("missing_mask", "images/bad.png", "has no mask",
                    r -> ImageFiles.writePng(gradient(32, 32), r.resolve("images/bad.png"))),
            new DatasetCase("rgb_mask", "masks/bad.png", "must be gray or palette", r -> {
                ImageFiles.writePng(gradient(32, 32), r.resolve("images/bad.png"));
                ImageFiles.writePng(new RgbU8(32, 32), r.resolve("masks/bad.png"));
            }),
            new DatasetCase("empty_image_file", "images/bad.png", "empty", r -> {
                Files.write(r.resolve("images/bad.png"), new byte[0]);
                labelsFile(r.resolve("masks/bad.png"), 32, 32, 1);
            }),
            new DatasetCase("gif_image", "images/bad.gif", "unknown image format", r -> {
                Files.copy(CORPUS.resolve("files/gif_image.gif"), r.resolve("images/bad.gif"));
                labelsFile(r.resolve("masks/bad.png"), 1, 1, 1);
            }),
            new DatasetCase("nan_image", "images/bad.tif", "NaN and infinite", r -> {
                Files.copy(CORPUS.resolve("files/tiff_float32_nan.tif"), r.resolve("images/bad.tif"));
                labelsFile(r.resolve("masks/bad.png"), 3, 1, 1);
            }),
            new DatasetCase("bomb_image", "images/bad.png", "more than the limit", r -> {
                Files.copy(CORPUS.resolve("files/png_bomb_16384.png"), r.resolve("images/bad.png"));
                labelsFile(r.resolve("masks/bad.png"), 1, 1, 1);
            }));
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.id(), () -> {
            Path root = dataset(c.id());
            c.edit().apply(root);
            Result r = SegCliTest.run("train", "--data", root.toString(), "--classes", "3", "--steps", "1",
                    "--depth", "2", "--base-filters", "4", "--batch-size", "2", "--size", "0", "--threads", "0",
                    "--out", dir.resolve("out-" + c.id()).toString(), "--json");
            assertOneLineFailure(r, SegCli.EXIT_FAILURE, root.resolve(c.badFile()).toString(), c.fragment());
            assertFalse(Files.exists(dir.resolve("out-" + c.id()).resolve("last")), "failed before any step");
        }));
    }

    @TestFactory
    Stream<DynamicTest> validationPadsSizesThatAreNotAMultipleOfTheSizeMultiple() {
        return Stream.of(DynamicTest.dynamicTest("folder_33x33", () -> {
            Path root = dir.resolve("odd");
            Files.createDirectories(root.resolve("images"));
            Files.createDirectories(root.resolve("masks"));
            for (int i = 0; i < 4; i++) {
                ImageFiles.writePng(gradient(33, 33), root.resolve("images/o" + i + ".png"));
                labelsFile(root.resolve("masks/o" + i + ".png"), 33, 33, i % 2);
            }
            // trained on 32x32 crops, validated on whole 33x33 images, which need padding to 36 for depth 2
            Result r = SegCliTest.run("train", "--data", root.toString(), "--epochs", "2", "--depth", "2",
                    "--base-filters", "4", "--batch-size", "1", "--size", "32", "--val-fraction", "0.5", "--threads",
                    "0", "--out", dir.resolve("out-odd").toString(), "--json");
            assertEquals(0, r.code(), r.err());
        }));
    }

    // ---------------------------------------------------------------- options

    @TestFactory
    Stream<DynamicTest> everyOutOfRangeOptionIsAOneLineUsageError() {
        String img = "IMG";
        String[][] cases = {
            {"predict --tile -1", "--tile"},
            {"predict --tile 1073741824", "--tile"},
            {"predict --tile 64 --overlap -5", "--overlap"},
            {"predict --tile 64 --overlap 64", "--overlap"},
            {"predict --overlap 8", "--overlap needs --tile"},
            {"predict --max-pixels 0", "--max-pixels"},
            {"segment -a split-touching --background-radius 2147483647", "backgroundRadius must be in 0..8192"},
            {"segment -a split-touching --opening-radius -1", "openingRadius"},
            {"segment -a split-touching --min-distance 0", "minDistance"},
            {"segment -a kmeans -k 0", "-k must be in"},
            {"segment -a kmeans -k 100000", "-k must be in"},
            {"segment -a kmeans --space xyz", "--space"},
            {"segment -a multi-otsu --classes 99", "--classes"},
            {"segment -a flood --seeds 1,1 --tolerance NaN", "--tolerance"},
            {"segment -a flood --seeds a,b", "--seeds"},
            {"segment -a flood", "needs --seeds"},
            {"segment -a otsu --connectivity 6", "--connectivity"},
            {"segment -a watershed --h -1", "--h"},
            {"segment -a otsu --max-pixels -5", "--max-pixels"},
            {"segment -a nosuch", "nosuch"},
            {"train --epochs 0", "--epochs"},
            {"train --batch-size 0", "--batch-size"},
            {"train --lr NaN", "--lr"},
            {"train --lr -1", "--lr"},
            {"train --val-fraction 1", "--val-fraction"},
            {"train --steps -1", "--steps"},
            {"train --patience -1", "--patience"},
            {"train --channels 2", "--channels"},
            {"train --classes -1", "--classes"},
            {"train --threads -1", "--threads"},
            {"train --depth 0", "depth"},
            {"train --depth 99", "depth"},
            {"train --base-filters 0", "baseFilters"},
            {"train --size -1", "--size"},
            {"train --count 0", "--count"},
            {"train --loss foo", "--loss"},
            {"train --optimizer bar", "--optimizer"},
        };
        return Arrays.stream(cases).map(c -> DynamicTest.dynamicTest(c[0], () -> {
            List<String> args = new ArrayList<>(Arrays.asList(c[0].split(" ")));
            switch (args.get(0)) {
                case "predict" -> args.addAll(List.of("-m", model.toString(), image.toString()));
                case "segment" -> args.add(1, image.toString());
                default -> args.addAll(List.of("--synthetic", "cells", "--out", dir.resolve("t").toString()));
            }
            args.replaceAll(a -> a.equals(img) ? image.toString() : a);
            assertOneLineFailure(SegCliTest.run(args.toArray(new String[0])), 2, c[1]);
        }));
    }

    @TestFactory
    Stream<DynamicTest> outputsOntoTheWrongKindOfPathAreNamed() {
        return Stream.of(
            DynamicTest.dynamicTest("segment_out_is_a_folder", () -> assertOneLineFailure(SegCliTest.run("segment",
                    image.toString(), "-a", "otsu", "-o", dir.toString()), SegCli.EXIT_FAILURE, dir.toString(),
                    "is a folder")),
            DynamicTest.dynamicTest("segment_overlay_in_missing_folder", () -> assertOneLineFailure(SegCliTest.run(
                    "segment", image.toString(), "-a", "otsu", "--overlay", dir.resolve("no/such/o.png").toString()),
                    SegCli.EXIT_FAILURE, "does not exist")),
            DynamicTest.dynamicTest("predict_out_is_a_file", () -> assertOneLineFailure(SegCliTest.run("predict",
                    "-m", model.toString(), image.toString(), "-o", image.toString()), SegCli.EXIT_FAILURE,
                    image.toString(), "is not a folder")));
    }
}
