package org.segmentation.nn.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import org.segmentation.core.image.PlanarF32;

/** The one argmax, on probabilities and on logits. */
class LabelsOfTest {
    @Test
    void theFirstLargestChannelWinsAndOneChannelIsThresholded() {
        // 3 channels, 4 pixels: class 2, a tie of 0 and 1 (first wins), class 1, a three-way tie.
        PlanarF32 scores = PlanarF32.wrap(new float[] {
            0.1f, 0.4f, 0.2f, 0.3f,
            0.2f, 0.4f, 0.7f, 0.3f,
            0.7f, 0.2f, 0.1f, 0.3f}, 3, 4, 1);
        int[] expected = {2, 0, 1, 0};
        assertArrayEquals(expected, Predictor.labelsOf(scores).data);
        assertArrayEquals(expected, Predictor.labelsOfLogits(scores).data);

        PlanarF32 one = PlanarF32.wrap(new float[] {0.5f, 0.51f, -0.01f, 0f}, 1, 4, 1);
        assertArrayEquals(new int[] {0, 1, 0, 0}, Predictor.labelsOf(one).data, "P > 0.5");
        assertArrayEquals(new int[] {1, 1, 0, 0}, Predictor.labelsOfLogits(one).data, "logit > 0");
    }
}
