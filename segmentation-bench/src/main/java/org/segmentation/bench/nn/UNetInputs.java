package org.segmentation.bench.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.bench.conv.ConvInputs;
import org.segmentation.core.io.NpyFiles;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.Memory;
import org.segmentation.nn.loss.Loss;
import org.segmentation.nn.loss.LossResult;
import org.segmentation.nn.loss.SoftmaxCrossEntropy;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.optim.Optimizer;

/**
 * The models and the batches of the U-Net workloads, shared by {@link UNetBenchmark}, {@link TrainingMemory} and
 * the PyTorch peer: an architecture named by {@link #config(String)}, initial weights from {@link #SEED}, images
 * (N,C,H,W) uniform in [0,1) and labels (N,H,W) {@code min(2, floor(3·x[n,0,y,x]))} (from the first channel)
 * from a seeded {@link Random}.
 *
 * <p>The peer reads {@code unet_<arch>_model/} ({@code config.json} + {@code model.safetensors}, written by
 * {@link UNet#save}) so that both sides start from the same weights, and {@code unet_<arch>_b<N>_s<H>_x.npy} and
 * {@code _labels.npy}.
 */
public final class UNetInputs {
    /** Seed of the initial weights and of the batch. */
    public static final long SEED = 7;
    /** Adam's learning rate on both sides (betas 0.9, 0.999, eps 1e-8, no weight decay: PyTorch's defaults). */
    public static final double LEARNING_RATE = 1e-3;
    /** The architectures, smallest first: {@code tiny}, {@code standard}, {@code wide}. */
    public static final List<String> ARCHITECTURES = List.of("tiny", "standard", "wide");

    private UNetInputs() {
    }

    /**
     * A U-Net with 3 classes, batch norm, 2×2 transposed-convolution up-sampling, softmax head, float32:
     * <ul>
     * <li>{@code tiny}: the experiments' net, 1 input channel, depth 3, 16 base filters (compared at 64², batch 8);
     * <li>{@code standard}: the library's defaults, 3 input channels, depth 4, 32 base filters (256², batch 4);
     * <li>{@code wide}: 1 input channel, depth 4, 64 base filters (256², batch 2).
     * </ul>
     *
     * @throws IllegalArgumentException for another name
     */
    public static UNetConfig config(String arch) {
        return switch (arch) {
            case "tiny" -> UNetConfig.of(1, 3).withDepth(3).withBaseFilters(16);
            case "standard" -> UNetConfig.of(3, 3).withDepth(4).withBaseFilters(32);
            case "wide" -> UNetConfig.of(1, 3).withDepth(4).withBaseFilters(64);
            default -> throw new IllegalArgumentException("unknown U-Net architecture '" + arch + "'; known: "
                    + String.join(", ", ARCHITECTURES));
        };
    }

