package org.segmentation.bench.nn;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.bench.conv.ConvInputs;
import org.segmentation.core.io.NpyFiles;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.detect.AnchorGenerator;
import org.segmentation.nn.detect.RoiHeadsConfig;
import org.segmentation.nn.detect.RpnConfig;
import org.segmentation.nn.io.SafeTensors;
import org.segmentation.nn.model.MaskRCNN;
import org.segmentation.nn.model.MaskRCNNConfig;
import org.segmentation.nn.model.ResNetConfig;

/**
 * The models and the batches of the Mask R-CNN workloads, shared by {@link MaskRCNNBenchmark} and the PyTorch
 * peer (torchvision's {@code MaskRCNN} built from {@link MaskRCNN#configToJson} by
 * {@code segmentation-nn/src/test/python/torch_maskrcnn.py}): an architecture named by {@link #config(String)},
 * initial weights from {@link #SEED}, and a batch of N images (3,H,W) of Gaussian noise (σ 0.2) with
 * {@link #OBJECTS} objects each, alternately bright rectangles (class 1, +1.5) and dark ellipses (class 2, −1.5) of
 * 1/8 to 1/3 of the image side at seeded random places, later ones drawn over earlier ones; their ground truth is
 * each object's box and its full mask.
 *
 * <p>The peer reads {@code maskrcnn_<arch>_config.json}, {@code maskrcnn_<arch>_model.safetensors} (our initial
 * weights under torchvision's names), {@code maskrcnn_<arch>_b<N>_s<H>_x.npy} (N,3,H,W) float32 and, per image i,
 * {@code _boxes<i>.npy} (G,4) float32, {@code _labels<i>.npy} (G) int32 and {@code _masks<i>.npy} (G,H,W) uint8.
 */
public final class MaskRCNNInputs {
    /** Seed of the initial weights and of the batch. */
    public static final long SEED = 7;
    /** Adam's learning rate on both sides (betas 0.9, 0.999, eps 1e-8, no weight decay). */
    public static final double LEARNING_RATE = 1e-4;
    /** The architectures, smaller first. */
    public static final List<String> ARCHITECTURES = List.of("tiny", "small");
    /** Objects per image. */
    public static final int OBJECTS = 4;

    private MaskRCNNInputs() {
    }

    /** The ground truth and images of one batch. */
    public record Batch(INDArray images, List<MaskRCNN.Target> targets) {
    }

    /**
     * A Mask R-CNN with 3 classes (background, rectangle, ellipse), float32:
     * <ul>
     * <li>{@code tiny}: basic blocks 1,1,1,1 of widths 8,16,16,16, 16-channel FPN, small anchors, 32-wide box head,
     * 8-channel mask head, 200/100 proposals per level before NMS and 100/50 after, 64 RPN and 64 box samples per
     * image, 20 detections (the unit tests' model);
     * <li>{@code small}: {@link MaskRCNNConfig#small}, the library's CPU preset.
     * </ul>
     *
     * @throws IllegalArgumentException for another name
     */
    public static MaskRCNNConfig config(String arch) {
        return switch (arch) {
            case "tiny" -> new MaskRCNNConfig(new ResNetConfig(ResNetConfig.Block.BASIC, new int[] {1, 1, 1, 1},
                    new int[] {8, 16, 16, 16}, 8, 3), 16, AnchorGenerator.small(),
                    new RpnConfig(200, 100, 100, 50, 0.7, 0.7, 0.3, 64, 0.5, 0.0, 1e-3),
                    new RoiHeadsConfig(0.5, 0.5, 64, 0.25, 0.05, 0.5, 20), 3, 32, 8, DataType.FLOAT);
            case "small" -> MaskRCNNConfig.small(3);
            default -> throw new IllegalArgumentException("unknown Mask R-CNN architecture '" + arch
                    + "'; known: tiny, small");
        };
    }

