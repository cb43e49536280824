package org.segmentation.nn.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.segment.InstanceSegmentation;
import org.segmentation.nn.predict.InputNormalization;

/**
 * What torchvision's {@code GeneralizedRCNNTransform} does around a Mask R-CNN at inference: each image is
 * normalised per channel, {@code (x − mean[c]) / std[c]}, then resized bilinearly (half-pixel centres, PyTorch's
 * {@code align_corners=False}) by the factor {@code s = min(minSize / min(H, W), maxSize / max(H, W))} to
 * {@code floor(H·s) × floor(W·s)} pixels, and the batch is zero-padded at the bottom and right to the largest
 * height and width rounded up to a multiple of {@code sizeDivisible}. After detection, boxes are scaled back by
 * original / resized size per axis and the masks are pasted into the original image. In training, the targets'
 * boxes and masks are resized with their images ({@link #targets}). The training-time choice among several
 * {@code min_size}s (torchvision's multi-scale augmentation) is not done here: one {@code minSize}.
 *
 * @param minSize the target of the shorter side (torchvision's {@code min_size}, 800 for its COCO models)
 * @param maxSize the cap of the longer side ({@code max_size}, 1333)
 * @param input the per-channel mean and std (ImageNet's for torchvision's models), applied in double precision
 *     before the network's dtype, so that a float64 model sees torchvision's float64 normalisation
 * @param sizeDivisible the padded batch's height and width are multiples of this (32)
 */
public record MaskRCNNTransform(int minSize, int maxSize, InputNormalization input, int sizeDivisible) {
    /**
     * The most pixels {@code minSize × maxSize} may reach: a resized image's shorter side is at most {@code minSize}
     * and its longer at most {@code maxSize}, so this bounds the image the network sees whatever the input's size.
     * Four times the images' default pixel limit ({@code ImageFiles.DEFAULT_MAX_PIXELS}, 2^24), so that a model
     * trained on images read with a raised limit still loads; torchvision's 800 × 1333 is about 1/63 of it.
     */
    public static final long MAX_RESIZED_PIXELS = 1L << 26;
    /** The largest {@code sizeDivisible} (torchvision pads to 32; the coarsest pyramid level has stride 64). */
    public static final int MAX_SIZE_DIVISIBLE = 256;

    /**
     * @throws IllegalArgumentException if a size is not positive, minSize exceeds maxSize, minSize × maxSize
     *     exceeds {@link #MAX_RESIZED_PIXELS} or sizeDivisible exceeds {@link #MAX_SIZE_DIVISIBLE}; checked before
     *     anything is allocated, so that a hand-edited {@code config.json} is refused instead of running out of
     *     memory (the messages use the names of the saved fields)
     */
    public MaskRCNNTransform {
        if (minSize < 1 || maxSize < minSize || sizeDivisible < 1 || input == null) {
            throw new IllegalArgumentException("MaskRCNNTransform: expected 1 <= minSize <= maxSize,"
                    + " sizeDivisible >= 1 and a normalisation, got " + minSize + ", " + maxSize + ", "
                    + sizeDivisible + ", " + input);
        }
        if ((long) minSize * maxSize > MAX_RESIZED_PIXELS) {
            throw new IllegalArgumentException("MaskRCNNTransform: min_size " + minSize + " x max_size " + maxSize
                    + " = " + (long) minSize * maxSize + " pixels exceeds the limit of " + MAX_RESIZED_PIXELS
                    + " for a resized image");
        }
        if (sizeDivisible > MAX_SIZE_DIVISIBLE) {
            throw new IllegalArgumentException("MaskRCNNTransform: size_divisible " + sizeDivisible
                    + " exceeds the limit of " + MAX_SIZE_DIVISIBLE);
        }
    }

    /** torchvision's settings for its ImageNet-initialised models, with the given sizes and padding to 32. */
    public static MaskRCNNTransform imagenet(int minSize, int maxSize) {
        return new MaskRCNNTransform(minSize, maxSize, new InputNormalization(3, new double[] {0.485, 0.456, 0.406},
                new double[] {0.229, 0.224, 0.225}), 32);
    }

    /**
     * The network's input for a batch of images.
     *
     * @param tensor (N, C, H, W), the padded batch
     * @param sizes per image, its height and width after resizing (before padding)
     * @param originalSizes per image, its height and width as given
     */
    public record Batch(INDArray tensor, int[][] sizes, int[][] originalSizes) {
    }

