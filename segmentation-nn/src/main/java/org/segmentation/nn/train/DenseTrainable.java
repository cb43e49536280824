package org.segmentation.nn.train;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.metrics.ConfusionMatrix;
import org.segmentation.nn.Memory;
import org.segmentation.nn.data.Batch;
import org.segmentation.nn.data.BatchLoader;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.loss.Loss;
import org.segmentation.nn.loss.LossResult;
import org.segmentation.nn.model.SegmentationModel;
import org.segmentation.nn.param.ParameterBuffer;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;

/**
 * A per-pixel network and its loss as the {@link Trainer} trains them: the batch images (N,C,H,W) in, logits
 * (N,K,H,W) out, the loss against the batch labels (N,H,W) for a K-class model or the labels as 0/1
 * probabilities (N,1,H,W) for a one-channel (sigmoid) model; validation by mean IoU, Dice and pixel accuracy.
 * Before each step the model's dropout is reseeded ({@link SegmentationModel#reseed}) with the step's seed.
 *
 * <p>Training batches must have heights and widths that are multiples of the model's
 * {@link SegmentationModel#sizeMultiple()}; validation images of any size are reflected up to one and cropped
 * back, as {@link Predictor} does.
 *
 * <p>The training inputs are copied into arrays allocated once and reused while the batch shape stays the same,
 * so no per-step native memory waits for the garbage collector. One thread at a time.
 */
public final class DenseTrainable implements Trainable {
    private final SegmentationModel model;
    private final Loss loss;
    private final Inputs inputs = new Inputs();

    /**
     * @param model the network
     * @param loss the training loss
     * @throws IllegalArgumentException if the model or the loss is missing
     */
    public DenseTrainable(SegmentationModel model, Loss loss) {
        if (model == null || loss == null) {
            throw new IllegalArgumentException("model and loss are required, got model=" + model + ", loss=" + loss);
        }
        this.model = model;
        this.loss = loss;
    }

    public SegmentationModel model() {
        return model;
    }

    public Loss loss() {
        return loss;
    }

    @Override
    public ParameterBuffer parameters() {
        return model.parameters();
    }

    @Override
    public Map<String, INDArray> buffers() {
        return model.buffers();
    }

    @Override
    public void setTraining(boolean training) {
        model.setTraining(training);
    }

    @Override
    public void checkDataset(String what, SegmentationDataset d) {
        int k = model.outputChannels();
        if (d.channels() != model.inputChannels()) {
            throw new IllegalArgumentException("the " + what + " has " + d.channels() + " channels, the model takes "
                    + model.inputChannels());
        }
        int classes = k == 1 ? 2 : k;
        if (d.numClasses() != classes) {
            throw new IllegalArgumentException("the " + what + " has " + d.numClasses() + " classes, the model's "
                    + k + " output channel(s) need " + classes);
        }
    }

    @Override
    public double trainStep(Batch batch, long seed) {
        int m = model.sizeMultiple();
        if (batch.height % m != 0 || batch.width % m != 0) {
            throw new IllegalArgumentException("training batch of " + batch.height + "x" + batch.width
                    + " pixels: height and width must be multiples of " + m + " for this model; crop or pad");
        }
        DataType dt = model.parameters().dataType();
        try {
            INDArray x = inputs.images(batch, dt);
            INDArray target = inputs.target(batch, model.outputChannels(), dt);
            model.reseed(seed);
            INDArray logits = model.forward(x);
            LossResult r;
            try {
                r = loss.computeDetached(logits, target);
            } finally {
                Memory.free(logits);
            }
            INDArray dLogits = r.dLogits();
            try {
                if (Double.isFinite(r.loss())) {
                    model.backward(dLogits);
                }
            } finally {
                Memory.free(dLogits);
            }
            return r.loss();
        } finally {
            inputs.release();
        }
    }

    @Override
    public ValidationResult validate(BatchLoader loader, long step, long epoch) {
        return evaluate(model, loss, loader, step, epoch);
    }

