package org.segmentation.nn.model;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * The architecture of a {@link UNet} (Ronneberger, Fischer and Brox, "U-Net: Convolutional Networks for
 * Biomedical Image Segmentation", MICCAI 2015), with same padding so that the output has the input's size.
 *
 * <p>Level i (1..depth) of the encoder has {@code baseFilters·2^(i-1)} filters, the bottleneck
 * {@code baseFilters·2^depth}; the decoder mirrors the encoder.
 *
 * @param inputChannels image channels C, at least 1
 * @param classes number of classes including background, at least 2
 * @param depth number of 2×2 poolings, 1..8 (default 4); input sizes must be multiples of 2^depth
 * @param baseFilters filters of the first level, at least 1 (default 32); the bottleneck may have at most 65536
 * @param batchNorm a batch norm after every 3×3 convolution (default true)
 * @param dropout rate of the dropout after the bottleneck, in [0, 1) (default 0: none); its masks are seeded by
 *     the model's seed
 * @param upsampling how the decoder doubles the resolution (default {@link Upsampling#TRANSPOSED})
 * @param upKernel kernel of the convolution after bilinear upsampling, 1 or 3 (default 1); unused (but still
 *     validated) with transposed convolutions
 * @param head how logits become probabilities (default {@link Head#SOFTMAX})
 * @param dtype FLOAT or DOUBLE (default FLOAT); DOUBLE is for gradient checks
 */
public record UNetConfig(int inputChannels, int classes, int depth, int baseFilters, boolean batchNorm,
        double dropout, Upsampling upsampling, int upKernel, Head head, DataType dtype) {

    /** Default depth. */
    public static final int DEFAULT_DEPTH = 4;
    /** Default filters of the first level. */
    public static final int DEFAULT_BASE_FILTERS = 32;
    /** Largest supported depth. */
    public static final int MAX_DEPTH = 8;
    /** Largest supported number of bottleneck filters. */
    public static final int MAX_FILTERS = 1 << 16;

    /** How the decoder doubles the resolution. */
    public enum Upsampling {
        /** A learned 2×2 transposed convolution with stride 2 that also halves the channels. */
        TRANSPOSED,
        /** Bilinear ×2 (align_corners=False), then a {@code upKernel}×{@code upKernel} convolution halving the channels. */
        BILINEAR
    }

    /** How the model's logits become probabilities (the model itself always outputs logits). */
    public enum Head {
        /** One output channel, foreground probability = sigmoid(logit); needs {@code classes == 2}. */
        SIGMOID,
        /** {@code classes} output channels, probabilities = softmax over the channels. */
        SOFTMAX
    }

    /** Validates every field. */
    public UNetConfig {
        if (inputChannels < 1) {
            throw new IllegalArgumentException("inputChannels must be >= 1, got " + inputChannels);
        }
        if (classes < 2) {
            throw new IllegalArgumentException("classes must be >= 2 (background included), got " + classes);
        }
        if (depth < 1 || depth > MAX_DEPTH) {
            throw new IllegalArgumentException("depth must be in 1.." + MAX_DEPTH + ", got " + depth);
        }
        if (baseFilters < 1 || ((long) baseFilters << depth) > MAX_FILTERS) {
            throw new IllegalArgumentException("baseFilters must be >= 1 with baseFilters*2^depth <= " + MAX_FILTERS
                    + ", got baseFilters=" + baseFilters + " depth=" + depth);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        if (upsampling == null || head == null) {
            throw new IllegalArgumentException("upsampling and head must not be null");
        }
        if (upKernel != 1 && upKernel != 3) {
            throw new IllegalArgumentException("upKernel must be 1 or 3, got " + upKernel);
        }
        if (head == Head.SIGMOID && classes != 2) {
            throw new IllegalArgumentException("a SIGMOID head needs classes == 2, got " + classes);
        }
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("dtype must be FLOAT or DOUBLE, got " + dtype);
        }
    }

    /** A multi-class (softmax) U-Net with the defaults: depth 4, 32 base filters, batch norm, no dropout, FLOAT. */
    public static UNetConfig of(int inputChannels, int classes) {
        return new UNetConfig(inputChannels, classes, DEFAULT_DEPTH, DEFAULT_BASE_FILTERS, true, 0,
                Upsampling.TRANSPOSED, 1, Head.SOFTMAX, DataType.FLOAT);
    }

    /** A binary (sigmoid, one output channel) U-Net with the defaults of {@link #of}. */
    public static UNetConfig binary(int inputChannels) {
        return of(inputChannels, 2).withHead(Head.SIGMOID);
    }

    /** Output channels of the model: 1 for a sigmoid head, else {@link #classes()}. */
    public int outputChannels() {
        return head == Head.SIGMOID ? 1 : classes;
    }

    /** Input height and width must be multiples of this: 2^depth. */
    public int sizeMultiple() {
        return 1 << depth;
    }

    /** Filters of encoder level {@code level} (1..depth), or of the bottleneck for level depth + 1. */
    public int filters(int level) {
        return baseFilters << (level - 1);
    }

    public UNetConfig withDepth(int depth) {
        return new UNetConfig(inputChannels, classes, depth, baseFilters, batchNorm, dropout, upsampling, upKernel,
                head, dtype);
    }

    public UNetConfig withBaseFilters(int baseFilters) {
        return new UNetConfig(inputChannels, classes, depth, baseFilters, batchNorm, dropout, upsampling, upKernel,
                head, dtype);
    }

    public UNetConfig withBatchNorm(boolean batchNorm) {
        return new UNetConfig(inputChannels, classes, depth, baseFilters, batchNorm, dropout, upsampling, upKernel,
                head, dtype);
    }

    public UNetConfig withDropout(double dropout) {
        return new UNetConfig(inputChannels, classes, depth, baseFilters, batchNorm, dropout, upsampling, upKernel,
                head, dtype);
    }

    public UNetConfig withUpsampling(Upsampling upsampling, int upKernel) {
        return new UNetConfig(inputChannels, classes, depth, baseFilters, batchNorm, dropout, upsampling, upKernel,
                head, dtype);
    }

    public UNetConfig withHead(Head head) {
        return new UNetConfig(inputChannels, classes, depth, baseFilters, batchNorm, dropout, upsampling, upKernel,
                head, dtype);
    }

    public UNetConfig withDtype(DataType dtype) {
        return new UNetConfig(inputChannels, classes, depth, baseFilters, batchNorm, dropout, upsampling, upKernel,
                head, dtype);
    }
}
