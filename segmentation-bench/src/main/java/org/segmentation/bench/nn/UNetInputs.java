package org.segmentation.bench.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.bench.conv.ConvInputs;
import org.segmentation.core.io.NpyArray;
import org.segmentation.core.io.NpyFiles;
import org.segmentation.nn.Memory;
import org.segmentation.nn.loss.LossResult;
import org.segmentation.nn.loss.SoftmaxCrossEntropy;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;

/**
 * The model and the batches of the U-Net workloads, shared by {@link UNetBenchmark} and the PyTorch peer: the
 * experiment's architecture ({@link #config()}), initial weights from {@link #SEED}, images (N,1,H,W) uniform in
 * [0,1) and labels (N,H,W) {@code min(2, floor(3·pixel))} from a seeded {@link Random}.
 *
 * <p>The peer reads {@code unet_model/} ({@code config.json} + {@code model.safetensors}, written by
 * {@link UNet#save}) so that both sides start from the same weights, and {@code unet_b<N>_s<H>_x.npy} and
 * {@code _labels.npy}.
 */
public final class UNetInputs {
    /** Seed of the initial weights and of the batch. */
    public static final long SEED = 7;
    /** Folder of the saved initial model under the inputs folder. */
    public static final String MODEL_DIR = "unet_model";
    /** Adam's learning rate on both sides (betas 0.9, 0.999, eps 1e-8, no weight decay: PyTorch's defaults). */
    public static final double LEARNING_RATE = 1e-3;

    private UNetInputs() {
    }

    /**
     * The U-Net of the experiments: 1 input channel, 3 classes, depth 3, 16 base filters, batch norm, 2×2
     * transposed-convolution up-sampling, softmax head, float32.
     */
    public static UNetConfig config() {
        return UNetConfig.of(1, 3).withDepth(3).withBaseFilters(16);
    }

    /** Images (N,1,H,W) row-major, uniform in [0,1). */
    public static float[] images(int batch, int size) {
        Random rng = new Random(SEED);
        float[] x = new float[Math.multiplyExact(batch, size * size)];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextFloat();
        }
        return x;
    }

    /** Labels (N,H,W) of {@link #images}: class {@code min(2, floor(3·pixel))}. */
    public static int[] labels(float[] images) {
        int[] y = new int[images.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = Math.min(2, (int) (3 * images[i]));
        }
        return y;
    }

    /** File name prefix of a batch: {@code unet_b<N>_s<H>}; the peer builds the same. */
    public static String prefix(int batch, int size) {
        return String.format(Locale.ROOT, "unet_b%d_s%d", batch, size);
    }

    /** Writes the model (once per call, replacing it) and the batch's two {@code .npy} files into {@code dir}. */
    public static void write(int batch, int size, Path dir) throws IOException {
        Files.createDirectories(dir);
        new UNet(config(), SEED).save(dir.resolve(MODEL_DIR));
        float[] x = images(batch, size);
        NpyFiles.write(NpyArray.float32(x, batch, 1, size, size), dir.resolve(prefix(batch, size) + "_x.npy"));
        NpyFiles.write(NpyArray.int32(labels(x), batch, size, size), dir.resolve(prefix(batch, size)
                + "_labels.npy"));
    }

    /**
     * Our check value of a training step: {@code [loss, sum|logits|]} of the first step's forward pass (training
     * mode, so batch norm uses the batch's statistics) from the initial weights, each to 4 significant digits
     * ({@link ConvInputs#digits}).
     */
    public static List<String> trainCheck(int batch, int size) {
        UNet model = new UNet(config(), SEED);
        model.setTraining(true);
        float[] x = images(batch, size);
        INDArray images = Nd4j.create(x, new long[] {batch, 1, size, size}, DataType.FLOAT);
        INDArray labels = Nd4j.createFromArray(labels(x)).reshape(batch, size, size);
        INDArray logits = model.forward(images);
        try (MemoryWorkspace ignored = Memory.scratch()) {
            LossResult r = new SoftmaxCrossEntropy().compute(logits, labels);
            return List.of(ConvInputs.digits(r.loss()), ConvInputs.digits(ConvInputs.absSum(logits)));
        } finally {
            Memory.free(logits);
        }
    }

    /** Our check value of inference: {@code [sum|logits|]} in evaluation mode from the initial weights. */
    public static List<String> inferenceCheck(int batch, int size) {
        UNet model = new UNet(config(), SEED);
        model.setTraining(false);
        INDArray images = Nd4j.create(images(batch, size), new long[] {batch, 1, size, size}, DataType.FLOAT);
        INDArray logits = model.forward(images);
        try (MemoryWorkspace ignored = Memory.scratch()) {
            return List.of(ConvInputs.digits(ConvInputs.absSum(logits)));
        } finally {
            Memory.free(logits);
        }
    }

    /**
     * Floating-point operations of one forward pass, counting only the convolutions (2 per multiply-add; batch
     * norm, ReLU, pooling, concatenation and biases are left out): a k×k convolution from C to K channels at
     * H×W is 2·N·C·K·k²·H·W, the 2×2 stride-2 transposed convolution from C channels at h×w to K channels at
     * 2h×2w is 2·N·C·K·4·h·w, the head a 1×1 convolution. A training step is about 3 times this (backward-data
     * and backward-weights each cost about a forward).
     */
    public static double forwardFlops(UNetConfig c, int batch, int height, int width) {
        double flops = 0;
        double pixels = (double) height * width;
        int in = c.inputChannels();
        for (int level = 1; level <= c.depth(); level++) {
            int f = c.filters(level);
            flops += conv(in, f, 3, pixels) + conv(f, f, 3, pixels);
            in = f;
            pixels /= 4;
        }
        int bottom = c.filters(c.depth() + 1);
        flops += conv(in, bottom, 3, pixels) + conv(bottom, bottom, 3, pixels);
        in = bottom;
        for (int level = c.depth(); level >= 1; level--) {
            int f = c.filters(level);
            if (c.upsampling() == UNetConfig.Upsampling.TRANSPOSED) {
                flops += conv(in, f, 2, pixels);      // each input pixel meets a 2×2 kernel
            } else {
                flops += conv(in, f, c.upKernel(), pixels * 4);
            }
            pixels *= 4;
            flops += conv(2 * f, f, 3, pixels) + conv(f, f, 3, pixels);
            in = f;
        }
        flops += conv(in, c.outputChannels(), 1, pixels);
        return batch * flops;
    }

    private static double conv(int in, int out, int k, double pixels) {
        return 2.0 * in * out * k * k * pixels;
    }
}
