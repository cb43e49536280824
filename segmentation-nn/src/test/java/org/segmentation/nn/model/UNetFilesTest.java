package org.segmentation.nn.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.SafeTensors;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.testutil.GradCheck;
import org.segmentation.nn.testutil.Peers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link UNet#save}/{@link UNet#load}: round trips, PyTorch parity on the models that
 * {@code src/test/python/make_unet_golden.py} trained and exported, and typed errors for every kind of bad
 * directory.
 */
class UNetFilesTest {
    private static final Logger LOG = LoggerFactory.getLogger(UNetFilesTest.class);
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    /**
     * Tolerance of the PyTorch parity: both sides compute in float32 (relative rounding 6e-8 per operation); a
     * depth-2 U-Net chains 11 convolution layers whose outputs sum at most 9·32 = 288 products, with batch norm
     * in eval mode (per-channel affine) in between. Accumulated rounding stays near 1e-6 for logits of size
     * ~1 and differs between summation orders (im2col GEMM here, oneDNN/mkldnn in PyTorch); 1e-4 leaves two
     * orders of magnitude of margin while a wrong weight layout, a swapped concat order or a missed batch norm
     * moves logits by 1e-2 or more.
     */
    private static final double PARITY_TOLERANCE = 1e-4;

    @TempDir
    Path dir;

    static Path resource(String name) throws URISyntaxException {
        return Path.of(UNetFilesTest.class.getResource(name).toURI());
    }

    private static UNetConfig small() {
        return UNetConfig.of(2, 3).withDepth(2).withBaseFilters(4);
    }

    /** Eval-mode logits, a detached array. */
    private static INDArray predict(UNet m, INDArray x) {
        m.setTraining(false);
        return m.forward(x);
    }

