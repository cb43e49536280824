package org.segmentation.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.nn.layers.BatchNorm2d;
import org.segmentation.nn.layers.BilinearUpsample2x;
import org.segmentation.nn.layers.Concat;
import org.segmentation.nn.layers.Conv2d;
import org.segmentation.nn.layers.ConvTranspose2x2;
import org.segmentation.nn.layers.MaxPool2x2;
import org.segmentation.nn.layers.Relu;
import org.segmentation.nn.loss.CeDiceLoss;
import org.segmentation.nn.loss.FocalLoss;
import org.segmentation.nn.loss.Loss;
import org.segmentation.nn.loss.LossResult;
import org.segmentation.nn.loss.SigmoidBinaryCrossEntropy;
import org.segmentation.nn.loss.SoftDice;
import org.segmentation.nn.loss.SoftmaxCrossEntropy;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.optim.Optimizer;
import org.segmentation.nn.optim.Sgd;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.param.ParameterBuffer;
import org.segmentation.nn.testutil.Golden;

/**
 * The same small stack as src/test/python/make_nn_golden.py, loaded with its weights, against PyTorch 1.13's
 * outputs, loss, every gradient, and five steps each of Adam, AdamW and SGD-Nesterov.
 *
 * <p>Tolerance: 1e-4 of each tensor's largest magnitude, as the issue asks. The golden values are float64; a
 * float32 run differs from them by rounding in sums of at most a few hundred terms and in the batch-norm
 * variance, about 1e-6 relative, and after five optimizer steps by a few 1e-6 more, so 1e-4 is loose enough for
 * float32 and still catches a wrong index or sign (errors of order 1). A float64 run must agree to 1e-9.
 */
class PyTorchGoldenTest {
    private static final Golden G = Golden.load("/golden/nn/stack");
    private static final int IGNORE = 255;
    private static final IgnoreLabel IGNORED = IgnoreLabel.of(IGNORE);

    /** conv3x3 -> BN -> ReLU -> pool -> up-conv -> concat(skip, up) -> conv3x3. */
    static final class Stack {
        final ParameterBuffer params;
        final Conv2d conv1;
        final BatchNorm2d bn1;
        final Relu relu = new Relu();
        final MaxPool2x2 pool = new MaxPool2x2();
        final ConvTranspose2x2 up;
        final Concat cat = new Concat();
        final Conv2d conv2;
        final Map<String, INDArray> outs = new LinkedHashMap<>();
        final Map<String, INDArray> grads = new LinkedHashMap<>();

        Stack(DataType dt) {
            Random rng = new Random(0); // overwritten by the golden weights
            ParameterBuffer.Builder b = ParameterBuffer.builder(dt);
            conv1 = new Conv2d(b, "conv1", 3, 4, 3, rng);
            bn1 = new BatchNorm2d(b, "bn1", 4);
            up = new ConvTranspose2x2(b, "up", 4, 4, rng);
            conv2 = new Conv2d(b, "conv2", 8, 3, 3, rng);
            params = b.build();
            for (Parameter p : params.parameters()) {
                p.value().assign(G.get("init." + p.name(), dt));
            }
        }

        INDArray forward(INDArray x) {
            INDArray skip = put("relu", relu.forward(put("bn1", bn1.forward(put("conv1", conv1.forward(x))))));
            INDArray u = put("up", up.forward(put("pool", pool.forward(skip))));
            return put("logits", conv2.forward(put("cat", cat.forward(skip, u))));
        }

        INDArray backward(INDArray dLogits) {
            grads.put("logits", dLogits);
            INDArray dCat = conv2.backward(dLogits);
            grads.put("cat", dCat);
            INDArray[] d = cat.backward(dCat);
            grads.put("up", d[1]);
            INDArray dPool = up.backward(d[1]);
            grads.put("pool", dPool);
            INDArray dSkip = d[0].add(pool.backward(dPool)); // the skip tensor feeds both concat and pool
            grads.put("relu", dSkip);
            INDArray dBn = relu.backward(dSkip);
            grads.put("bn1", dBn);
            INDArray dConv1 = bn1.backward(dBn);
            grads.put("conv1", dConv1);
            return conv1.backward(dConv1);
        }

        private INDArray put(String name, INDArray t) {
            outs.put(name, t);
            return t;
        }
    }

    static Loss loss() {
        return new CeDiceLoss(new SoftmaxCrossEntropy(new double[] {0.5, 1.0, 2.0}, IGNORED), 0.6,
                new SoftDice(1.0, IGNORED), 0.4);
    }

    static double tolerance(DataType dt) {
        return dt == DataType.FLOAT ? 1e-4 : 1e-9;
    }

    private static final Map<DataType, Double> WORST = new java.util.concurrent.ConcurrentHashMap<>();

    @org.junit.jupiter.api.AfterAll
    static void report() {
        org.slf4j.LoggerFactory.getLogger(PyTorchGoldenTest.class)
                .info("largest relative error against PyTorch: {}", WORST);
    }

