package org.segmentation.nn.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.segmentation.nn.testutil.GradCheck.TOLERANCE;
import static org.segmentation.nn.testutil.GradCheck.dot;
import static org.segmentation.nn.testutil.GradCheck.gaussian;
import static org.segmentation.nn.testutil.GradCheck.maxRelativeError;

import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.param.Parameter;

/** Structure, names and a whole-network finite-difference gradient check of {@link UNet}. */
class UNetTest {
    @Test
    void namesFollowThePyTorchModuleAndShapesTheConfig() {
        UNet m = new UNet(UNetConfig.of(3, 4).withDepth(2).withBaseFilters(4), 1);
        Set<String> names = m.parameters().parameters().stream().map(Parameter::name)
                .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(names.containsAll(List.of("down1.conv1.weight", "down1.bn1.weight", "down2.conv2.bias",
                "bottleneck.conv1.weight", "up1.up.weight", "up2.conv1.weight", "up2.bn2.bias", "head.weight")),
                names.toString());
        // 2 levels x 2 convs x (w, b) + BN (g, b) per conv, same for bottleneck and ups, ups add up.{w,b}, head 2
        assertEquals(2 * 8 + 8 + 2 * 10 + 2, names.size());
        assertTrue(m.buffers().containsKey("up1.bn2.running_var"));
        assertEquals(2 * 5 * 2, m.buffers().size());
        assertArrayEquals(new long[] {16, 8, 2, 2}, find(m, "up1.up.weight").shape()); // (C, C/2, 2, 2)
        assertArrayEquals(new long[] {4, 8, 3, 3}, find(m, "up2.conv1.weight").shape()); // concat 4 + 4 -> 4
        assertArrayEquals(new long[] {4, 4, 1, 1}, find(m, "head.weight").shape());
        assertEquals(4, m.sizeMultiple());

        UNet bil = new UNet(UNetConfig.binary(1).withDepth(2).withBaseFilters(4).withBatchNorm(false)
                .withUpsampling(UNetConfig.Upsampling.BILINEAR, 3), 1);
        assertArrayEquals(new long[] {8, 16, 3, 3}, find(bil, "up1.up.weight").shape());
        assertEquals(0, bil.buffers().size());
        assertEquals(1, bil.outputChannels());
        INDArray y = bil.forward(gaussian(new Random(1), DataType.FLOAT, 2, 1, 12, 8));
        assertArrayEquals(new long[] {2, 1, 12, 8}, y.shape());
    }

    @Test
    void badInputsNameExpectedAndActualShapes() {
        UNet m = new UNet(UNetConfig.of(2, 3).withDepth(2).withBaseFilters(2), 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.forward(gaussian(new Random(1), DataType.FLOAT, 1, 2, 10, 8)));
        assertTrue(e.getMessage().contains("[1, 2, 10, 8]") && e.getMessage().contains("4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> m.forward(gaussian(new Random(1), DataType.FLOAT, 1, 3, 8, 8)));
        assertTrue(e.getMessage().contains("[1, 3, 8, 8]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> UNetConfig.of(1, 3).withHead(UNetConfig.Head.SIGMOID));
        assertThrows(IllegalArgumentException.class, () -> UNetConfig.of(1, 2).withDepth(0));
        assertThrows(IllegalArgumentException.class, () -> UNetConfig.of(1, 2).withDropout(1.0));
        assertThrows(IllegalArgumentException.class, () -> UNetConfig.of(1, 2).withDtype(DataType.HALF));
        assertThrows(IllegalArgumentException.class,
                () -> UNetConfig.of(1, 2).withUpsampling(UNetConfig.Upsampling.BILINEAR, 2));
    }

    /**
     * The whole network, training mode (batch statistics), both up-sampling modes, in double precision: the
     * input gradient and parameter tensors of every kind against central differences (GradCheck: h = 1e-6,
     * relative tolerance 1e-6; a wrong term shows at 1e-2). Dropout stays 0: its masks change between
     * evaluations. The checks are few because each element costs two forward passes.
     */
    @Test
    void gradientsMatchFiniteDifferences() {
        for (UNetConfig.Upsampling mode : UNetConfig.Upsampling.values()) {
            UNetConfig cfg = UNetConfig.of(1, 3).withDepth(2).withBaseFilters(2).withDtype(DataType.DOUBLE)
                    .withUpsampling(mode, 3);
            UNet m = new UNet(cfg, 7);
            Random rng = new Random(3);
            INDArray x = gaussian(rng, DataType.DOUBLE, 2, 1, 4, 4);   // bottleneck 1x1: two values per channel
            INDArray r = gaussian(rng, DataType.DOUBLE, 2, 3, 4, 4);
            m.forward(x);
            m.parameters().zeroGradients();
            INDArray dX = m.backwardInput(r);
            if (mode == UNetConfig.Upsampling.TRANSPOSED) {
                double err = maxRelativeError(() -> dot(m.forward(x), r), x, dX);
                assertTrue(err < TOLERANCE, mode + " dX relative error " + err);
            }
            // The input gradient runs through every block and skip; with bilinear up-sampling, down2.bn2.bias
            // gets its gradient through the skip and through the bilinear backward of up1. Parameters: one of each
            // kind, small tensors (each element costs two forward passes). Not a conv bias followed by a batch
            // norm in training mode: its gradient is exactly 0 and the relative error of rounding noise is
            // meaningless.
            List<String> names = mode == UNetConfig.Upsampling.TRANSPOSED
                    ? List.of("down1.conv1.weight", "down2.bn2.bias", "up1.up.bias", "head.bias")
                    : List.of("down2.bn2.bias", "up1.up.bias", "up2.bn1.weight");
            for (String name : names) {
                Parameter p = find(m, name);
                INDArray analytic = p.grad().dup();
                double e = maxRelativeError(() -> dot(m.forward(x), r), p.value(), analytic);
                assertTrue(e < TOLERANCE, mode + " d" + name + " relative error " + e);
            }
        }
    }

    /** Dropout (after the bottleneck) masks in training mode only, reproducibly for a given seed. */
    @Test
    void dropoutActsInTrainingModeOnlyAndIsSeeded() {
        UNetConfig cfg = UNetConfig.of(1, 2).withDepth(1).withBaseFilters(2).withBatchNorm(false).withDropout(0.5);
        INDArray x = gaussian(new Random(2), DataType.FLOAT, 1, 1, 8, 8);
        UNet a = new UNet(cfg, 3);
        UNet b = new UNet(cfg, 3);
        INDArray a1 = a.forward(x).dup();
        INDArray a2 = a.forward(x).dup();
        assertTrue(a1.sub(a2).amaxNumber().doubleValue() > 1e-4, "two training passes drew the same mask");
        assertEquals(a1, b.forward(x), "same seed, same first mask");
        // The trainer reseeds before every step so that a resumed run draws the same masks.
        a.reseed(3);
        assertEquals(a1, a.forward(x), "reseeding with the construction seed repeats the first mask");
        a.reseed(4);
        assertTrue(a1.sub(a.forward(x)).amaxNumber().doubleValue() > 1e-4, "another seed, another mask");
        a.setTraining(false);
        assertEquals(a.forward(x), a.forward(x));
    }

    static Parameter find(UNet m, String name) {
        return m.parameters().parameters().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no parameter " + name));
    }
}