    @Test
    void pytorchModelsGiveTheSameLogits() throws Exception {
        for (String variant : List.of("unet_torch_transposed", "unet_torch_bilinear")) {
            Path model = resource(variant);
            UNet m = UNet.load(model);
            TensorFile io = SafeTensors.read(model.resolve("io.safetensors"));
            INDArray x = toArray(io.get("input"));
            INDArray expected = toArray(io.get("logits"));
            INDArray actual = predict(m, x);
            assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()));
            double err = actual.sub(expected).amaxNumber().doubleValue();
            LOG.info("{}: max |logit - PyTorch| = {}", variant, err);
            assertTrue(err < PARITY_TOLERANCE, variant + ": max |logit error| " + err);
            // not a vacuous comparison: the logits vary across pixels and classes by much more than the tolerance
            assertTrue(expected.maxNumber().doubleValue() - expected.minNumber().doubleValue() > 0.05);
        }
        UNetConfig c = UNet.load(resource("unet_torch_bilinear")).config();
        assertEquals(UNetConfig.Head.SIGMOID, c.head());
        assertEquals(UNetConfig.Upsampling.BILINEAR, c.upsampling());
        assertEquals(3, c.upKernel());
    }

    @Test
    void saveThenLoadGivesIdenticalOutputs() throws Exception {
        for (UNetConfig cfg : List.of(small(), small().withDtype(DataType.DOUBLE).withBatchNorm(false)
                .withUpsampling(UNetConfig.Upsampling.BILINEAR, 1).withDropout(0.2))) {
            UNet a = new UNet(cfg, 11);
            INDArray x = GradCheck.gaussian(new Random(5), cfg.dtype(), 2, 2, 8, 12);
            a.forward(x); // training mode: moves the batch-norm running statistics off their initial values
            Path saved = dir.resolve("m" + cfg.dtype());
            a.save(saved);
            UNet b = UNet.load(saved);
            assertEquals(cfg, b.config());
            assertEquals(a.parameters().values(), b.parameters().values());
            for (String name : a.buffers().keySet()) {
                assertEquals(a.buffers().get(name), b.buffers().get(name), name);
            }
            assertEquals(predict(a, x), predict(b, x));
        }
    }

    @Test
    void badConfigsAreTypedErrors() throws Exception {
        Path good = dir.resolve("good");
        new UNet(small(), 1).save(good);
        String json = Files.readString(good.resolve(ModelFiles.CONFIG));

        assertBad(good, json.replace("\"unet\"", "\"segformer\""), "architecture is \"segformer\"");
        assertBad(good, json.replaceFirst("\"architecture\" : \"unet\",", ""), "architecture");
        assertBad(good, json.replaceFirst("\"depth\" : 2,", ""), "\"depth\" is missing");
        assertBad(good, json.replace("\"depth\" : 2", "\"depth\" : 2, \"attention\" : true"), "attention");
        assertBad(good, json.replace("\"depth\" : 2", "\"depth\" : \"two\""), "not an int");
        assertBad(good, json.replace("\"depth\" : 2", "\"depth\" : 0"), "depth must be");
        assertBad(good, json.replace("\"head\" : \"softmax\"", "\"head\" : \"sigmoid\""), "classes == 2");
        assertBad(good, json.replace("\"float32\"", "\"float16\""), "dtype");
        assertBad(good, json.replace("\"transposed\"", "\"nearest\""), "upsampling");
        // a valid config that does not fit the weights: the tensors are checked against it
        ModelFormatException e = assertBad(good, json.replace("\"base_filters\" : 4", "\"base_filters\" : 8"),
                "shape");
        assertEquals("down1.conv1.weight", e.tensor());
        e = assertBad(good, json.replace("\"float32\"", "\"float64\""), "dtype");
        assertTrue(e.tensor() != null, e.getMessage());
        e = assertBad(good, json.replace("\"batch_norm\" : true", "\"batch_norm\" : false"), "not a tensor");
        assertTrue(e.tensor().contains(".bn"), e.getMessage());
        e = assertBad(good, json.replace("\"transposed\"", "\"bilinear\""), "shape");
        assertEquals("up1.up.weight", e.tensor());
        // absurd sizes are refused from the config and the weights' size, before the network is allocated
        assertBad(good, json.replace("\"classes\" : 3", "\"classes\" : 1000000000"),
                "declares a network of at least");
        assertBad(good, json.replace("\"base_filters\" : 4", "\"base_filters\" : 16000"),
                "declares a network of at least");
    }

    @Test
    void nonFiniteHugeAndNegativeVarianceWeightsAreRefusedAtLoad() throws Exception {
        Path good = dir.resolve("good");
        new UNet(small(), 1).save(good);
        TensorFile weights = SafeTensors.read(good.resolve(ModelFiles.WEIGHTS));
        String conv = "down1.conv1.weight";
        String variance = weights.tensors().keySet().stream().filter(n -> n.endsWith("running_var")).findFirst()
                .orElseThrow();
        Object[][] cases = {{conv, Float.NaN, "holds NaN"}, {conv, Float.POSITIVE_INFINITY, "holds Infinity"},
            {conv, 1e30f, "magnitude at most"}, {variance, -1f, "running variance cannot be negative"}};
        for (Object[] c : cases) {
            Path bad = copy(good, "bad-" + c[0] + c[1]);
            java.util.Map<String, org.segmentation.core.io.Tensor> tensors = new java.util.LinkedHashMap<>(
                    weights.tensors());
            org.segmentation.core.io.Tensor t = tensors.get((String) c[0]);
            float[] v = t.floats().clone();
            v[v.length - 1] = (Float) c[1];
            tensors.put((String) c[0], org.segmentation.core.io.Tensor.f32(v, t.shape()));
            SafeTensors.write(bad.resolve(ModelFiles.WEIGHTS), new TensorFile(tensors, java.util.Map.of()));
            Files.writeString(bad.resolve(ModelFiles.CONFIG), Files.readString(bad.resolve(ModelFiles.CONFIG))
                    .replaceFirst("\"save_id\" : \"[^\"]*\",", ""));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> UNet.load(bad));
            assertEquals(c[0], e.tensor());
            assertTrue(e.getMessage().contains((String) c[2]), e.getMessage());
        }
    }

    @Test
    void corruptTruncatedForeignAndMissingFilesAreTypedErrors() throws Exception {
        Path good = dir.resolve("good");
        new UNet(small(), 1).save(good);
        byte[] weights = Files.readAllBytes(good.resolve(ModelFiles.WEIGHTS));

        Path truncated = copy(good, "truncated");
        Files.write(truncated.resolve(ModelFiles.WEIGHTS), Arrays.copyOf(weights, weights.length / 2));
        assertThrows(ModelFormatException.class, () -> UNet.load(truncated));

        Path corrupt = copy(good, "corrupt");
        byte[] garbage = weights.clone();
        for (int i = 8; i < 40; i++) {
            garbage[i] = (byte) 0xFF;   // inside the JSON header
        }
        Files.write(corrupt.resolve(ModelFiles.WEIGHTS), garbage);
        assertThrows(ModelFormatException.class, () -> UNet.load(corrupt));

        // another model's weights (the Conv2d/BatchNorm2d fixture of the io package) under a U-Net config
        Path foreign = copy(good, "foreign");
        TensorFile other = SafeTensors.read(Path.of(UNetFilesTest.class
                .getResource("/org/segmentation/nn/io/torch_small.safetensors").toURI()));
        SafeTensors.write(foreign.resolve(ModelFiles.WEIGHTS), new TensorFile(other.tensors(), java.util.Map.of()));
        // without save ids, as when a file made by another tool is copied in, so that the tensors are checked
        Files.writeString(foreign.resolve(ModelFiles.CONFIG), Files.readString(foreign.resolve(ModelFiles.CONFIG))
                .replaceFirst("\"save_id\" : \"[^\"]*\",", ""));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> UNet.load(foreign));
        assertTrue(e.getMessage().contains("not a tensor of this model"), e.getMessage());

        Path missing = copy(good, "missing");
        Files.delete(missing.resolve(ModelFiles.WEIGHTS));
        assertThrows(ModelFormatException.class, () -> UNet.load(missing));

        Path notJson = copy(good, "notjson");
        Files.writeString(notJson.resolve(ModelFiles.CONFIG), "{\"format_version\": 1, \"architecture\": ");
        assertThrows(ModelFormatException.class, () -> UNet.load(notJson));
    }

    /**
     * Java-saved files parse in Python: the PyTorch model is loaded in Java, saved by Java, and the saved
     * directory is loaded into the PyTorch module by {@code check_unet_files.py}, which must reproduce PyTorch's
     * own logits within 1e-4. Skipped where {@code /usr/bin/python3} has no torch.
     */
    @Test
    void javaSavedModelLoadsIntoPyTorch() throws Exception {
        Peers.require(Files.isExecutable(PYTHON), "no " + PYTHON);
        Peers.require(run(List.of(PYTHON.toString(), "-c", "import torch"), null).exit == 0, "no torch for " + PYTHON);
        Path torchDir = resource("unet_torch_transposed");
        Path saved = dir.resolve("java-saved");
        UNet.load(torchDir).save(saved);
        Path script = Path.of("src/test/python/check_unet_files.py").toAbsolutePath();
        Result r = run(List.of(PYTHON.toString(), script.toString(), saved.toString(),
                torchDir.resolve("io.safetensors").toString()), null);
        LOG.info("check_unet_files.py: {}", r.output.trim());
        assertEquals(0, r.exit, r.output);
        assertTrue(r.output.startsWith("OK"), r.output);
    }

    private static ModelFormatException assertBad(Path good, String config, String expectedInMessage)
            throws IOException {
        Path bad = good.resolveSibling("bad" + System.nanoTime());
        copy(good, bad.getFileName().toString());
        Files.writeString(bad.resolve(ModelFiles.CONFIG), config);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> UNet.load(bad), config);
        assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
        return e;
    }

    private static Path copy(Path from, String name) throws IOException {
        Path to = from.resolveSibling(name);
        Files.createDirectories(to);
        for (String f : List.of(ModelFiles.CONFIG, ModelFiles.WEIGHTS)) {
            Files.copy(from.resolve(f), to.resolve(f));
        }
        return to;
    }

    private static INDArray toArray(Tensor t) {
        return Nd4j.createFromArray(t.floats()).reshape('c', t.shape());
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command, Path workDir) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out: " + out);
        }
        return new Result(p.exitValue(), out);
    }
}
