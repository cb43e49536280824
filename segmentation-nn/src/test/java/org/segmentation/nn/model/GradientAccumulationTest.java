package org.segmentation.nn.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.segmentation.nn.testutil.GradCheck.gaussian;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The {@link SegmentationModel} contract that backward adds into the parameter gradients: two forward/backward
 * passes of the same batch without zeroing give twice the gradient of one, for every parameter (batch norm in
 * training mode sees the same batch statistics both times).
 */
class GradientAccumulationTest {
    @Test
    void backwardTwiceGivesTwiceTheGradient() {
        for (UNetConfig.Upsampling up : UNetConfig.Upsampling.values()) {
            UNet net = new UNet(UNetConfig.of(2, 3).withDepth(2).withBaseFilters(4).withUpsampling(up,
                    up == UNetConfig.Upsampling.BILINEAR ? 3 : 1).withDtype(DataType.DOUBLE), 5);
            net.setTraining(true);
            Random rnd = new Random(11);
            INDArray x = gaussian(rnd, DataType.DOUBLE, 2, 2, 8, 12);
            INDArray dLogits = gaussian(rnd, DataType.DOUBLE, 2, 3, 8, 12);

            net.parameters().zeroGradients();
            net.forward(x.dup());
            net.backward(dLogits.dup());
            INDArray once = net.parameters().gradients().dup();

            net.parameters().zeroGradients();
            for (int pass = 0; pass < 2; pass++) {
                net.forward(x.dup());
                net.backward(dLogits.dup());
            }
            INDArray twice = net.parameters().gradients();

            assertTrue(once.norm2Number().doubleValue() > 0, "a non-zero gradient to compare");
            assertEquals(once.length(), twice.length());
            // Double precision, the same arithmetic twice: equal to rounding (relative 1e-12 of the largest entry).
            double scale = once.amaxNumber().doubleValue();
            double maxDiff = twice.sub(once.mul(2)).amaxNumber().doubleValue();
            assertTrue(maxDiff <= 1e-12 * scale, up + ": |twice - 2 once| = " + maxDiff + " (scale " + scale + ")");
        }
    }
}
