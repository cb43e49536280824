package org.segmentation.nn.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.layers.BatchNorm2d;
import org.segmentation.nn.layers.MaxPool2d;
import org.segmentation.nn.layers.Relu;
import org.segmentation.nn.layers.StridedConv2d;
import org.segmentation.nn.param.Init;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * A ResNet backbone (He et al., 2016) laid out as torchvision's {@code torchvision.models.resnet.ResNet} without
 * its classifier: the stem and the stages of {@link ResNetConfig}, returning every stage's output, the C2..C5 of
 * a feature pyramid. Parameter and buffer names are torchvision's state_dict names under a prefix
 * ({@code conv1.weight}, {@code bn1.running_mean}, {@code layer2.0.downsample.0.weight}, ...), so weights move
 * between the two. Convolutions have no bias (batch norm follows each) and start kaiming-normal (fan out, ReLU
 * gain), batch norms at weight 1 and bias 0, as torchvision initialises them; a block's shortcut is a 1×1 convolution
 * and batch norm when the stride or the channel count changes, else the identity.
 *
 * <p>A component, not a whole model: the caller owns the {@link ParameterBuffer.Builder} and the buffer map.
 * {@link #forward} returns the stage outputs, which belong to the caller; the backbone keeps what its backward
 * needs and frees its own intermediate tensors in {@link #backward}. One instance serves one thread at a time.
 */
public final class ResNet {
    private final ResNetConfig config;
    private final StridedConv2d conv1;
    private final BatchNorm2d bn1;
    private final MaxPool2d maxpool = new MaxPool2d(3, 2, 1);
    private final Block[][] stages;
    private boolean training = true;

    // kept by forward for backward
    private INDArray stemConv;   // (N,stem,H/2,W/2)
    private INDArray stemBn;     // (N,stem,H/2,W/2) after the fused ReLU
    private INDArray pooled;     // (N,stem,H/4,W/4)
    private final List<INDArray> blockOutputs = new ArrayList<>();   // every block's output but the stages' last

    /**
     * @param prefix prepended to every parameter and buffer name, e.g. {@code "backbone.body."}
     * @param buffers receives the batch norms' running averages by name
     */
    public ResNet(ParameterBuffer.Builder params, Map<String, INDArray> buffers, String prefix, ResNetConfig config,
            Random rng) {
        this.config = config;
        conv1 = conv(params, prefix + "conv1", config.inputChannels(), config.stemWidth(), 7, 2, 3, rng);
        bn1 = batchNorm(params, buffers, prefix + "bn1", config.stemWidth(), true);
        stages = new Block[config.stages()][];
        int in = config.stemWidth();
        for (int s = 0; s < config.stages(); s++) {
            stages[s] = new Block[config.blocks()[s]];
            for (int b = 0; b < stages[s].length; b++) {
                String name = prefix + "layer" + (s + 1) + "." + b;
                int stride = b == 0 && s > 0 ? 2 : 1;
                stages[s][b] = config.block() == ResNetConfig.Block.BASIC
                        ? Block.basic(params, buffers, name, in, config.widths()[s], stride, rng)
                        : Block.bottleneck(params, buffers, name, in, config.widths()[s], stride, rng);
                in = config.outChannels(s);
            }
        }
    }

    public ResNetConfig config() {
        return config;
    }

    /** Training mode (batch statistics) or evaluation mode (running averages) for every batch norm. */
    public void setTraining(boolean training) {
        this.training = training;
        bn1.setTraining(training);
        for (Block[] stage : stages) {
            for (Block b : stage) {
                b.setTraining(training);
            }
        }
    }

    /**
     * @param x images (N,C,H,W)
     * @return per stage i, its output (N, outChannels(i), ~H/stride(i), ~W/stride(i)); new detached arrays owned
     *     by the caller, which keeps them unmodified until {@link #backward}
     */
    public INDArray[] forward(INDArray x) {
        Shapes.require("ResNet input x", "(N,C,H,W)", x, Shapes.ANY, config.inputChannels(), Shapes.ANY, Shapes.ANY);
        Memory.free(blockOutputs.toArray(new INDArray[0]));
        blockOutputs.clear();
        stemConv = conv1.forward(x);
        stemBn = bn1.forward(stemConv);
        pooled = maxpool.forward(stemBn);
        if (!training) {
            Memory.free(stemConv, stemBn);
        }
        INDArray[] out = new INDArray[stages.length];
        INDArray h = pooled;
        for (int s = 0; s < stages.length; s++) {
            for (int b = 0; b < stages[s].length; b++) {
                INDArray in = h;
                h = stages[s][b].forward(h);
                if (!training && !(b == 0 && s > 0)) {
                    Memory.free(in);   // the pooled stem or a block output inside a stage, read by nothing else
                }
                if (training && b < stages[s].length - 1) {
                    blockOutputs.add(h);
                }
            }
            out[s] = h;
        }
        if (!training) {
            stemConv = stemBn = pooled = null;
        }
        return out;
    }

    /**
     * Adds the parameter gradients into the buffer and frees the backbone's intermediate tensors.
     *
     * @param dOut per stage, the gradient of its output (null for none)
     * @param inputGradient whether to return the input's gradient (not needed when the input is the data)
     * @return gradient of the input (N,C,H,W), or null without {@code inputGradient}
     */
    public INDArray backward(INDArray[] dOut, boolean inputGradient) {
        if (stemConv == null) {
            throw new IllegalStateException("ResNet.backward called before a training-mode forward");
        }
        if (dOut == null || dOut.length != stages.length) {
            throw new IllegalArgumentException("ResNet.backward: expected " + stages.length + " stage gradients, got "
                    + (dOut == null ? "null" : dOut.length));
        }
        INDArray g = null;
        for (int s = stages.length - 1; s >= 0; s--) {
            if (dOut[s] != null) {
                g = g == null ? dOut[s].dup() : g.addi(dOut[s]);
            }
            if (g == null) {
                continue;   // nothing above this stage needs a gradient yet
            }
            for (int b = stages[s].length - 1; b >= 0; b--) {
                INDArray prev = g;
                g = stages[s][b].backward(g);
                Memory.free(prev);
            }
        }
        INDArray dX = null;
        if (g != null) {
            INDArray dBn = maxpool.backward(g);
            Memory.free(g);
            INDArray dConv = bn1.backward(dBn);
            Memory.free(dBn);
            dX = conv1.backward(dConv, inputGradient);
            Memory.free(dConv);
        }
        Memory.free(stemConv, stemBn, pooled);
        Memory.free(blockOutputs.toArray(new INDArray[0]));
        blockOutputs.clear();
        stemConv = stemBn = pooled = null;
        return dX;
    }

    /** A bias-free k×k convolution, kaiming-normal (fan out, ReLU gain) as torchvision initialises a ResNet. */
    static StridedConv2d conv(ParameterBuffer.Builder params, String name, int in, int out, int k, int stride,
            int pad, Random rng) {
        return new StridedConv2d(params, name, in, out, k, k, stride, stride, pad, pad, StridedConv2d.COLUMN_CHUNK,
                Init.normal(rng, Math.sqrt(2.0 / (out * k * k))), null);
    }

    static BatchNorm2d batchNorm(ParameterBuffer.Builder params, Map<String, INDArray> buffers, String name,
            int channels, boolean relu) {
        BatchNorm2d bn = new BatchNorm2d(params, name, channels, relu);
        buffers.put(name + ".running_mean", bn.runningMean());
        buffers.put(name + ".running_var", bn.runningVar());
        return bn;
    }

    /** sum += x, or += downsample(x), whose output is freed at once (its backward does not read it). */
    private static void addShortcut(INDArray sum, INDArray x, Downsample downsample, boolean training) {
        if (downsample == null) {
            sum.addi(x);
        } else {
            INDArray s = downsample.forward(x);
            sum.addi(s);
            Memory.free(s);
            if (!training) {
                Memory.free(downsample.convOut);
                downsample.convOut = null;
            }
        }
    }

    /**
     * A residual block, torchvision's {@code BasicBlock} or {@code Bottleneck}: a chain of convolution + batch norm
     * stages (named {@code conv1}/{@code bn1}, {@code conv2}/{@code bn2}, ...), each batch norm with a fused ReLU
     * but the last, then relu(chain(x) + shortcut(x)). Forward caches every stage's convolution and batch-norm
     * output for backward; the block's output belongs to the caller.
     */
    private static final class Block {
        final StridedConv2d[] convs;
        final BatchNorm2d[] bns;
        final Downsample downsample;   // null for the identity
        final Relu relu = new Relu();
        final INDArray[] convOut;
        final INDArray[] bnOut;        // the last one is the block's output, not kept here
        boolean training = true;

        /** torchvision's {@code BasicBlock}: two 3×3 convolutions, the first with the stride; width outputs. */
        static Block basic(ParameterBuffer.Builder params, Map<String, INDArray> buffers, String name, int in,
                int width, int stride, Random rng) {
            return new Block(params, buffers, name, in, width, new int[] {width, width}, new int[] {3, 3},
                    new int[] {stride, 1}, rng);
        }

        /** torchvision's {@code Bottleneck} (ResNet v1.5, the stride on the 3×3): 1×1, 3×3, 1×1 to 4·width. */
        static Block bottleneck(ParameterBuffer.Builder params, Map<String, INDArray> buffers, String name, int in,
                int width, int stride, Random rng) {
            int out = width * ResNetConfig.Block.BOTTLENECK.expansion();
            return new Block(params, buffers, name, in, out, new int[] {width, width, out}, new int[] {1, 3, 1},
                    new int[] {1, stride, 1}, rng);
        }

        private Block(ParameterBuffer.Builder params, Map<String, INDArray> buffers, String name, int in, int out,
                int[] widths, int[] kernels, int[] strides, Random rng) {
            int n = widths.length;
            convs = new StridedConv2d[n];
            bns = new BatchNorm2d[n];
            int c = in;
            int stride = 1;
            for (int i = 0; i < n; i++) {
                convs[i] = conv(params, name + ".conv" + (i + 1), c, widths[i], kernels[i], strides[i],
                        kernels[i] / 2, rng);
                bns[i] = batchNorm(params, buffers, name + ".bn" + (i + 1), widths[i], i < n - 1);
                c = widths[i];
                stride *= strides[i];
            }
            downsample = stride != 1 || in != out
                    ? new Downsample(params, buffers, name + ".downsample", in, out, stride, rng) : null;
            convOut = new INDArray[n];
            bnOut = new INDArray[n];
        }

        INDArray forward(INDArray x) {
            INDArray h = x;
            for (int i = 0; i < convs.length; i++) {
                convOut[i] = convs[i].forward(h);
                h = bns[i].forward(convOut[i]);
                bnOut[i] = h;
            }
            INDArray sum = h;
            bnOut[convs.length - 1] = null;
            addShortcut(sum, x, downsample, training);
            if (!training) {
                release();
            }
            return relu.forward(sum, sum);
        }

        /** @return the gradient of the block's input, a new detached array */
        INDArray backward(INDArray dY) {
            INDArray dSum = relu.backward(dY);
            INDArray d = dSum;
            for (int i = convs.length - 1; i >= 0; i--) {
                INDArray dConv = bns[i].backward(d);   // reads convOut[i], and bnOut[i] for its fused ReLU
                if (d != dSum) {
                    Memory.free(d);
                }
                Memory.free(convOut[i]);
                if (bnOut[i] != null) {
                    Memory.free(bnOut[i]);
                }
                d = convs[i].backward(dConv);
                Memory.free(dConv);
            }
            INDArray dX = d;
            if (downsample == null) {
                dX.addi(dSum);
            } else {
                INDArray dS = downsample.backward(dSum);
                dX.addi(dS);
                Memory.free(dS);
            }
            Memory.free(dSum);
            java.util.Arrays.fill(convOut, null);
            java.util.Arrays.fill(bnOut, null);
            return dX;
        }

        private void release() {
            for (int i = 0; i < convs.length; i++) {
                Memory.free(convOut[i]);
                if (bnOut[i] != null) {
                    Memory.free(bnOut[i]);
                }
                convOut[i] = null;
                bnOut[i] = null;
            }
        }

        void setTraining(boolean training) {
            this.training = training;
            for (BatchNorm2d bn : bns) {
                bn.setTraining(training);
            }
            if (downsample != null) {
                downsample.bn.setTraining(training);
            }
        }
    }

    /** The 1×1 convolution and batch norm of a shortcut that changes the stride or the channel count. */
    private static final class Downsample {
        final StridedConv2d conv;
        final BatchNorm2d bn;
        INDArray convOut;

        Downsample(ParameterBuffer.Builder params, Map<String, INDArray> buffers, String name, int in, int out,
                int stride, Random rng) {
            conv = conv(params, name + ".0", in, out, 1, stride, 0, rng);
            bn = batchNorm(params, buffers, name + ".1", out, false);
        }

        INDArray forward(INDArray x) {
            convOut = conv.forward(x);
            return bn.forward(convOut);
        }

        INDArray backward(INDArray dY) {
            INDArray d = bn.backward(dY);
            Memory.free(convOut);
            convOut = null;
            INDArray dX = conv.backward(d);
            Memory.free(d);
            return dX;
        }
    }
}
