package org.segmentation.nn.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.io.SafeTensors;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;
import org.segmentation.nn.testutil.Golden;
import org.segmentation.nn.testutil.GradCheck;
import org.segmentation.nn.testutil.Peers;
import org.segmentation.nn.testutil.TorchPeer;

/**
 * {@link ResNet} and {@link Fpn} against torchvision 0.14 run live (src/test/python/torch_resnet_fpn.py, skipped
 * where {@code /usr/bin/python3} has no torchvision): the same weights and input, training mode, float64; every
 * FPN output, the input gradient, every parameter gradient and the updated running averages. Then finite
 * differences on a tiny network, and the presets' parameter counts against torchvision's.
 *
 * <p>Tolerance against torchvision: 1e-10 relative to each tensor's largest magnitude. Both sides compute in
 * float64; they differ only in summation order (GEMM blocking, batch-norm sums) through some twenty layers, which
 * costs a few 1e-15 per layer, so 1e-10 has a wide margin and still catches any wrong index, stride or missing
 * term (errors of order 1e-2 and above).
 */
class ResNetFpnTest {
    private static final Map<String, Double> WORST = new java.util.concurrent.ConcurrentHashMap<>();

    @TempDir
    Path dir;

    @AfterAll
    static void report() {
        org.slf4j.LoggerFactory.getLogger(ResNetFpnTest.class).info("largest relative errors: {}",
                new java.util.TreeMap<>(WORST));
    }

    /** A backbone and FPN sharing one parameter buffer. */
    static final class Net {
        final ParameterBuffer params;
        final Map<String, INDArray> buffers = new LinkedHashMap<>();
        final ResNet body;
        final Fpn fpn;

        Net(ResNetConfig config, int fpnOut, DataType dt, long seed) {
            Random rng = new Random(seed);
            ParameterBuffer.Builder b = ParameterBuffer.builder(dt);
            body = new ResNet(b, buffers, "body.", config, rng);
            int[] in = new int[config.stages()];
            for (int s = 0; s < in.length; s++) {
                in[s] = config.outChannels(s);
            }
            fpn = new Fpn(b, "fpn.", in, fpnOut, true, rng);
            params = b.build();
        }

        INDArray[] forward(INDArray x) {
            return fpn.forward(body.forward(x));
        }

        INDArray backward(INDArray[] dP) {
            return body.backward(fpn.backward(dP), true);
        }
    }

    static Tensor tensor(INDArray a) {
        return Tensor.f64(a.castTo(DataType.DOUBLE).dup('c').data().asDouble(), a.shape());
    }

    static INDArray array(Tensor t) {
        assertNotNull(t);
        return Nd4j.create(t.doubles(), t.shape(), 'c');
    }

    static void assertClose(String what, INDArray actual, INDArray expected, double tol) {
        double err = Golden.relError(actual, expected);
        WORST.merge(what.replaceAll("[.0-9]+.*", ""), err, Math::max);
        assertTrue(err < tol, what + " relative error " + err);
    }

    static ResNetConfig basic() {
        return new ResNetConfig(ResNetConfig.Block.BASIC, new int[] {1, 2, 1, 1}, new int[] {4, 6, 8, 8}, 6, 3);
    }

    static ResNetConfig bottleneck() {
        return new ResNetConfig(ResNetConfig.Block.BOTTLENECK, new int[] {2, 1, 1, 1}, new int[] {2, 3, 4, 4}, 8,
                3);
    }

    @Test
    void basicBlocksEqualTorchvision() throws Exception {
        // 64x56: C2..C5 of 16x14, 8x7, 4x4, 2x2; the FPN resizes 4x4 -> 8x7 and 8x7 -> 16x14 (rows 2x, columns 7/4)
        parity(basic(), 2, 64, 56);
    }

    @Test
    void bottleneckBlocksEqualTorchvision() throws Exception {
        // 50x38: C2..C5 of 13x10, 7x5, 4x3, 2x2: every top-down resize takes PyTorch's non-2x nearest rule
        parity(bottleneck(), 2, 50, 38);
    }

