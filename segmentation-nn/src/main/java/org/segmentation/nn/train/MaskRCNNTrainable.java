package org.segmentation.nn.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.metrics.CocoAveragePrecision;
import org.segmentation.core.segment.InstanceSegmentation;
import org.segmentation.nn.Memory;
import org.segmentation.nn.data.Batch;
import org.segmentation.nn.data.BatchLoader;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.model.MaskRCNN;
import org.segmentation.nn.model.MaskRCNNTransform;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * A {@link MaskRCNN} as the {@link Trainer} trains it, on a {@link SegmentationDataset} whose samples carry
 * instance labels ({@link org.segmentation.nn.data.Sample#instances()}, 0 background, 1..n) beside their per-pixel
 * class target: each instance's box is its pixel extent, its mask its pixels, and its class the most frequent
 * target value over its pixels ({@link MaskRCNN.Target#fromInstances}). A sample without instances trains the RPN
 * and the box head on background only.
 *
 * <p>A step: the batch's [0, 1] images go through the {@link MaskRCNNTransform} (normalisation, resizing, padding
 * to the size divisor) with their targets, then {@link MaskRCNN#trainStep} computes torchvision's five losses and
 * their gradients; the loss is their unweighted sum. The anchors and proposals sampled for the losses are drawn
 * from a {@link Random} seeded with the step's seed. Validation predicts each image through the transform and
 * scores the instances by COCO mask AP ({@link CocoAveragePrecision}, at most
 * {@code max(100, detections per image)} detections per image and class), as {@link ValidationResult#maskAp}
 * and {@link ValidationResult#maskAp50}; monitor {@link TrainerConfig.Monitor#maskAp()}.
 *
 * <p>Overlapping instances cannot be expressed by one label map: where a source's masks overlap (COCO), the
 * dataset decides which instance a pixel belongs to. One thread at a time.
 */
public final class MaskRCNNTrainable implements Trainable {
    /** Mask probability above which a validation pixel belongs to an instance: the predictor's, 0.5. */
    static final double MASK_THRESHOLD = 0.5;

    private final MaskRCNN network;
    private final MaskRCNNTransform transform;
    private MaskRCNN.Losses lastLosses;

    /**
     * @param network the network trained
     * @param transform what every image goes through, in training, validation and (saved with the model)
     *     prediction
     * @throws IllegalArgumentException if the transform normalises another number of channels than the network
     *     takes
     */
    public MaskRCNNTrainable(MaskRCNN network, MaskRCNNTransform transform) {
        if (network == null || transform == null) {
            throw new IllegalArgumentException("a network and a transform are required, got " + network + ", "
                    + transform);
        }
        if (transform.input().channels() != network.config().backbone().inputChannels()) {
            throw new IllegalArgumentException("the transform normalises " + transform.input().channels()
                    + " channel(s), the network takes " + network.config().backbone().inputChannels());
        }
        this.network = network;
        this.transform = transform;
    }

    public MaskRCNN network() {
        return network;
    }

    public MaskRCNNTransform transform() {
        return transform;
    }

    /** The five losses of the last {@link #trainStep}, or null before the first. */
    public MaskRCNN.Losses lastLosses() {
        return lastLosses;
    }

    @Override
    public ParameterBuffer parameters() {
        return network.parameters();
    }

    @Override
    public Map<String, INDArray> buffers() {
        return network.buffers();
    }

    @Override
    public void setTraining(boolean training) {
        network.setTraining(training);
    }

    @Override
    public void checkDataset(String what, SegmentationDataset d) {
        int c = network.config().backbone().inputChannels();
        if (d.channels() != c) {
            throw new IllegalArgumentException("the " + what + " has " + d.channels() + " channels, the Mask R-CNN"
                    + " takes " + c);
        }
        int k = network.config().classes();
        if (d.numClasses() != k) {
            throw new IllegalArgumentException("the " + what + " has " + d.numClasses() + " classes (background"
                    + " included), the Mask R-CNN has " + k);
        }
    }

    @Override
    public double trainStep(Batch batch, long seed) {
        DataType dt = network.config().dtype();
        List<PlanarF32> images = images(batch);
        List<MaskRCNN.Target> originals = targets(batch, dt);
        MaskRCNNTransform.Batch prepared = transform.prepare(images, dt);
        List<MaskRCNN.Target> targets = transform.targets(originals, prepared);
        try {
            lastLosses = network.trainStep(prepared.tensor(), prepared.sizes(), targets, new Random(seed));
            return lastLosses.total();
        } finally {
            Memory.free(prepared.tensor());
            for (int i = 0; i < targets.size(); i++) {
                Memory.free(originals.get(i).masks(), targets.get(i).masks());
            }
        }
    }

    @Override
    public ValidationResult validate(BatchLoader loader, long step, long epoch) {
        network.setTraining(false);
        int maxDetections = Math.max(100, network.config().roiHeads().detectionsPerImage());
        CocoAveragePrecision ap = new CocoAveragePrecision(maxDetections);
        for (Iterator<Batch> it = loader.epoch(0); it.hasNext(); ) {
            Batch batch = it.next();
            List<PlanarF32> images = images(batch);
            List<InstanceSegmentation> found = transform.segment(network, images, MASK_THRESHOLD);
            for (int n = 0; n < batch.size; n++) {
                InstanceSegmentation truth = MaskRCNN.Target.truth(instanceMap(batch, n), classMap(batch, n));
                ap.addMasks(found.get(n), truth, null);
            }
        }
        CocoAveragePrecision.Result r = ap.compute();
        network.setTraining(false);
        return ValidationResult.ofMaskAp(step, epoch, r.ap(), r.ap50());
    }

    /** The batch's images, each (C,H,W) in [0, 1] as the dataset gave it. */
    private static List<PlanarF32> images(Batch b) {
        int per = b.channels * b.height * b.width;
        List<PlanarF32> out = new ArrayList<>(b.size);
        for (int n = 0; n < b.size; n++) {
            out.add(PlanarF32.wrap(Arrays.copyOfRange(b.images, n * per, (n + 1) * per), b.channels, b.width,
                    b.height));
        }
        return out;
    }

    /** Each sample's target at its own size: instances from the instance map, classes from the class map. */
    private List<MaskRCNN.Target> targets(Batch b, DataType dt) {
        int k = network.config().classes();
        List<MaskRCNN.Target> out = new ArrayList<>(b.size);
        for (int n = 0; n < b.size; n++) {
            LabelMap classes = classMap(b, n);
            MaskRCNN.Target t;
            try {
                t = MaskRCNN.Target.fromInstances(instanceMap(b, n), classes, dt);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("sample " + b.indices[n] + ": " + e.getMessage(), e);
            }
            for (int label : t.labels()) {
                if (label >= k) {
                    Memory.free(t.masks());
                    out.forEach(o -> Memory.free(o.masks()));
                    throw new IllegalArgumentException("sample " + b.indices[n] + " has an instance of class " + label
                            + ", the Mask R-CNN has classes 1.." + (k - 1) + " (an ignore label inside an instance?)");
                }
            }
            out.add(t);
        }
        return out;
    }

    private static LabelMap instanceMap(Batch b, int n) {
        if (b.instances == null) {
            throw new IllegalArgumentException("the batch of samples " + Arrays.toString(b.indices) + " has no"
                    + " instance labels; a Mask R-CNN trains on samples with an instance map");
        }
        int hw = b.height * b.width;
        return LabelMap.wrap(Arrays.copyOfRange(b.instances, n * hw, (n + 1) * hw), b.width, b.height);
    }

    private static LabelMap classMap(Batch b, int n) {
        int hw = b.height * b.width;
        return LabelMap.wrap(Arrays.copyOfRange(b.targets, n * hw, (n + 1) * hw), b.width, b.height);
    }
}
