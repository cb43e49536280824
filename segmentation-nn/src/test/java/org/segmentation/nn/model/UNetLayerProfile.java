package org.segmentation.nn.model;

import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.layers.BatchNorm2d;
import org.segmentation.nn.layers.Concat;
import org.segmentation.nn.layers.Conv2d;
import org.segmentation.nn.layers.ConvTranspose2x2;
import org.segmentation.nn.layers.MaxPool2x2;
import org.segmentation.nn.layers.Relu;
import org.segmentation.nn.loss.LossResult;
import org.segmentation.nn.loss.SoftmaxCrossEntropy;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * A profiling aid, not a test or a benchmark: the U-Net of {@code UNetBenchmark} (1 input channel, 3 classes,
 * depth 3, 16 base filters, batch norm, transposed up-sampling) rebuilt from the public layers with the same
 * wiring as {@link UNet}, each layer call timed with {@link System#nanoTime()} (ND4J's CPU ops are synchronous),
 * the times summed per layer kind and per convolution shape. Run as a main:
 * {@code UNetLayerProfile train|infer batch size steps}. Unlike {@link UNet} it frees nothing explicitly (see
 * {@code org.segmentation.nn.Memory}): its tensors wait for the garbage collector, so use it for time, not memory.
 */
public final class UNetLayerProfile {
    private static final Map<String, long[]> TIMES = new TreeMap<>();

    private static <T> T time(String key, Supplier<T> op) {
        long t0 = System.nanoTime();
        T r = op.get();
        long dt = System.nanoTime() - t0;
        long[] acc = TIMES.computeIfAbsent(key, k -> new long[2]);
        acc[0] += dt;
        acc[1]++;
        return r;
    }

    private static final class Block {
        final Conv2d c1;
        final BatchNorm2d b1;
        final Relu r1 = new Relu();
        final Conv2d c2;
        final BatchNorm2d b2;
        final Relu r2 = new Relu();
        final String s1;
        final String s2;

        Block(ParameterBuffer.Builder b, String name, int in, int out, int res, Random rng) {
            c1 = new Conv2d(b, name + ".conv1", in, out, 3, rng);
            b1 = new BatchNorm2d(b, name + ".bn1", out);
            c2 = new Conv2d(b, name + ".conv2", out, out, 3, rng);
            b2 = new BatchNorm2d(b, name + ".bn2", out);
            s1 = String.format(Locale.ROOT, "%d->%d@%d", in, out, res);
            s2 = String.format(Locale.ROOT, "%d->%d@%d", out, out, res);
        }

        void training(boolean t) {
            b1.setTraining(t);
            b2.setTraining(t);
        }

        INDArray forward(INDArray x) {
            INDArray h = time("conv fwd " + s1, () -> c1.forward(x));
            INDArray h1 = h;
            h = time("bn fwd", () -> b1.forward(h1));
            INDArray h2 = h;
            h = time("relu fwd", () -> r1.forward(h2));
            INDArray h3 = h;
            h = time("conv fwd " + s2, () -> c2.forward(h3));
            INDArray h4 = h;
            h = time("bn fwd", () -> b2.forward(h4));
            INDArray h5 = h;
            return time("relu fwd", () -> r2.forward(h5));
        }

        INDArray backward(INDArray dY) {
            INDArray d = time("relu bwd", () -> r2.backward(dY));
            INDArray d1 = d;
            d = time("bn bwd", () -> b2.backward(d1));
            INDArray d2 = d;
            d = time("conv bwd " + s2, () -> c2.backward(d2));
            INDArray d3 = d;
            d = time("relu bwd", () -> r1.backward(d3));
            INDArray d4 = d;
            d = time("bn bwd", () -> b1.backward(d4));
            INDArray d5 = d;
            return time("conv bwd " + s1, () -> c1.backward(d5));
        }
    }

    public static void main(String[] args) {
        boolean train = args[0].equals("train");
        int batch = Integer.parseInt(args[1]);
        int size = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        int depth = 3;
        int[] f = {16, 32, 64, 128};
        Random rng = new Random(7);
        ParameterBuffer.Builder b = ParameterBuffer.builder(DataType.FLOAT);
        Block[] down = new Block[depth];
        MaxPool2x2[] pools = new MaxPool2x2[depth];
        int in = 1;
        for (int i = 0; i < depth; i++) {
            down[i] = new Block(b, "down" + i, in, f[i], size >> i, rng);
            pools[i] = new MaxPool2x2();
            in = f[i];
        }
        Block bottleneck = new Block(b, "bottleneck", in, f[depth], size >> depth, rng);
        ConvTranspose2x2[] ups = new ConvTranspose2x2[depth];
        Concat[] cats = new Concat[depth];
        Block[] upBlocks = new Block[depth];
        for (int i = 0; i < depth; i++) {
            int level = depth - 1 - i;
            ups[i] = new ConvTranspose2x2(b, "up" + i + ".up", f[level + 1], f[level], rng);
            cats[i] = new Concat();
            upBlocks[i] = new Block(b, "up" + i, 2 * f[level], f[level], size >> level, rng);
        }
        Conv2d head = new Conv2d(b, "head", f[0], 3, 1, rng);
        ParameterBuffer params = b.build();
        Adam adam = Adam.adam(params, 1e-3, 0.9, 0.999, 1e-8, 0);
        SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
        for (Block blk : down) {
            blk.training(train);
        }
        bottleneck.training(train);
        for (Block blk : upBlocks) {
            blk.training(train);
        }
        Random data = new Random(7);
        float[] img = new float[batch * size * size];
        int[] lab = new int[img.length];
        for (int i = 0; i < img.length; i++) {
            img[i] = data.nextFloat();
            lab[i] = Math.min(2, (int) (3 * img[i]));
        }
        INDArray x = Nd4j.create(img, new long[] {batch, 1, size, size}, DataType.FLOAT);
        INDArray labels = Nd4j.createFromArray(lab).reshape(batch, size, size);
        INDArray out = Nd4j.create(DataType.FLOAT, batch, 3, size, size);
        int warm = Math.max(2, steps / 3);
        long total = 0;
        for (int s = 0; s < warm + steps; s++) {
            if (s == warm) {
                TIMES.clear();
                total = 0;
            }
            long t0 = System.nanoTime();
            if (train) {
                time("zero grads", () -> {
                    params.zeroGradients();
                    return null;
                });
            }
            INDArray[] skips = new INDArray[depth];
            INDArray h = x;
            for (int i = 0; i < depth; i++) {
                skips[i] = down[i].forward(h);
                int ii = i;
                h = time("pool fwd", () -> pools[ii].forward(skips[ii]));
            }
            h = bottleneck.forward(h);
            for (int i = 0; i < depth; i++) {
                int ii = i;
                INDArray hh = h;
                INDArray u = time("upconv fwd", () -> ups[ii].forward(hh));
                INDArray c = time("concat fwd", () -> cats[ii].forward(skips[depth - 1 - ii], u));
                h = upBlocks[i].forward(c);
            }
            INDArray hh = h;
            INDArray logits = time("head fwd", () -> head.forward(hh));
            if (train) {
                LossResult r = time("loss", () -> loss.compute(logits, labels));
                INDArray d = time("head bwd", () -> head.backward(r.dLogits()));
                INDArray[] dSkips = new INDArray[depth];
                for (int i = depth - 1; i >= 0; i--) {
                    INDArray g0 = upBlocks[i].backward(d);
                    int ii = i;
                    INDArray[] g = time("concat bwd", () -> cats[ii].backward(g0));
                    d = time("upconv bwd", () -> ups[ii].backward(g[1]));
                    dSkips[depth - 1 - i] = g[0];
                }
                d = bottleneck.backward(d);
                for (int i = depth - 1; i >= 0; i--) {
                    int ii = i;
                    INDArray dd = d;
                    INDArray p = time("pool bwd+skip add", () -> pools[ii].backward(dd).addi(dSkips[ii]));
                    d = down[i].backward(p);
                }
                time("adam", () -> {
                    adam.step();
                    return null;
                });
            } else {
                time("logits copy", () -> out.assign(logits));
            }
            total += System.nanoTime() - t0;
        }
        double step = total / 1e6 / steps;
        System.out.printf(Locale.ROOT, "%s batch %d size %d: %.1f ms/step over %d steps%n", train ? "train" : "infer",
                batch, size, step, steps);
        Map<String, double[]> kinds = new TreeMap<>();
        for (Map.Entry<String, long[]> e : TIMES.entrySet()) {
            String key = e.getKey();
            double ms = e.getValue()[0] / 1e6 / steps;
            System.out.printf(Locale.ROOT, "  %-28s %8.2f ms  %5.1f%%  (%d calls/step)%n", key, ms, 100 * ms / step,
                    e.getValue()[1] / steps);
            String kind = key.startsWith("conv ") ? key.substring(0, 8) + (key.contains("->") ? " 3x3" : "") : key;
            kinds.computeIfAbsent(kind, k -> new double[1])[0] += ms;
        }
        System.out.println("by kind:");
        double sum = 0;
        for (Map.Entry<String, double[]> e : kinds.entrySet()) {
            double ms = e.getValue()[0];
            sum += ms;
            System.out.printf(Locale.ROOT, "  %-28s %8.2f ms  %5.1f%%%n", e.getKey(), ms, 100 * ms / step);
        }
        System.out.printf(Locale.ROOT, "  %-28s %8.2f ms  %5.1f%%%n", "(untimed glue)", step - sum,
                100 * (step - sum) / step);
    }
}
