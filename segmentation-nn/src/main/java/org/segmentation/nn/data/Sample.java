package org.segmentation.nn.data;

import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;

/**
 * One training example: an image {@code (C,H,W)}, its per-pixel class target and, when the source has them,
 * instance labels.
 *
 * <p>Target labels are {@code 0..numClasses-1} (0 is the background class) or the dataset's ignore label.
 * Instance labels follow {@link LabelMap}'s convention: 0 background, 1..n instances. Samples handed out by a
 * dataset may be shared, so code that receives one treats its images as read-only; every augmentation in this
 * package returns new images.
 *
 * @param image the input, usually scaled to [0, 1]
 * @param target the class of every pixel, same width and height as {@code image}
 * @param instances instance ids, same shape, or {@code null} when the source has none
 */
public record Sample(PlanarF32 image, LabelMap target, LabelMap instances) {
    /**
     * @throws NullPointerException if {@code image} or {@code target} is null
     * @throws IllegalArgumentException if the target or instance map is not the image's width and height
     */
    public Sample {
        if (image == null || target == null) {
            throw new NullPointerException("a sample needs an image and a target; got image=" + image
                    + ", target=" + target);
        }
        image.checkSameShape(target, "target");
        if (instances != null) {
            image.checkSameShape(instances, "instance map");
        }
    }

    /** A sample without instance labels. */
    public Sample(PlanarF32 image, LabelMap target) {
        this(image, target, null);
    }

    /** Image width in pixels. */
    public int width() {
        return image.width;
    }

    /** Image height in pixels. */
    public int height() {
        return image.height;
    }

    /** Number of image channels. */
    public int channels() {
        return image.channels;
    }
}