    /** The batch: N noisy images of {@code size}² with their objects' targets. */
    public static Batch batch(int n, int size) {
        Random rng = new Random(SEED);
        float[] px = new float[n * 3 * size * size];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) (0.2 * rng.nextGaussian());
        }
        List<MaskRCNN.Target> targets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] owner = new int[size * size];   // 1 + object index, later objects on top
            double[] boxes = new double[4 * OBJECTS];
            int[] labels = new int[OBJECTS];
            for (int k = 0; k < OBJECTS; k++) {
                int w = size / 8 + rng.nextInt(size / 3 - size / 8 + 1);
                int h = size / 8 + rng.nextInt(size / 3 - size / 8 + 1);
                int x0 = rng.nextInt(size - w + 1);
                int y0 = rng.nextInt(size - h + 1);
                labels[k] = 1 + k % 2;
                boxes[4 * k] = x0;
                boxes[4 * k + 1] = y0;
                boxes[4 * k + 2] = x0 + w;
                boxes[4 * k + 3] = y0 + h;
                for (int y = y0; y < y0 + h; y++) {
                    for (int x = x0; x < x0 + w; x++) {
                        double ex = (x + 0.5 - x0 - w / 2.0) / (w / 2.0);
                        double ey = (y + 0.5 - y0 - h / 2.0) / (h / 2.0);
                        if (labels[k] == 1 || ex * ex + ey * ey <= 1) {
                            owner[y * size + x] = k + 1;
                        }
                    }
                }
            }
            float[] masks = new float[OBJECTS * size * size];
            for (int p = 0; p < owner.length; p++) {
                if (owner[p] > 0) {
                    int k = owner[p] - 1;
                    masks[k * size * size + p] = 1;
                    for (int c = 0; c < 3; c++) {
                        px[(i * 3 + c) * size * size + p] += labels[k] == 1 ? 1.5f : -1.5f;
                    }
                }
            }
            // the boxes stay the drawn extents: an occluded object keeps its full box, as an annotator's would
            targets.add(new MaskRCNN.Target(boxes, labels, Nd4j.create(masks, new long[] {OBJECTS, size, size},
                    'c')));
        }
        return new Batch(Nd4j.create(px, new long[] {n, 3, size, size}, 'c'), targets);
    }

    public static String prefix(String arch, int batch, int size) {
        return "maskrcnn_" + arch + "_b" + batch + "_s" + size;
    }

    /** Writes the configuration, the initial weights and the batch for the peer into {@code dir}. */
    public static void write(String arch, int batch, int size, Path dir) throws IOException {
        MaskRCNNConfig c = config(arch);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("maskrcnn_" + arch + "_config.json"), MaskRCNN.configToJson(c).toString(),
                StandardCharsets.UTF_8);
        SafeTensors.write(dir.resolve("maskrcnn_" + arch + "_model.safetensors"), new MaskRCNN(c, SEED).toTensors());
        Batch b = batch(batch, size);
        String p = prefix(arch, batch, size);
        NpyFiles.write(Tensor.f32(b.images().data().asFloat(), batch, 3, size, size), dir.resolve(p + "_x.npy"));
        for (int i = 0; i < batch; i++) {
            MaskRCNN.Target t = b.targets().get(i);
            int g = t.labels().length;
            float[] boxes = new float[4 * g];
            for (int k = 0; k < boxes.length; k++) {
                boxes[k] = (float) t.boxes()[k];
            }
            NpyFiles.write(Tensor.f32(boxes, g, 4), dir.resolve(p + "_boxes" + i + ".npy"));
            NpyFiles.write(Tensor.i32(t.labels(), g), dir.resolve(p + "_labels" + i + ".npy"));
            float[] m = t.masks().data().asFloat();
            byte[] u8 = new byte[m.length];
            for (int k = 0; k < m.length; k++) {
                u8[k] = (byte) m[k];
            }
            NpyFiles.write(Tensor.u8(u8, g, size, size), dir.resolve(p + "_masks" + i + ".npy"));
        }
    }

    /**
     * Inference as the benchmark runs it: detections in evaluation mode, then each image's masks pasted into the
     * image and thresholded at 0.5 ({@link MaskRCNN.Instances#segmentation}), as torchvision's model pastes them.
     */
    public static List<org.segmentation.core.segment.InstanceSegmentation> infer(MaskRCNN model, INDArray images) {
        int h = (int) images.size(2);
        int w = (int) images.size(3);
        List<org.segmentation.core.segment.InstanceSegmentation> out = new ArrayList<>();
        for (MaskRCNN.Instances inst : model.predict(images)) {
            out.add(inst.segmentation(h, w, 0.5));
        }
        return out;
    }

    /**
     * Our check value of inference from the initial weights: {@code [detections, sum of scores]}, the sum to 4
     * significant digits ({@link ConvInputs#digits}).
     */
    public static List<String> inferenceCheck(String arch, int batch, int size) {
        MaskRCNN model = new MaskRCNN(config(arch), SEED);
        int d = 0;
        double s = 0;
        for (org.segmentation.core.segment.InstanceSegmentation r : infer(model, batch(batch, size).images())) {
            d += r.size();
            for (double v : r.scores()) {
                s += v;
            }
        }
        return List.of(Integer.toString(d), ConvInputs.digits(s));
    }
}
