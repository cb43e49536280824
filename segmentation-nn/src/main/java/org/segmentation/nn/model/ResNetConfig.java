package org.segmentation.nn.model;

import java.util.Arrays;

/**
 * The shape of a {@link ResNet} (He et al., Deep Residual Learning, 2016), in torchvision's {@code resnet.py}
 * terms: a stem (7×7/2 convolution of {@code stemWidth} channels, batch norm, ReLU, 3×3/2 max pooling), then
 * stages of residual blocks, stage i with {@code blocks[i]} blocks of {@code widths[i]} channels (times 4 at the
 * output of a bottleneck block), the first block of every stage but the first with stride 2.
 *
 * @param block basic (two 3×3 convolutions) or bottleneck (1×1, 3×3, 1×1; the stride on the 3×3 as in
 *     torchvision)
 * @param blocks blocks per stage, each in 1..{@link #MAX_BLOCKS}; four stages for an FPN's C2..C5
 * @param widths channels per stage (before the bottleneck's ×4), each positive
 * @param stemWidth channels of the stem, positive
 * @param inputChannels image channels, positive
 */
public record ResNetConfig(Block block, int[] blocks, int[] widths, int stemWidth, int inputChannels) {
    /**
     * Most blocks per stage: ResNet-152 has 36, the 1202-layer CIFAR ResNet 200. A hand-edited count of a million
     * one-channel blocks would otherwise build millions of layers before the weights are compared.
     */
    public static final int MAX_BLOCKS = 1024;

    /** The residual block type and its output expansion. */
    public enum Block {
        BASIC(1), BOTTLENECK(4);

        private final int expansion;

        Block(int expansion) {
            this.expansion = expansion;
        }

        /** Output channels over the stage width: 1 for basic, 4 for bottleneck blocks. */
        public int expansion() {
            return expansion;
        }
    }

    public ResNetConfig {
        if (block == null || blocks == null || widths == null || blocks.length == 0
                || blocks.length != widths.length) {
            throw new IllegalArgumentException("ResNetConfig: expected a block type and as many stage widths as"
                    + " stages (>= 1), got " + block + ", blocks " + Arrays.toString(blocks) + ", widths "
                    + Arrays.toString(widths));
        }
        blocks = blocks.clone();
        widths = widths.clone();
        for (int i = 0; i < blocks.length; i++) {
            if (blocks[i] < 1 || blocks[i] > MAX_BLOCKS || widths[i] < 1) {
                throw new IllegalArgumentException("ResNetConfig: stage " + i + " needs 1.." + MAX_BLOCKS
                        + " blocks of at least one channel, got " + blocks[i] + " blocks of " + widths[i]);
            }
        }
        if (stemWidth < 1 || inputChannels < 1) {
            throw new IllegalArgumentException("ResNetConfig: stem width and input channels must be positive, got "
                    + stemWidth + " and " + inputChannels);
        }
    }

    /** torchvision's ResNet-18: basic blocks 2, 2, 2, 2 of 64, 128, 256, 512 channels; 11.2 M parameters. */
    public static ResNetConfig resnet18(int inputChannels) {
        return new ResNetConfig(Block.BASIC, new int[] {2, 2, 2, 2}, new int[] {64, 128, 256, 512}, 64,
                inputChannels);
    }

    /** torchvision's ResNet-50: bottleneck blocks 3, 4, 6, 3 of 64 .. 512 (×4) channels; 23.5 M parameters. */
    public static ResNetConfig resnet50(int inputChannels) {
        return new ResNetConfig(Block.BOTTLENECK, new int[] {3, 4, 6, 3}, new int[] {64, 128, 256, 512}, 64,
                inputChannels);
    }

    /**
     * A small network that trains on a few CPU cores: one basic block per stage of 16, 32, 64, 128 channels and a
     * 16-channel stem; 0.31 M parameters.
     */
    public static ResNetConfig small(int inputChannels) {
        return new ResNetConfig(Block.BASIC, new int[] {1, 1, 1, 1}, new int[] {16, 32, 64, 128}, 16,
                inputChannels);
    }

    public int stages() {
        return blocks.length;
    }

    /** Channels at the output of stage i. */
    public int outChannels(int stage) {
        return widths[stage] * block.expansion();
    }

    /** Total stride at the output of stage i: 4 for the first (stem), doubling per stage. */
    public int stride(int stage) {
        return 4 << stage;
    }

    @Override
    public int[] blocks() {
        return blocks.clone();
    }

    @Override
    public int[] widths() {
        return widths.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResNetConfig c && block == c.block && Arrays.equals(blocks, c.blocks)
                && Arrays.equals(widths, c.widths) && stemWidth == c.stemWidth && inputChannels == c.inputChannels;
    }

    @Override
    public int hashCode() {
        return ((block.hashCode() * 31 + Arrays.hashCode(blocks)) * 31 + Arrays.hashCode(widths)) * 31
                + stemWidth * 7 + inputChannels;
    }

    @Override
    public String toString() {
        return "ResNetConfig[" + block + ", blocks=" + Arrays.toString(blocks) + ", widths=" + Arrays.toString(widths)
                + ", stem=" + stemWidth + ", in=" + inputChannels + "]";
    }
}
