package org.segmentation.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.param.ParameterBuffer;
import org.segmentation.nn.testutil.GradCheck;

/** Exact small cases, modes, seeding and bad input. */
class LayerBehaviourTest {

    @Test
    void maxPoolTinyExactCaseWithOddSizeAndTies() {
        // (1,1,3,5): the last row and column are dropped; the tie in the second window goes to its first element
        INDArray x = Nd4j.create(new double[] {
            1, 5, 2, 2, 9,
            3, 4, 0, 1, 9,
            9, 9, 9, 9, 9}, new long[] {1, 1, 3, 5}, 'c');
        MaxPool2x2 pool = new MaxPool2x2();
        INDArray y = pool.forward(x);
        assertArrayEquals(new long[] {1, 1, 1, 2}, y.shape());
        assertArrayEquals(new double[] {5, 2}, y.reshape(2).toDoubleVector(), 0.0);
        INDArray dX = pool.backward(Nd4j.create(new double[] {10, 20}, new long[] {1, 1, 1, 2}, 'c'));
        assertArrayEquals(new double[] {
            0, 10, 20, 0, 0,
            0, 0, 0, 0, 0,
            0, 0, 0, 0, 0}, dX.reshape(15).toDoubleVector(), 0.0);
    }

    @Test
    void maxPoolNd4jOpsPathBreaksTiesLikeTheLoops() {
        INDArray x = Nd4j.create(new double[] {
            1, 5, 2, 2, 9,
            3, 4, 0, 1, 9,
            9, 9, 9, 9, 9}, new long[] {1, 1, 3, 5}, 'c');
        MaxPool2x2 pool = new MaxPool2x2().useNd4jOps();
        assertArrayEquals(new double[] {5, 2}, pool.forward(x).reshape(2).toDoubleVector(), 0.0);
        INDArray dX = Nd4j.ones(DataType.DOUBLE, 1, 1, 3, 5);   // accumulated into
        pool.backward(Nd4j.create(new double[] {10, 20}, new long[] {1, 1, 1, 2}, 'c'), dX);
        assertArrayEquals(new double[] {
            1, 11, 21, 1, 1,
            1, 1, 1, 1, 1,
            1, 1, 1, 1, 1}, dX.reshape(15).toDoubleVector(), 0.0);
    }

    @Test
    void maxPoolFloatLoopsMatchTheNd4jOpsPath() {
        // The float32 loops (CPU backend) against the ND4J ops, which the float64 gradient check covers. Values on a
        // grid of 0.5 (signed zeros included) make ties between the four values of a window common; both paths take
        // the first maximum and route dY to it, so outputs and gradients agree exactly (up to the sign of a zero
        // maximum), odd sizes and a dX accumulated into included.
        Random rng = new Random(12);
        for (long[] shape : new long[][] {{2, 3, 7, 9}, {1, 4, 8, 8}, {3, 2, 5, 4}}) {
            INDArray x = Transforms.round(GradCheck.gaussian(rng, DataType.FLOAT, shape).muli(2)).divi(2);
            MaxPool2x2 loops = new MaxPool2x2();
            MaxPool2x2 ops = new MaxPool2x2().useNd4jOps();
            INDArray y = loops.forward(x);
            assertArrayEquals(flat(ops.forward(x)), flat(y), 0f);
            INDArray dY = GradCheck.gaussian(rng, DataType.FLOAT, y.shape());
            INDArray start = GradCheck.gaussian(rng, DataType.FLOAT, shape);
            INDArray viaLoops = loops.backward(dY, start.dup());
            INDArray viaOps = ops.backward(dY, start.dup());
            assertArrayEquals(flat(viaOps), flat(viaLoops), 0f, Arrays.toString(shape));
            assertTrue(viaLoops.sub(start).neq(0).castTo(DataType.INT32).sumNumber().longValue() > 0);
        }
    }