    private void parity(ResNetConfig config, int n, int h, int w) throws Exception {
        Peers.require(TorchPeer.available(), "no torchvision for " + TorchPeer.PYTHON);
        Net net = new Net(config, 5, DataType.DOUBLE, 42);
        Random rng = new Random(9);
        INDArray x = GradCheck.gaussian(rng, DataType.DOUBLE, n, 3, h, w);
        TensorFile.Builder in = TensorFile.builder();
        for (Parameter p : net.params.parameters()) {
            in.put(p.name(), tensor(p.value()));
        }
        net.buffers.forEach((name, a) -> in.put(name, tensor(a)));   // before the forward updates them
        INDArray[] p = net.forward(x);
        assertEquals(5, p.length);
        INDArray[] r = new INDArray[p.length];
        for (int i = 0; i < p.length; i++) {
            r[i] = GradCheck.gaussian(rng, DataType.DOUBLE, p[i].shape());
            in.put("r" + i, tensor(r[i]));
        }
        in.put("x", tensor(x));
        in.meta("block", config.block().name())
                .meta("blocks", join(config.blocks()))
                .meta("widths", join(config.widths()))
                .meta("stem", Integer.toString(config.stemWidth()))
                .meta("fpn_out", "5");
        Path inFile = dir.resolve("in.safetensors");
        Path outFile = dir.resolve("out.safetensors");
        SafeTensors.write(inFile, in.build());
        TorchPeer.Result res = TorchPeer.script("torch_resnet_fpn.py", inFile.toString(), outFile.toString());
        assertEquals(0, res.exit(), res.output());
        TensorFile out = SafeTensors.read(outFile);

        net.params.zeroGradients();
        INDArray dX = net.backward(r);
        for (int i = 0; i < p.length; i++) {
            assertClose("P" + i, p[i], array(out.get("p" + i)), 1e-10);
        }
        assertClose("input gradient", dX, array(out.get("grad.x")), 1e-10);
        int checked = 0;
        for (Parameter q : net.params.parameters()) {
            Tensor g = out.get("grad." + q.name());
            assertNotNull(g, "torchvision has no parameter " + q.name());
            assertClose("parameter gradient " + q.name(), q.grad(), array(g), 1e-10);
            checked++;
        }
        long torchParams = out.tensors().keySet().stream().filter(k -> k.startsWith("grad.") && !k.equals("grad.x"))
                .count();
        assertEquals(torchParams, checked, "parameter count against torchvision's modules");
        for (Map.Entry<String, INDArray> e : net.buffers.entrySet()) {
            assertClose("running average " + e.getKey(), e.getValue(), array(out.get("after." + e.getKey())), 1e-10);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        ResNetConfig tiny = new ResNetConfig(ResNetConfig.Block.BASIC, new int[] {1, 1}, new int[] {2, 3}, 2, 1);
        Net net = new Net(tiny, 2, DataType.DOUBLE, 3);
        Random rng = new Random(4);
        INDArray x = GradCheck.gaussian(rng, DataType.DOUBLE, 2, 1, 16, 12);
        INDArray[] p = net.forward(x);
        INDArray[] r = new INDArray[p.length];
        for (int i = 0; i < p.length; i++) {
            r[i] = GradCheck.gaussian(rng, DataType.DOUBLE, p[i].shape());
        }
        net.params.zeroGradients();
        INDArray dX = net.backward(r);
        java.util.function.DoubleSupplier loss = () -> {
            INDArray[] q = net.forward(x);
            double s = 0;
            for (int i = 0; i < q.length; i++) {
                s += GradCheck.dot(q[i], r[i]);
            }
            return s;
        };
        double err = GradCheck.maxRelativeError(loss, x, dX);
        WORST.merge("finite differences", err, Math::max);
        assertTrue(err < GradCheck.TOLERANCE, "input gradient " + err);
        for (Parameter q : net.params.parameters()) {
            double e = GradCheck.maxRelativeError(loss, q.value(), q.grad());
            WORST.merge("finite differences", e, Math::max);
            assertTrue(e < GradCheck.TOLERANCE, q.name() + " relative error " + e);
        }
    }

    @Test
    void presetsHaveTorchvisionsParameterCounts() {
        // torchvision's resnet18 / resnet50 without the 1000-class classifier (fc): 11 689 512 − 513 000 and
        // 25 557 032 − 2 049 000
        assertEquals(11_176_512L, count(ResNetConfig.resnet18(3)));
        assertEquals(23_508_032L, count(ResNetConfig.resnet50(3)));
        // small: convolution weights 2352 (stem) + 4608 + 14 336 + 57 344 + 229 376 (stages, shortcuts included),
        // batch-norm weights and biases 2·(16 + 16 + 3·32 + 3·64 + 3·128)
        assertEquals(308_016L + 2 * 720, count(ResNetConfig.small(3)));
    }

    private static long count(ResNetConfig config) {
        ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.FLOAT);
        new ResNet(b, new LinkedHashMap<>(), "", config, new Random(1));
        long n = 0;
        for (Parameter p : b.build().parameters()) {
            n += p.length();
        }
        return n;
    }

    @Test
    void shapesAndErrors() {
        Net net = new Net(basic(), 4, DataType.FLOAT, 1);
        net.body.setTraining(false);
        net.fpn.setTraining(false);
        INDArray[] p = net.forward(Nd4j.zeros(DataType.FLOAT, 1, 3, 64, 56));
        assertArrayEquals(new long[] {1, 4, 16, 14}, p[0].shape());
        assertArrayEquals(new long[] {1, 4, 2, 2}, p[3].shape());
        assertArrayEquals(new long[] {1, 4, 1, 1}, p[4].shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.forward(Nd4j.zeros(DataType.FLOAT, 1, 1, 64, 64)));
        assertTrue(e.getMessage().contains("ResNet input x"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ResNetConfig(ResNetConfig.Block.BASIC,
                new int[] {1, 0}, new int[] {4, 4}, 4, 3));
        assertTrue(e.getMessage().contains("stage 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> net.fpn.forward(new INDArray[2]));
        assertTrue(e.getMessage().contains("expected 4 input levels"), e.getMessage());
    }

    private static String join(int[] v) {
        return java.util.Arrays.stream(v).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(","));
    }
}
