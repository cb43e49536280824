package org.segmentation.core.metrics;

import java.util.Random;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

/** Small random test images, returned as views into a larger array so that stride handling is exercised too. */
final class RandomLabels {
    private RandomLabels() {
    }

    /** Labels in {@code 0..maxLabel}, blocky (runs of equal labels) so that regions and boundaries form. */
    static LabelMap labels(Random rnd, int w, int h, int maxLabel) {
        LabelMap big = new LabelMap(w + 3, h + 2);
        big.fill(-7); // outside the view: must never be read
        LabelMap m = big.subimage(2, 1, w + 2, h + 1);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean copy = rnd.nextInt(3) > 0;
                int v;
                if (copy && x > 0) {
                    v = m.get(x - 1, y);
                } else if (copy && y > 0) {
                    v = m.get(x, y - 1);
                } else {
                    v = rnd.nextInt(maxLabel + 1);
                }
                m.set(x, y, v);
            }
        }
        return m;
    }

    static Mask mask(Random rnd, int w, int h, double density) {
        Mask big = new Mask(w + 2, h + 3);
        big.fill(true);
        Mask m = big.subimage(1, 2, w + 1, h + 2);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                m.set(x, y, rnd.nextDouble() < density);
            }
        }
        return m;
    }
}