    @Test
    void convTransposeFloatLoopsMatchTheNd4jOpsPath() {
        // The float32 loops (CPU backend), which add the bias while interleaving and sum its gradient while
        // de-interleaving, against the ND4J ops that the float64 gradient check covers: the same GEMMs on the same
        // operands, so the output and dX agree exactly; the weight gradient (below) and the bias gradient are sums in
        // another order (float partial sums per row, then double, against ND4J's reduction), held to 1e-5 of its
        // scale (sums of 2·2H·2W ≈ 600 unit Gaussians), far below a wrong or missing term (order 1 and more).
        Random rng = new Random(13);
        for (long[] shape : new long[][] {{2, 5, 6, 7}, {3, 4, 4, 4}}) {
            INDArray x = GradCheck.gaussian(rng, DataType.FLOAT, shape);
            ConvTranspose2x2[] up = new ConvTranspose2x2[2];
            ParameterBuffer[] params = new ParameterBuffer[2];
            for (int l = 0; l < 2; l++) {   // the same weights: the same seed
                ParameterBuffer.Builder pb = ParameterBuffer.builder(DataType.FLOAT);
                up[l] = new ConvTranspose2x2(pb, "up", (int) shape[1], 3, new Random(14));
                params[l] = pb.build();
            }
            up[1].useNd4jOps();
            INDArray dY = GradCheck.gaussian(rng, DataType.FLOAT, shape[0], 3, 2 * shape[2], 2 * shape[3]);
            INDArray[] y = new INDArray[2], dX = new INDArray[2];
            for (int l = 0; l < 2; l++) {
                params[l].zeroGradients();
                y[l] = up[l].forward(x);
                dX[l] = up[l].backward(dY);
            }
            assertArrayEquals(flat(y[1]), flat(y[0]), 0f);
            assertArrayEquals(flat(dX[1]), flat(dX[0]), 0f);
            // the loops sum the weight gradient per part of the batch (one part per core), then the parts: the
            // same products added in another order, so within float rounding of the sum's scale (sums of N·H·W ≈ 100
            // products of unit Gaussians, ~10): 1e-5 of it is 30 times the rounding, far below a missing sample
            float[] wLoops = flat(up[0].weight().grad()), wOps = flat(up[1].weight().grad());
            for (int i = 0; i < wOps.length; i++) {
                assertEquals(wOps[i], wLoops[i], 1e-5 * (1 + Math.abs(wOps[i])), "weight gradient " + i);
            }
            float[] bLoops = flat(up[0].bias().grad()), bOps = flat(up[1].bias().grad());
            for (int k = 0; k < 3; k++) {
                assertEquals(bOps[k], bLoops[k], 1e-5 * (1 + Math.abs(bOps[k])), "bias gradient " + k);
            }
            // the loops cut the batch for the machine's cores, not the caller's limit: one thread, the same bits
            params[0].zeroGradients();
            INDArray[] one = ParallelRanges.callWithThreads(1, () -> new INDArray[] {up[0].forward(x),
                up[0].backward(dY)});
            assertArrayEquals(flat(y[0]), flat(one[0]), 0f);
            assertArrayEquals(flat(dX[0]), flat(one[1]), 0f);
            assertArrayEquals(wLoops, flat(up[0].weight().grad()), 0f);
            assertArrayEquals(bLoops, flat(up[0].bias().grad()), 0f);
        }
    }

    private static float[] flat(INDArray a) {
        return a.dup('c').reshape(a.length()).toFloatVector();
    }