    /** {@link #validate} of any model and loss ({@link Trainer#evaluate} without a trainer). */
    static ValidationResult evaluate(SegmentationModel model, Loss loss, BatchLoader loader, long step, long epoch) {
        SegmentationDataset data = loader.dataset();
        int k = model.outputChannels();
        ConfusionMatrix cm = new ConfusionMatrix(k == 1 ? 2 : k, data.ignoreLabel());
        DataType dt = model.parameters().dataType();
        double weightedLoss = 0;
        long pixels = 0;
        Inputs inputs = new Inputs();
        model.setTraining(false);
        for (Iterator<Batch> it = loader.epoch(0); it.hasNext(); ) {
            Batch batch = it.next();
            int hw = batch.height * batch.width;
            float[] scores;
            INDArray x = inputs.images(batch, dt);
            INDArray logits = forwardPadded(model, x);
            INDArray target = inputs.target(batch, k, dt);
            try (MemoryWorkspace ws = Memory.scratch()) {
                LossResult r = loss.compute(logits, target);
                weightedLoss += r.loss() * batch.size * hw;
                pixels += (long) batch.size * hw;
                scores = logits.castTo(DataType.FLOAT).dup('c').data().asFloat();
            } finally {
                Memory.free(logits);
                inputs.release();
            }
            int perSample = k * hw;
            for (int n = 0; n < batch.size; n++) {
                int[] truth = new int[hw];
                System.arraycopy(batch.targets, batch.targetOffset(n), truth, 0, hw);
                PlanarF32 sample = PlanarF32.wrap(Arrays.copyOfRange(scores, n * perSample, (n + 1) * perSample), k,
                        batch.width, batch.height);
                cm.add(LabelMap.wrap(truth, batch.width, batch.height), Predictor.labelsOfLogits(sample));
            }
        }
        return new ValidationResult(step, epoch, pixels == 0 ? Double.NaN : weightedLoss / pixels, cm.meanIoU(),
                cm.meanDice(), cm.pixelAccuracy(), cm.iou(), cm.dice());
    }

    /**
     * The logits of images of any size, as {@link Predictor} computes them: extended at the bottom and right to
     * a multiple of the model's size multiple by reflection, and cropped back. Training crops its samples to a
     * valid size, but validation images are used whole.
     */
    private static INDArray forwardPadded(SegmentationModel model, INDArray x) {
        long h = x.size(2), w = x.size(3);
        int m = model.sizeMultiple();
        long ph = (h + m - 1) / m * m, pw = (w + m - 1) / m * m;
        if (ph == h && pw == w) {
            return model.forward(x);
        }
        INDArray padded = Predictor.pad(x, ph - h, pw - w, PredictorConfig.Padding.REFLECT);
        INDArray full = model.forward(padded);
        Memory.free(padded);
        INDArray logits = full.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, h),
                NDArrayIndex.interval(0, w)).dup('c');
        Memory.free(full);
        return logits;
    }

    /**
     * The network inputs of a batch in arrays allocated outside every workspace and reused while the batch shape
     * stays the same: filling them from the batch's Java arrays is one bulk copy each and allocates nothing.
     */
    private static final class Inputs {
        private INDArray images;  // (N,C,H,W) FLOAT
        private INDArray labels;  // (N,H,W) INT32
        // images and labels converted for this batch, null if none; freed by release()
        private INDArray cast;
        private INDArray castLabels;

        /** The batch's images as (N,C,H,W) of {@code dt}. */
        INDArray images(Batch b, DataType dt) {
            long[] shape = {b.size, b.channels, b.height, b.width};
            if (images == null || !Arrays.equals(images.shape(), shape)) {
                try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                    images = Nd4j.create(DataType.FLOAT, shape);
                }
            }
            images.data().setData(b.images);
            if (dt == DataType.FLOAT) {
                return images;
            }
            cast = images.castTo(dt);                     // detached: no workspace is open here
            return cast;
        }

        /** Labels (N,H,W) for a K-class model, 0/1 probabilities (N,1,H,W) of {@code dt} for a one-channel one. */
        INDArray target(Batch b, int k, DataType dt) {
            long[] shape = {b.size, b.height, b.width};
            if (labels == null || !Arrays.equals(labels.shape(), shape)) {
                try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                    labels = Nd4j.create(DataType.INT32, shape);
                }
            }
            labels.data().setData(b.targets);
            if (k != 1) {
                return labels;
            }
            castLabels = labels.castTo(dt);
            return castLabels.reshape(b.size, 1, b.height, b.width);
        }

        /** Frees the converted arrays of the last batch. */
        void release() {
            Memory.free(cast, castLabels);
            cast = null;
            castLabels = null;
        }
    }
}
