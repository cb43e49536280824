package org.segmentation.nn.data;

import java.util.Random;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;

/** Small random samples for the tests of this package. */
final class TestSamples {
    private TestSamples() {
    }

    /** Uniform [0, 1) pixels and labels uniform in {@code 0..numLabels-1}, with instances = 10 * label. */
    static Sample random(Random rng, int channels, int width, int height, int numLabels) {
        PlanarF32 image = new PlanarF32(channels, width, height);
        for (int i = 0; i < image.data.length; i++) {
            image.data[i] = rng.nextFloat();
        }
        LabelMap target = new LabelMap(width, height);
        LabelMap instances = new LabelMap(width, height);
        for (int i = 0; i < target.data.length; i++) {
            target.data[i] = rng.nextInt(numLabels);
            instances.data[i] = 10 * target.data[i];
        }
        return new Sample(image, target, instances);
    }

    /**
     * Random pixels whose target and instance map are the threshold of channel 0 at 0.5 (labels 0/1 and 0/7),
     * so any geometric operation that moves image and maps together keeps them equal to the threshold.
     */
    static Sample thresholded(Random rng, int channels, int width, int height) {
        Sample s = random(rng, channels, width, height, 1);
        for (int i = 0; i < width * height; i++) {
            boolean on = s.image().data[i] > 0.5f;
            s.target().data[i] = on ? 1 : 0;
            s.instances().data[i] = on ? 7 : 0;
        }
        return s;
    }
}