    @Test
    void batchNormFloatLoopsMatchTheGradientCheckedDoublePath() {
        // The float32 loops (CPU backend) against the same layer in float64, which runs the ND4J ops that the
        // gradient check covers. float32 rounds each value to 6e-8 relative, and the sums over 2·20·20 values are
        // pairwise float sums (error ~log2(800)·6e-8) then double: 2e-5 of the outputs' scale (about 1-10) leaves
        // a margin of 10 over what was measured. ND4J's float32 path must agree with the loops as well.
        Random rng = new Random(11);
        for (boolean relu : new boolean[] {false, true}) {
            BatchNorm2d[] layers = new BatchNorm2d[3];
            ParameterBuffer[] params = new ParameterBuffer[3];
            DataType[] types = {DataType.FLOAT, DataType.FLOAT, DataType.DOUBLE};
            for (int l = 0; l < 3; l++) {
                ParameterBuffer.Builder pb = ParameterBuffer.builder(types[l]);
                layers[l] = new BatchNorm2d(pb, "bn", 32, relu);
                params[l] = pb.build();
            }
            layers[1].useNd4jOps();
            INDArray values = GradCheck.gaussian(rng, DataType.DOUBLE, params[0].length());
            for (int l = 0; l < 3; l++) {
                params[l].values().assign(values);
            }
            for (boolean training : new boolean[] {true, false}) {
                INDArray x = GradCheck.gaussian(rng, DataType.DOUBLE, 2, 32, 20, 20).muli(3).addi(1);
                INDArray dY = GradCheck.gaussian(rng, DataType.DOUBLE, 2, 32, 20, 20);
                INDArray[][] out = new INDArray[3][];
                for (int l = 0; l < 3; l++) {
                    layers[l].setTraining(training);
                    params[l].zeroGradients();
                    INDArray y = layers[l].forward(x.castTo(types[l]));
                    INDArray dX = layers[l].backward(dY.castTo(types[l]));
                    out[l] = new INDArray[] {y, dX, layers[l].runningMean(), layers[l].runningVar(),
                        params[l].gradients()};
                }
                String[] names = {"y", "dX", "running mean", "running var", "dgamma, dbeta"};
                for (int l = 0; l < 2; l++) {
                    for (int i = 0; i < names.length; i++) {
                        INDArray ref = out[2][i];
                        double scale = Math.max(ref.amaxNumber().doubleValue(), 1);
                        double err = out[l][i].castTo(DataType.DOUBLE).sub(ref).amaxNumber().doubleValue() / scale;
                        assertTrue(err < 2e-5, (l == 0 ? "loops" : "nd4j float") + " relu=" + relu + " training="
                                + training + " " + names[i] + ": relative error " + err);
                    }
                }
                assertTrue(out[0][4].amaxNumber().doubleValue() > 1, "gradients are not all 0");
                if (relu) {
                    assertEquals(0.0, out[0][0].minNumber().doubleValue(), "negatives clipped");
                }
            }
        }
    }