    /** Images (N,C,H,W) row-major, uniform in [0,1). */
    public static float[] images(int batch, int channels, int size) {
        Random rng = new Random(SEED);
        float[] x = new float[Math.multiplyExact(Math.multiplyExact(batch, channels), size * size)];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextFloat();
        }
        return x;
    }

    /** Labels (N,H,W) of {@link #images} of {@code batch} samples: class {@code min(2, floor(3·x[n,0,y,x]))}. */
    public static int[] labels(float[] images, int batch, int channels) {
        int hw = images.length / (batch * channels);
        int[] y = new int[batch * hw];
        for (int n = 0; n < batch; n++) {
            for (int i = 0; i < hw; i++) {
                y[n * hw + i] = Math.min(2, (int) (3 * images[n * channels * hw + i]));
            }
        }
        return y;
    }

    /** The model's input (N,C,H,W) of a batch. */
    public static INDArray x(UNetConfig c, int batch, int size) {
        return Nd4j.create(images(batch, c.inputChannels(), size),
                new long[] {batch, c.inputChannels(), size, size}, DataType.FLOAT);
    }

    /** The labels (N,H,W) INT32 of a batch. */
    public static INDArray labels(UNetConfig c, int batch, int size) {
        return Nd4j.createFromArray(labels(images(batch, c.inputChannels(), size), batch, c.inputChannels()))
                .reshape(batch, size, size);
    }

    /** Folder of the saved initial model of {@code arch} under the inputs folder: {@code unet_<arch>_model}. */
    public static String modelDir(String arch) {
        return "unet_" + arch + "_model";
    }

    /** File name prefix of a batch: {@code unet_<arch>_b<N>_s<H>}; the peer builds the same. */
    public static String prefix(String arch, int batch, int size) {
        return String.format(Locale.ROOT, "unet_%s_b%d_s%d", arch, batch, size);
    }

    /** Writes the model (replacing it) and the batch's two {@code .npy} files into {@code dir}. */
    public static void write(String arch, int batch, int size, Path dir) throws IOException {
        Files.createDirectories(dir);
        UNetConfig c = config(arch);
        new UNet(c, SEED).save(dir.resolve(modelDir(arch)));
        float[] x = images(batch, c.inputChannels(), size);
        NpyFiles.write(Tensor.f32(x, batch, c.inputChannels(), size, size),
                dir.resolve(prefix(arch, batch, size) + "_x.npy"));
        NpyFiles.write(Tensor.i32(labels(x, batch, c.inputChannels()), batch, size, size),
                dir.resolve(prefix(arch, batch, size) + "_labels.npy"));
    }

    /**
     * Our check value of a training step: {@code [loss, sum|logits|]} of the first step's forward pass (training
     * mode, so batch norm uses the batch's statistics) from the initial weights, each to 4 significant digits
     * ({@link ConvInputs#digits}).
     */
    public static List<String> trainCheck(String arch, int batch, int size) {
        UNetConfig c = config(arch);
        UNet model = new UNet(c, SEED);
        model.setTraining(true);
        INDArray logits = model.forward(x(c, batch, size));
        try (MemoryWorkspace ignored = Memory.scratch()) {
            LossResult r = new SoftmaxCrossEntropy().compute(logits, labels(c, batch, size));
            return List.of(ConvInputs.digits(r.loss()), ConvInputs.digits(ConvInputs.absSum(logits)));
        } finally {
            Memory.free(logits);
        }
    }

    /**
     * One optimizer step of {@code model} on one batch, as the trainer runs it under {@link Memory}: zero the
     * gradients, forward, loss (its temporaries in the scratch workspace), backward, optimizer step; the logits and
     * their gradient are freed. Returns the loss.
     */
    public static double trainStep(UNet model, Loss loss, Optimizer optimizer, INDArray x, INDArray labels) {
        model.parameters().zeroGradients();
        INDArray out = model.forward(x);
        LossResult r = loss.computeDetached(out, labels);
        Memory.free(out);
        model.backward(r.dLogits());
        Memory.free(r.dLogits());
        try (MemoryWorkspace ignored = Memory.scratch()) {
            optimizer.step();
        }
        return r.loss();
    }

    /** Our check value of inference: {@code [sum|logits|]} in evaluation mode from the initial weights. */
    public static List<String> inferenceCheck(String arch, int batch, int size) {
        UNetConfig c = config(arch);
        UNet model = new UNet(c, SEED);
        model.setTraining(false);
        INDArray logits = model.forward(x(c, batch, size));
        try (MemoryWorkspace ignored = Memory.scratch()) {
            return List.of(ConvInputs.digits(ConvInputs.absSum(logits)));
        } finally {
            Memory.free(logits);
        }
    }

    /** A 3×3 convolution's shape in a U-Net: C_in → C_out channels at H×W, H = W = {@code size}. */
    public record ConvShape(int cin, int cout, int size) {
    }

    /**
     * The distinct 3×3 convolution shapes of a U-Net on {@code size}² inputs, in layer order: each down block's
     * C_in → f and f → f, the bottleneck's, and each up block's 2f → f (on concat(skip, up)) and f → f.
     */
    public static List<ConvShape> convShapes(UNetConfig c, int size) {
        Set<ConvShape> shapes = new LinkedHashSet<>();
        int in = c.inputChannels();
        for (int level = 1; level <= c.depth() + 1; level++) {  // depth + 1: the bottleneck
            int f = c.filters(level);
            shapes.add(new ConvShape(in, f, size >> (level - 1)));
            shapes.add(new ConvShape(f, f, size >> (level - 1)));
            in = f;
        }
        for (int level = c.depth(); level >= 1; level--) {
            int f = c.filters(level);
            shapes.add(new ConvShape(2 * f, f, size >> (level - 1)));
            shapes.add(new ConvShape(f, f, size >> (level - 1)));
        }
        return List.copyOf(shapes);
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