    /**
     * Normalises, resizes and pads images (the normalisation's channels, any sizes).
     *
     * @throws IllegalArgumentException if there is no image or an image has another channel count
     */
    public Batch prepare(List<PlanarF32> images, DataType dtype) {
        if (images == null || images.isEmpty()) {
            throw new IllegalArgumentException("MaskRCNNTransform.prepare: no image");
        }
        int c = input.channels();
        double[] mean = input.mean();
        double[] std = input.std();
        int n = images.size();
        int[][] sizes = new int[n][];
        int[][] originals = new int[n][];
        List<double[]> resized = new ArrayList<>();
        int maxH = 0;
        int maxW = 0;
        for (int i = 0; i < n; i++) {
            PlanarF32 img = images.get(i);
            if (img.channels != c) {
                throw new IllegalArgumentException("MaskRCNNTransform.prepare: image " + i + " has " + img.channels
                        + " channels, the transform " + c);
            }
            int h = img.height;
            int w = img.width;
            // in float32, as torchvision computes it: the floor of a size times a float32 factor can differ
            float s = Math.min((float) minSize / Math.min(h, w), (float) maxSize / Math.max(h, w));
            int oh = (int) Math.floor(h * (double) s);
            int ow = (int) Math.floor(w * (double) s);
            originals[i] = new int[] {h, w};
            sizes[i] = new int[] {oh, ow};
            double[] out = new double[c * oh * ow];
            double[] plane = new double[h * w];
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        plane[y * w + x] = (img.get(ch, x, y) - mean[ch]) / std[ch];
                    }
                }
                resizeBilinear(plane, h, w, out, ch * oh * ow, oh, ow);
            }
            resized.add(out);
            maxH = Math.max(maxH, oh);
            maxW = Math.max(maxW, ow);
        }
        int ph = (maxH + sizeDivisible - 1) / sizeDivisible * sizeDivisible;
        int pw = (maxW + sizeDivisible - 1) / sizeDivisible * sizeDivisible;
        double[] batch = new double[n * c * ph * pw];
        for (int i = 0; i < n; i++) {
            int oh = sizes[i][0];
            int ow = sizes[i][1];
            double[] r = resized.get(i);
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < oh; y++) {
                    System.arraycopy(r, (ch * oh + y) * ow, batch, ((i * c + ch) * ph + y) * pw, ow);
                }
            }
        }
        INDArray tensor = Nd4j.create(batch, new long[] {n, c, ph, pw}, 'c').castTo(dtype);
        return new Batch(tensor, sizes, originals);
    }

    /**
     * The training targets of a prepared batch: each image's boxes scaled by resized / original size per axis (the
     * ratio in float32, as torchvision's {@code resize_boxes}), its masks resized to the image's resized size by
     * nearest neighbour (PyTorch's {@code interpolate(mode='nearest')}: source index floor(d · in/out), the ratio
     * in float32), unpadded.
     *
     * @throws IllegalArgumentException if a target's masks are not of its original image's size
     */
    public List<MaskRCNN.Target> targets(List<MaskRCNN.Target> originals, Batch batch) {
        if (originals.size() != batch.sizes().length) {
            throw new IllegalArgumentException("MaskRCNNTransform.targets: " + originals.size() + " targets for "
                    + batch.sizes().length + " images");
        }
        List<MaskRCNN.Target> out = new ArrayList<>();
        for (int i = 0; i < originals.size(); i++) {
            MaskRCNN.Target t = originals.get(i);
            int h = batch.originalSizes()[i][0];
            int w = batch.originalSizes()[i][1];
            int oh = batch.sizes()[i][0];
            int ow = batch.sizes()[i][1];
            if (t.masks().size(1) != h || t.masks().size(2) != w) {
                throw new IllegalArgumentException("MaskRCNNTransform.targets: image " + i + " is " + w + "x" + h
                        + ", its masks " + t.masks().size(2) + "x" + t.masks().size(1));
            }
            double ry = (float) oh / (float) h;
            double rx = (float) ow / (float) w;
            double[] boxes = t.boxes().clone();
            for (int k = 0; k < boxes.length; k += 4) {
                boxes[k] *= rx;
                boxes[k + 1] *= ry;
                boxes[k + 2] *= rx;
                boxes[k + 3] *= ry;
            }
            int g = t.labels().length;
            float sy = (float) h / oh;
            float sx = (float) w / ow;
            int[] srcX = new int[ow];
            for (int x = 0; x < ow; x++) {
                srcX[x] = Math.min((int) Math.floor(x * sx), w - 1);
            }
            double[] m = t.masks().castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] r = new double[g * oh * ow];
            for (int k = 0; k < g; k++) {
                for (int y = 0; y < oh; y++) {
                    int sy0 = Math.min((int) Math.floor(y * sy), h - 1);
                    for (int x = 0; x < ow; x++) {
                        r[(k * oh + y) * ow + x] = m[(k * h + sy0) * w + srcX[x]];
                    }
                }
            }
            INDArray masks = g == 0 ? Nd4j.zeros(t.masks().dataType(), 0, oh, ow)
                    : Nd4j.create(r, new long[] {g, oh, ow}, 'c').castTo(t.masks().dataType());
            out.add(new MaskRCNN.Target(boxes, t.labels().clone(), masks));
        }
        return out;
    }

    /**
     * Bilinear resampling with half-pixel centres (PyTorch's {@code interpolate(mode='bilinear',
     * align_corners=False)} with the output size given): source coordinate {@code (d + 0.5)·in/out − 0.5},
     * clamped at 0, between the two nearest pixels (the last one repeated at the far edge).
     */
    static void resizeBilinear(double[] src, int h, int w, double[] dst, int offset, int oh, int ow) {
        double sy = (double) h / oh;
        double sx = (double) w / ow;
        int[] x0 = new int[ow];
        int[] x1 = new int[ow];
        double[] lx = new double[ow];
        for (int x = 0; x < ow; x++) {
            double fx = Math.max((x + 0.5) * sx - 0.5, 0);
            x0[x] = (int) fx;
            x1[x] = x0[x] < w - 1 ? x0[x] + 1 : x0[x];
            lx[x] = fx - x0[x];
        }
        for (int y = 0; y < oh; y++) {
            double fy = Math.max((y + 0.5) * sy - 0.5, 0);
            int y0 = (int) fy;
            int y1 = y0 < h - 1 ? y0 + 1 : y0;
            double ly = fy - y0;
            for (int x = 0; x < ow; x++) {
                double top = (1 - lx[x]) * src[y0 * w + x0[x]] + lx[x] * src[y0 * w + x1[x]];
                double bottom = (1 - lx[x]) * src[y1 * w + x0[x]] + lx[x] * src[y1 * w + x1[x]];
                dst[offset + y * ow + x] = (1 - ly) * top + ly * bottom;
            }
        }
    }

    /**
     * The detections of a prepared batch in the original images: boxes scaled by original / resized size per
     * axis, masks pasted into the original size and thresholded ({@link MaskRCNN.Instances#segmentation}).
     *
     * @param threshold mask probability above which a pixel belongs to an instance (0.5)
     */
    public List<InstanceSegmentation> restore(List<MaskRCNN.Instances> detections, Batch batch, double threshold) {
        if (detections.size() != batch.sizes().length) {
            throw new IllegalArgumentException("MaskRCNNTransform.restore: " + detections.size() + " results for "
                    + batch.sizes().length + " images");
        }
        List<InstanceSegmentation> out = new ArrayList<>();
        for (int i = 0; i < detections.size(); i++) {
            MaskRCNN.Instances d = detections.get(i);
            double ry = (double) batch.originalSizes()[i][0] / batch.sizes()[i][0];
            double rx = (double) batch.originalSizes()[i][1] / batch.sizes()[i][1];
            double[] boxes = d.boxes().clone();
            for (int k = 0; k < boxes.length; k += 4) {
                boxes[k] *= rx;
                boxes[k + 1] *= ry;
                boxes[k + 2] *= rx;
                boxes[k + 3] *= ry;
            }
            out.add(new MaskRCNN.Instances(boxes, d.scores(), d.labels(), d.maskProbabilities())
                    .segmentation(batch.originalSizes()[i][0], batch.originalSizes()[i][1], threshold));
        }
        return out;
    }

    /** Prepare, predict and restore: the instances of each image, in its own size. */
    public List<InstanceSegmentation> segment(MaskRCNN model, List<PlanarF32> images, double threshold) {
        Batch b = prepare(images, model.config().dtype());
        return restore(model.predict(b.tensor(), b.sizes()), b, threshold);
    }
}
