package org.segmentation.nn.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.nn.predict.InputNormalization;

/** Hand-checked cases of {@link MaskRCNNTransform}; its parity with torchvision is in {@link MaskRCNNTest}. */
class MaskRCNNTransformTest {
    @Test
    void anImageOfTheTargetSizeIsOnlyNormalisedAndPadded() {
        MaskRCNNTransform t = new MaskRCNNTransform(4, 8, new InputNormalization(1, new double[] {0.5}, new double[] {0.25}), 8);
        PlanarF32 img = new PlanarF32(1, 6, 4);   // 6 wide, 4 high: scale min(4/4, 8/6) = 1
        for (int i = 0; i < img.data.length; i++) {
            img.data[i] = i / 32f;
        }
        MaskRCNNTransform.Batch b = t.prepare(List.of(img), DataType.DOUBLE);
        assertArrayEquals(new long[] {1, 1, 8, 8}, b.tensor().shape());
        assertArrayEquals(new int[] {4, 6}, b.sizes()[0]);
        INDArray x = b.tensor();
        for (int y = 0; y < 8; y++) {
            for (int xx = 0; xx < 8; xx++) {
                double expected = y < 4 && xx < 6 ? ((y * 6 + xx) / 32.0 - 0.5) / 0.25 : 0;
                assertEquals(expected, x.getDouble(0, 0, y, xx), 1e-6, xx + "," + y);
            }
        }
    }

    @Test
    void halvingAveragesPixelPairsWithHalfPixelCentres() {
        // 2x downscale: output pixel d samples source (d + 0.5) * 2 - 0.5 = 2d + 0.5, the mean of pixels 2d, 2d+1
        MaskRCNNTransform t = new MaskRCNNTransform(2, 4, InputNormalization.unit(1), 1);
        PlanarF32 img = new PlanarF32(1, 4, 4);
        for (int i = 0; i < 16; i++) {
            img.data[i] = i;
        }
        MaskRCNNTransform.Batch b = t.prepare(List.of(img), DataType.DOUBLE);
        assertArrayEquals(new int[] {2, 2}, b.sizes()[0]);
        // rows 0-1, columns 0-1: (0 + 1 + 4 + 5) / 4
        assertEquals(2.5, b.tensor().getDouble(0, 0, 0, 0), 1e-12);
        assertEquals(12.5, b.tensor().getDouble(0, 0, 1, 1), 1e-12);
    }

    @Test
    void badSettingsAndImagesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new MaskRCNNTransform(0, 8, InputNormalization.unit(1),
                32));
        assertThrows(IllegalArgumentException.class, () -> new MaskRCNNTransform(8, 4, InputNormalization.unit(1),
                32));
        assertThrows(IllegalArgumentException.class, () -> new MaskRCNNTransform(4, 8, null, 32));
        // the limits, at their edges: 8192 x 8192 = 2^26 pixels and padding to 256 are the largest accepted
        assertEquals(8192, new MaskRCNNTransform(8192, 8192, InputNormalization.unit(1), 256).maxSize());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> new MaskRCNNTransform(8192, 8193, InputNormalization.unit(1), 32));
        assertEquals("MaskRCNNTransform: min_size 8192 x max_size 8193 = 67117056 pixels exceeds the limit of"
                + " 67108864 for a resized image", big.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MaskRCNNTransform(1, Integer.MAX_VALUE,
                InputNormalization.unit(1), 32));
        IllegalArgumentException pad = assertThrows(IllegalArgumentException.class,
                () -> new MaskRCNNTransform(8, 16, InputNormalization.unit(1), 257));
        assertEquals("MaskRCNNTransform: size_divisible 257 exceeds the limit of 256", pad.getMessage());
        MaskRCNNTransform t = MaskRCNNTransform.imagenet(32, 64);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.prepare(List.of(new PlanarF32(1, 8, 8)), DataType.FLOAT));
        assertTrue(e.getMessage().contains("image 0 has 1 channels, the transform 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.prepare(List.of(), DataType.FLOAT));
    }
}