    static void assertClose(String what, INDArray actual, INDArray expected, DataType dt) {
        double err = Golden.relError(actual, expected);
        WORST.merge(dt, err, Math::max);
        assertTrue(err < tolerance(dt), what + " (" + dt + ") relative error " + err);
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void forwardLossAndEveryGradient(DataType dt) {
        Stack s = new Stack(dt);
        INDArray x = G.get("x", dt);
        INDArray labels = G.get("labels", DataType.INT32);
        INDArray logits = s.forward(x);
        LossResult r = loss().compute(logits, labels);
        s.params.zeroGradients();
        INDArray dX = s.backward(r.dLogits());
        assertClose("loss", org.nd4j.linalg.factory.Nd4j.scalar(r.loss()).reshape(1), G.get("loss", DataType.DOUBLE), dt);
        for (String name : s.outs.keySet()) {
            assertClose("output of " + name, s.outs.get(name), G.get("out." + name, dt), dt);
            assertClose("gradient at " + name, s.grads.get(name), G.get("grad." + name, dt), dt);
        }
        assertClose("grad x", dX, G.get("grad.x", dt), dt);
        for (Parameter p : s.params.parameters()) {
            if (p.name().equals("conv1.bias")) {
                // batch norm in training mode removes any per-channel shift, so this gradient is 0 up to rounding
                // (PyTorch's is ~1e-17): compare it on the scale of the conv1 weight gradient instead of its own
                double scale = G.get("grad.conv1.weight", DataType.DOUBLE).amaxNumber().doubleValue();
                double err = p.grad().castTo(DataType.DOUBLE).amaxNumber().doubleValue() / scale;
                assertTrue(err < tolerance(dt), "grad conv1.bias relative to the weight gradient " + err);
                continue;
            }
            assertClose("grad " + p.name(), p.grad(), G.get("grad." + p.name(), dt), dt);
        }
        assertClose("bn running mean", s.bn1.runningMean(), G.get("bn1.running_mean", dt), dt);
        assertClose("bn running var", s.bn1.runningVar(), G.get("bn1.running_var", dt), dt);
    }

    private static void train(DataType dt, String tag, Function<ParameterBuffer, Optimizer> make) {
        Stack s = new Stack(dt);
        Optimizer opt = make.apply(s.params);
        INDArray x = G.get("x", dt);
        INDArray labels = G.get("labels", DataType.INT32);
        INDArray expectedLosses = G.get(tag + ".losses", DataType.DOUBLE);
        for (int step = 0; step < 5; step++) {
            s.params.zeroGradients();
            LossResult r = loss().compute(s.forward(x), labels);
            Loss.requireFinite(r.loss(), step);
            s.backward(r.dLogits());
            opt.step();
            double expected = expectedLosses.getDouble(step);
            assertTrue(Math.abs(r.loss() - expected) < tolerance(dt) * Math.abs(expected),
                    tag + " step " + step + " loss " + r.loss() + " vs " + expected);
        }
        for (Parameter p : s.params.parameters()) {
            INDArray expected = G.get(tag + ".final." + p.name(), dt);
            if (tag.equals("adamw") && p.name().equals("conv1.bias")) {
                // Its gradient is rounding noise (batch norm follows), which AdamW's m/sqrt(v) turns into steps
                // of about ±lr whatever the noise's size, so no two implementations agree on it. Bound it
                // instead: five steps of at most lr = 0.01 each (Adam's step is bounded by lr when β1² < β2).
                double moved = p.value().castTo(DataType.DOUBLE).sub(expected.castTo(DataType.DOUBLE))
                        .amaxNumber().doubleValue();
                assertTrue(moved <= 2 * 5 * 0.01, "adamw conv1.bias moved " + moved);
                continue;
            }
            assertClose(tag + " final " + p.name(), p.value(), expected, dt);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void fiveStepsOfAdamAdamWAndSgdNesterovMatchTorchOptim(DataType dt) {
        train(dt, "adam", b -> Adam.adam(b, 0.01, 0.9, 0.999, 1e-8, 1e-3));
        train(dt, "adamw", b -> Adam.adamW(b, 0.01, 0.9, 0.999, 1e-8, 0.05));
        train(dt, "sgd", b -> new Sgd(b, 0.05, 0.9, true, 1e-4));
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void bilinearFocalAndBce(DataType dt) {
        BilinearUpsample2x up = new BilinearUpsample2x();
        assertClose("bilinear y", up.forward(G.get("bilinear.x", dt)), G.get("bilinear.y", dt), dt);
        assertClose("bilinear dx", up.backward(G.get("bilinear.r", dt)), G.get("bilinear.dx", dt), dt);
        LossResult f = new FocalLoss(0.25, 2.0, IGNORED).compute(G.get("focal.logits", dt),
                G.get("focal.labels", DataType.INT32));
        assertClose("focal loss", org.nd4j.linalg.factory.Nd4j.scalar(f.loss()).reshape(1),
                G.get("focal.loss", DataType.DOUBLE), dt);
        assertClose("focal dlogits", f.dLogits(), G.get("focal.dlogits", dt), dt);
        LossResult b = new SigmoidBinaryCrossEntropy().compute(G.get("bce.logits", dt), G.get("bce.targets", dt));
        assertClose("bce loss", org.nd4j.linalg.factory.Nd4j.scalar(b.loss()).reshape(1),
                G.get("bce.loss", DataType.DOUBLE), dt);
        assertClose("bce dlogits", b.dLogits(), G.get("bce.dlogits", dt), dt);
    }
}
