package org.segmentation.nn.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Random;
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
 * {@link BoxHead} and {@link MaskHead} against torchvision 0.14's {@code TwoMLPHead} + {@code FastRCNNPredictor} and
 * {@code MaskRCNNHeads} + {@code MaskRCNNPredictor} run live (src/test/python/torch_roi_heads.py, skipped where
 * torchvision is missing): the same weights and inputs in float64, every output, input gradient and parameter
 * gradient; and against finite differences.
 *
 * <p>Tolerance against torchvision: 1e-10 relative to each tensor's scale (float64 on both sides; only the
 * summation order differs, through at most seven layers).
 */
class HeadsTest {
    @TempDir
    Path dir;

    static final class Heads {
        final ParameterBuffer params;
        final BoxHead box;
        final MaskHead mask;

        Heads(int c, int rep, int width, int classes, long seed) {
            Random rng = new Random(seed);
            ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.DOUBLE);
            box = new BoxHead(b, "box_head.", "box_predictor.", c * 7 * 7, rep, classes, rng);
            mask = new MaskHead(b, "mask_head.", "mask_predictor.", c, width, classes, rng);
            params = b.build();
        }
    }

    static Tensor tensor(INDArray a) {
        return Tensor.f64(a.castTo(DataType.DOUBLE).dup('c').data().asDouble(), a.shape());
    }

    static void assertClose(String what, INDArray actual, Tensor expected) {
        assertNotNull(expected, what + " missing from torchvision's output");
        double err = Golden.relError(actual, Nd4j.create(expected.doubles(), expected.shape(), 'c'));
        assertTrue(err < 1e-10, what + " relative error " + err);
    }

    @Test
    void equalTorchvision() throws Exception {
        Peers.require(TorchPeer.available(), "no torchvision for " + TorchPeer.PYTHON);
        Heads h = new Heads(3, 10, 4, 3, 5);
        Random rng = new Random(6);
        INDArray boxX = GradCheck.gaussian(rng, DataType.DOUBLE, 5, 3, 7, 7);
        INDArray maskX = GradCheck.gaussian(rng, DataType.DOUBLE, 3, 3, 14, 14);
        BoxHead.Output bo = h.box.forward(boxX);
        INDArray ml = h.mask.forward(maskX);
        assertArrayEquals(new long[] {5, 3}, bo.logits().shape());
        assertArrayEquals(new long[] {5, 12}, bo.deltas().shape());
        assertArrayEquals(new long[] {3, 3, 28, 28}, ml.shape());
        INDArray rl = GradCheck.gaussian(rng, DataType.DOUBLE, 5, 3);
        INDArray rd = GradCheck.gaussian(rng, DataType.DOUBLE, 5, 12);
        INDArray rm = GradCheck.gaussian(rng, DataType.DOUBLE, 3, 3, 28, 28);
        TensorFile.Builder in = TensorFile.builder();
        for (Parameter p : h.params.parameters()) {
            in.put(p.name(), tensor(p.value()));
        }
        in.put("box_x", tensor(boxX)).put("mask_x", tensor(maskX)).put("r_logits", tensor(rl))
                .put("r_deltas", tensor(rd)).put("r_mask", tensor(rm));
        in.meta("in_channels", "3").meta("representation", "10").meta("width", "4").meta("classes", "3");
        Path inFile = dir.resolve("in.safetensors");
        Path outFile = dir.resolve("out.safetensors");
        SafeTensors.write(inFile, in.build());
        TorchPeer.Result res = TorchPeer.script("torch_roi_heads.py", inFile.toString(), outFile.toString());
        assertEquals(0, res.exit(), res.output());
        TensorFile out = SafeTensors.read(outFile);
        h.params.zeroGradients();
        INDArray dBox = h.box.backward(rl, rd);
        INDArray dMask = h.mask.backward(rm);
        assertClose("class logits", bo.logits(), out.get("logits"));
        assertClose("box deltas", bo.deltas(), out.get("deltas"));
        assertClose("mask logits", ml, out.get("mask_logits"));
        assertClose("box input gradient", dBox, out.get("grad.box_x"));
        assertClose("mask input gradient", dMask, out.get("grad.mask_x"));
        for (Parameter p : h.params.parameters()) {
            assertClose("gradient of " + p.name(), p.grad(), out.get("grad." + p.name()));
        }
        assertEquals(out.tensors().size() - 5, h.params.parameters().size(), "parameter count against torchvision");
    }

    @Test
    void float32MaskHeadOnTheConvolutionEngineEqualsFloat64() {
        // float32 runs the four 3x3 convolutions by Winograd F(4x4, 3x3) on the CPU backend (float64 by the ND4J
        // path): from the same draws both must agree to float32 rounding through six layers, at most about 5e-6 of
        // the scale per convolution (WinogradConv2d's accuracy note), hence 1e-4
        MaskHead[] heads = new MaskHead[2];
        ParameterBuffer[] params = new ParameterBuffer[2];
        DataType[] types = {DataType.DOUBLE, DataType.FLOAT};
        for (int i = 0; i < 2; i++) {
            ParameterBuffer.Builder b = ParameterBuffer.builder(types[i]);
            heads[i] = new MaskHead(b, "mask_head.", "mask_predictor.", 8, 16, 4, new Random(3));
            params[i] = b.build();
        }
        Random rng = new Random(4);
        INDArray x = GradCheck.gaussian(rng, DataType.DOUBLE, 6, 8, 14, 14);
        INDArray r = GradCheck.gaussian(rng, DataType.DOUBLE, 6, 4, 28, 28);
        INDArray[] logits = new INDArray[2];
        INDArray[] dX = new INDArray[2];
        for (int i = 0; i < 2; i++) {
            logits[i] = heads[i].forward(x.castTo(types[i])).castTo(DataType.DOUBLE);
            params[i].zeroGradients();
            dX[i] = heads[i].backward(r.castTo(types[i])).castTo(DataType.DOUBLE);
        }
        assertTrue(Golden.relError(logits[1], logits[0]) < 1e-4, "logits " + Golden.relError(logits[1], logits[0]));
        assertTrue(Golden.relError(dX[1], dX[0]) < 1e-4, "input gradient " + Golden.relError(dX[1], dX[0]));
        for (int j = 0; j < params[0].parameters().size(); j++) {
            Parameter p64 = params[0].parameters().get(j), p32 = params[1].parameters().get(j);
            double e = Golden.relError(p32.grad().castTo(DataType.DOUBLE), p64.grad());
            assertTrue(e < 1e-4, p64.name() + " gradient relative error " + e);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Heads h = new Heads(2, 6, 3, 3, 7);
        Random rng = new Random(8);
        INDArray boxX = GradCheck.gaussian(rng, DataType.DOUBLE, 3, 2, 7, 7);
        INDArray maskX = GradCheck.gaussian(rng, DataType.DOUBLE, 2, 2, 6, 6);
        INDArray rl = GradCheck.gaussian(rng, DataType.DOUBLE, 3, 3);
        INDArray rd = GradCheck.gaussian(rng, DataType.DOUBLE, 3, 12);
        INDArray rm = GradCheck.gaussian(rng, DataType.DOUBLE, 2, 3, 12, 12);
        h.box.forward(boxX);
        h.mask.forward(maskX);
        h.params.zeroGradients();
        INDArray dBox = h.box.backward(rl, rd);
        INDArray dMask = h.mask.backward(rm);
        java.util.function.DoubleSupplier loss = () -> {
            BoxHead.Output o = h.box.forward(boxX);
            return GradCheck.dot(o.logits(), rl) + GradCheck.dot(o.deltas(), rd)
                    + GradCheck.dot(h.mask.forward(maskX), rm);
        };
        assertTrue(GradCheck.maxRelativeError(loss, boxX, dBox) < GradCheck.TOLERANCE, "box input");
        assertTrue(GradCheck.maxRelativeError(loss, maskX, dMask) < GradCheck.TOLERANCE, "mask input");
        for (Parameter p : h.params.parameters()) {
            double e = GradCheck.maxRelativeError(loss, p.value(), p.grad());
            assertTrue(e < GradCheck.TOLERANCE, p.name() + " relative error " + e);
        }
    }
}
