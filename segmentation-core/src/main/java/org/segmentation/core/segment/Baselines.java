package org.segmentation.core.segment;

import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;

/**
 * Trivial segmenters that every evaluation should include as the floor the real algorithms must beat. Their
 * names start with {@code baseline-}.
 */
public final class Baselines {
    /** Name of {@link #meanThreshold()}. */
    public static final String MEAN_THRESHOLD = "baseline-mean-threshold";
    /** Name of {@link #allBackground()}. */
    public static final String ALL_BACKGROUND = "baseline-background";

    private Baselines() {
    }

    /**
     * Foreground where the 8-bit gray value is above the image's mean gray value: the simplest global
     * threshold, for bright objects on a dark background. Output {@link Segmenter.Output#FOREGROUND}, labels 0
     * and 1. A constant image has no pixel above its mean and is all background.
     */
    public static Segmenter meanThreshold() {
        return Segmenter.of(MEAN_THRESHOLD, Segmenter.Output.FOREGROUND, input -> {
            GrayU8 gray = input.gray();
            int w = gray.width;
            int h = gray.height;
            long sum = 0;
            for (int y = 0; y < h; y++) {
                int row = gray.startIndex + y * gray.stride;
                for (int x = 0; x < w; x++) {
                    sum += gray.data[row + x] & 0xFF;
                }
            }
            // v > sum / n, compared exactly in integers.
            long n = (long) w * h;
            LabelMap out = new LabelMap(w, h);
            for (int y = 0; y < h; y++) {
                int row = gray.startIndex + y * gray.stride;
                for (int x = 0; x < w; x++) {
                    out.data[y * w + x] = (gray.data[row + x] & 0xFF) * n > sum ? 1 : 0;
                }
            }
            return out;
        });
    }

    /**
     * Class 0 (background) everywhere. Output {@link Segmenter.Output#CLASSES}; its pixel accuracy is the
     * background fraction of the dataset, the score of always guessing the majority class when that is the
     * background.
     */
    public static Segmenter allBackground() {
        return Segmenter.of(ALL_BACKGROUND, Segmenter.Output.CLASSES,
                input -> new LabelMap(input.width(), input.height()));
    }
}