    @Test
    void batchNormBackwardInPlaceEqualsBackwardIntoANewArray() {
        // the same computation in both cases, so the results must be bit-identical; both paths, with and without
        // the fused ReLU
        Random rng = new Random(12);
        for (boolean nd4j : new boolean[] {false, true}) {
            for (boolean relu : new boolean[] {false, true}) {
                ParameterBuffer.Builder pb = ParameterBuffer.builder(DataType.FLOAT);
                BatchNorm2d bn = new BatchNorm2d(pb, "bn", 6, relu);
                if (nd4j) {
                    bn.useNd4jOps();
                }
                ParameterBuffer params = pb.build();
                params.values().assign(GradCheck.gaussian(rng, DataType.FLOAT, params.length()));
                INDArray x = GradCheck.gaussian(rng, DataType.FLOAT, 3, 6, 7, 5);
                INDArray dY = GradCheck.gaussian(rng, DataType.FLOAT, 3, 6, 7, 5);
                bn.forward(x);
                INDArray expected = bn.backward(dY);
                INDArray gradients = params.gradients().dup();
                params.zeroGradients();
                bn.forward(x);
                INDArray inPlace = dY.dup();
                assertTrue(bn.backward(inPlace, inPlace) == inPlace, "returns the array it was given");
                String what = "nd4j=" + nd4j + " relu=" + relu;
                assertEquals(expected, inPlace, what + ": dX");
                assertEquals(gradients, params.gradients(), what + ": dgamma, dbeta");
            }
        }
        ParameterBuffer.Builder pb = ParameterBuffer.builder(DataType.FLOAT);
        BatchNorm2d bn = new BatchNorm2d(pb, "bn", 2);
        pb.build();
        bn.forward(Nd4j.rand(DataType.FLOAT, 2, 2, 4, 4));
        INDArray strided = Nd4j.create(DataType.FLOAT, 2, 2, 4, 8).get(NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.all(), NDArrayIndex.interval(0, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bn.backward(Nd4j.rand(DataType.FLOAT, 2, 2, 4, 4), strided));
        assertTrue(e.getMessage().contains("c-contiguous"), e.getMessage());
    }

    @Test
    void convolutionWithFoldedBatchNormEqualsTheTwoLayers() {
        // float64: the folded weights round differently from two passes, by ~1e-15 relative; 1e-12 is ample
        Random rng = new Random(12);
        for (boolean relu : new boolean[] {false, true}) {
            ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.DOUBLE);
            Conv2d conv = new Conv2d(b, "c", 3, 5, 3, rng);
            BatchNorm2d bn = new BatchNorm2d(b, "bn", 5, relu);
            ParameterBuffer params = b.build();
            params.values().assign(GradCheck.gaussian(rng, DataType.DOUBLE, params.length()));
            bn.runningMean().assign(GradCheck.gaussian(rng, DataType.DOUBLE, 5));
            bn.runningVar().assign(GradCheck.gaussian(rng, DataType.DOUBLE, 5).muli(0.3).addi(1));
            INDArray x = GradCheck.gaussian(rng, DataType.DOUBLE, 2, 3, 7, 9);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> conv.forwardEvaluation(x, bn));
            assertTrue(e.getMessage().contains("evaluation mode"), e.getMessage());
            bn.setTraining(false);
            INDArray expected = bn.forward(conv.forward(x));
            INDArray folded = conv.forwardEvaluation(x, bn);
            assertTrue(folded.equalsWithEps(expected, 1e-12), "relu=" + relu);
            assertEquals(relu, folded.minNumber().doubleValue() == 0.0, "relu=" + relu + ": negatives clipped");
        }
    }

    @Test
    void hostFoldOfBatchNormGivesTheBitsOfTheNd4jOps() {
        // float32 forwardEvaluation folds on the host on the CPU backend; the ND4J ops are the other backends' path
        Random rng = new Random(14);
        INDArray weight = GradCheck.gaussian(rng, DataType.FLOAT, 6, 4, 3, 3);
        INDArray bias = GradCheck.gaussian(rng, DataType.FLOAT, 6);
        double[][] affine = new double[2][6];
        for (int k = 0; k < 6; k++) {
            affine[0][k] = Math.exp(rng.nextGaussian()) / 3;   // gamma / sqrt(var + eps): positive, irrational
            affine[1][k] = rng.nextGaussian() / 7;
        }
        INDArray w = Nd4j.create(DataType.FLOAT, 6, 4, 3, 3), b = Nd4j.create(DataType.FLOAT, 6);
        Conv2d.fold(weight, bias, affine, w, b);
        INDArray scale = Nd4j.createFromArray(affine[0]).castTo(DataType.FLOAT);
        INDArray shift = Nd4j.createFromArray(affine[1]).castTo(DataType.FLOAT);
        // exact: INDArray.equals would allow 1e-5
        assertArrayEquals(weight.mul(scale.reshape(6, 1, 1, 1)).data().asFloat(), w.data().asFloat());
        assertArrayEquals(bias.mul(scale).addi(shift).data().asFloat(), b.data().asFloat());
    }

    @Test
    void upConvolutionWritesItsHalfOfTheConcatenationInPlace() {
        // the same arithmetic in the same order either way: equal to the last bit
        Random rng = new Random(13);
        for (boolean nd4j : new boolean[] {false, true}) {
            ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.FLOAT);
            ConvTranspose2x2 up = new ConvTranspose2x2(b, "up", 6, 4, rng);
            ConvTranspose2x2 ref = new ConvTranspose2x2(b, "ref", 6, 4, rng);
            if (nd4j) {
                up.useNd4jOps();
            }
            ParameterBuffer params = b.build();
            ref.weight().value().assign(up.weight().value());
            ref.bias().value().assign(up.bias().value());
            INDArray x = GradCheck.gaussian(rng, DataType.FLOAT, 3, 6, 5, 7);
            INDArray skip = GradCheck.gaussian(rng, DataType.FLOAT, 3, 2, 10, 14);
            Concat inPlace = new Concat();
            INDArray cat = inPlace.withFirst(skip, 4);
            assertTrue(up.forward(x, inPlace.second(cat)).isView());
            INDArray expected = new Concat().forward(skip, ref.forward(x));
            assertEquals(expected, cat, "nd4j=" + nd4j);
            // backward from the view of a concatenation's gradient, as the U-Net passes it
            INDArray dCat = GradCheck.gaussian(rng, DataType.FLOAT, 3, 6, 10, 14);
            params.zeroGradients();
            INDArray dX = up.backward(inPlace.backward(dCat)[1]);
            INDArray dXRef = ref.backward(dCat.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 6)).dup('c'));
            assertEquals(dXRef, dX, "nd4j=" + nd4j);
            assertEquals(ref.weight().grad(), up.weight().grad(), "nd4j=" + nd4j);
            assertTrue(dX.amaxNumber().doubleValue() > 0);
        }
    }

    @Test
    void bilinearUpsampleTinyExactCase() {
        // align_corners=False on [0, 4]: outputs sample at -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
        INDArray x = Nd4j.create(new double[] {0, 4}, new long[] {1, 1, 1, 2}, 'c');
        INDArray y = new BilinearUpsample2x().forward(x);
        assertArrayEquals(new long[] {1, 1, 2, 4}, y.shape());
        assertArrayEquals(new double[] {0, 1, 3, 4, 0, 1, 3, 4}, y.reshape(8).toDoubleVector(), 1e-12);
    }

    @Test
    void batchNormUpdatesRunningAveragesLikePyTorch() {
        ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.DOUBLE);
        BatchNorm2d bn = new BatchNorm2d(b, "bn", 1, 0.1, 1e-5);
        b.build();
        // one channel, values 1,2,3,6: mean 3, unbiased variance 14/3
        INDArray x = Nd4j.create(new double[] {1, 2, 3, 6}, new long[] {1, 1, 2, 2}, 'c');
        INDArray y = bn.forward(x);
        assertEquals(0.3, bn.runningMean().getDouble(0), 1e-12);
        assertEquals(0.9 + 0.1 * 14.0 / 3.0, bn.runningVar().getDouble(0), 1e-12);
        // training output is normalised by the biased variance 3.5
        assertEquals((1 - 3) / Math.sqrt(3.5 + 1e-5), y.getDouble(0, 0, 0, 0), 1e-12);
        bn.setTraining(false);
        INDArray yEval = bn.forward(x);
        assertEquals((1 - 0.3) / Math.sqrt(0.9 + 0.1 * 14.0 / 3.0 + 1e-5), yEval.getDouble(0, 0, 0, 0), 1e-12);
        assertEquals(0.3, bn.runningMean().getDouble(0), 1e-12); // evaluation leaves them alone
    }

    @Test
    void dropoutIsSeededScaledAndIdentityInEvaluation() {
        INDArray x = Nd4j.ones(DataType.DOUBLE, 4, 8, 16, 16); // 8192 elements
        Dropout a = new Dropout(0.25, 42);
        Dropout b = new Dropout(0.25, 42);
        INDArray ya = a.forward(x);
        INDArray yb = b.forward(x);
        assertEquals(ya, yb, "same seed, same mask");
        INDArray dX = a.backward(Nd4j.ones(DataType.DOUBLE, 4, 8, 16, 16).mul(2));
        assertEquals(ya.mul(2), dX, "x is all ones, so the mask is ya");
        assertTrue(!ya.equals(a.forward(x)), "the generator advances between calls");
        // kept values are exactly 1/(1-p); the kept fraction is 0.75 ± 4.5 standard deviations
        // (sd = sqrt(0.75·0.25/8192) ≈ 0.0048)
        double kept = ya.gt(0).castTo(DataType.DOUBLE).meanNumber().doubleValue();
        assertEquals(0.75, kept, 4.5 * 0.0048);
        assertEquals(1 / 0.75, ya.maxNumber().doubleValue(), 1e-12);
        a.setTraining(false);
        assertTrue(a.forward(x) == x);
        assertTrue(a.backward(x) == x);
    }

    @Test
    void dropoutBackwardUsesTheForwardMask() {
        Dropout d = new Dropout(0.5, 7);
        INDArray x = GradCheck.gaussian(new Random(1), DataType.DOUBLE, 2, 3, 4, 5);
        INDArray y = d.forward(x);
        INDArray mask = y.div(x);
        INDArray r = GradCheck.gaussian(new Random(2), DataType.DOUBLE, 2, 3, 4, 5);
        assertTrue(d.backward(r).equalsWithEps(r.mul(mask), 1e-12));
    }

    @Test
    void softmaxIsAlongChannelsInFloatAndDouble() {
        // ND4J's own softmax op went along the wrong axis for float32 4-d input; ours must agree across types.
        // float32 rounding of exp/log on O(1) values: 1e-6 relative is ample.
        INDArray x = GradCheck.gaussian(new Random(5), DataType.DOUBLE, 2, 3, 4, 5);
        INDArray pd = Softmax.apply(x);
        INDArray pf = Softmax.apply(x.castTo(DataType.FLOAT));
        assertTrue(pf.castTo(DataType.DOUBLE).equalsWithEps(pd, 1e-6));
        assertTrue(pd.sum(1).equalsWithEps(Nd4j.ones(DataType.DOUBLE, 2, 4, 5), 1e-12));
        double e0 = Math.exp(x.getDouble(1, 0, 2, 3));
        double e1 = Math.exp(x.getDouble(1, 1, 2, 3));
        double e2 = Math.exp(x.getDouble(1, 2, 2, 3));
        assertEquals(e1 / (e0 + e1 + e2), pd.getDouble(1, 1, 2, 3), 1e-12);
    }

    @Test
    void badInputNamesExpectedAndActualShapes() {
        ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.FLOAT);
        Conv2d conv = new Conv2d(b, "c", 3, 4, 3, new Random(1));
        BatchNorm2d bn = new BatchNorm2d(b, "bn", 4);
        ConvTranspose2x2 up = new ConvTranspose2x2(b, "up", 4, 2, new Random(1));
        b.build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> conv.forward(Nd4j.create(DataType.FLOAT, 1, 5, 8, 8)));
        assertTrue(e.getMessage().contains("[*, 3, *, *]") && e.getMessage().contains("[1, 5, 8, 8]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> conv.forward(Nd4j.create(DataType.FLOAT, 3, 8, 8)));
        assertTrue(e.getMessage().contains("[3, 8, 8]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> conv.forward(Nd4j.create(DataType.DOUBLE, 1, 3, 8, 8)));
        assertTrue(e.getMessage().contains("FLOAT") && e.getMessage().contains("DOUBLE"), e.getMessage());
        conv.forward(Nd4j.create(DataType.FLOAT, 2, 3, 8, 8));
        e = assertThrows(IllegalArgumentException.class, () -> conv.backward(Nd4j.create(DataType.FLOAT, 2, 4, 8, 7)));
        assertTrue(e.getMessage().contains("[2, 4, 8, 8]") && e.getMessage().contains("[2, 4, 8, 7]"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> bn.forward(Nd4j.create(DataType.FLOAT, 2, 3, 4, 4)));
        assertThrows(IllegalArgumentException.class, () -> up.forward(Nd4j.create(DataType.FLOAT, 2, 3, 4, 4)));
        assertThrows(IllegalArgumentException.class,
                () -> new MaxPool2x2().forward(Nd4j.create(DataType.FLOAT, 2, 3, 1, 4)));
        assertThrows(IllegalArgumentException.class, () -> new Concat().forward(
                Nd4j.create(DataType.FLOAT, 2, 3, 4, 4), Nd4j.create(DataType.FLOAT, 2, 3, 4, 5)));
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(
                ParameterBuffer.builder(DataType.FLOAT), "even", 3, 3, 2, new Random(1)));
    }
}
