package org.segmentation.nn.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.core.image.LabelMap;

/**
 * {@link MaskPaste} against torchvision 0.14's {@code paste_masks_in_image} (goldens from
 * src/test/python/make_detect_golden.py, float64): boxes inside the image, across its edges and under a pixel.
 * Tolerance 1e-12 relative (the same bilinear weights in double; only rounding differs). Then the label map on a
 * hand-made case.
 */
class MaskPasteTest {

    @Test
    void pasteEqualsTorchvision() {
        INDArray masks = BoxesTest.G.get("paste.masks", DataType.DOUBLE);
        double[] boxes = BoxesTest.d("paste.boxes");
        INDArray expected = BoxesTest.G.get("paste.out", DataType.DOUBLE);
        for (int i = 0; i < 6; i++) {
            double[] mask = masks.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).dup('c').reshape(-1)
                    .toDoubleVector();
            double[] out = MaskPaste.paste(mask, 28, boxes, i, 40, 50, null);
            double[] exp = expected.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).dup('c').reshape(-1)
                    .toDoubleVector();
            double err = BoxesTest.relError(out, exp);
            assertTrue(err < 1e-12, "mask " + i + " relative error " + err);
        }
    }

    @Test
    void labelMapGivesOverlapsToTheEarlierDetection() {
        double[] ones = new double[4];
        Arrays.fill(ones, 1);
        // two 2x2 all-ones masks on boxes [0,4]x[0,4] and [3,7]x[0,4] of a 6x8 image: their pasted masks overlap
        LabelMap l = MaskPaste.labelMap(new double[][] {ones, ones}, 2, new double[] {0, 0, 4, 4, 3, 0, 7, 4}, 6, 8,
                0.5);
        assertEquals(1, l.get(3, 2));   // claimed by detection 0 first
        assertEquals(2, l.get(6, 2));
        assertEquals(1, l.get(1, 1));
        assertEquals(0, l.get(0, 0));   // the zero padding fades the mask's outermost half cell below 0.5
        assertEquals(0, l.get(0, 5));   // below both boxes
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MaskPaste.labelMap(new double[][] {ones}, 2, new double[8], 6, 8, 0.5));
        assertTrue(e.getMessage().contains("expected 2 masks"), e.getMessage());
    }
}
