package org.segmentation.nn.spark;

import java.nio.file.Path;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.nn.data.Augmentation;
import org.segmentation.nn.data.FolderDataset;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.loss.CeDiceLoss;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.task.UNetTraining;
import org.segmentation.nn.train.TrainerConfig;
import org.segmentation.nn.train.TrainerConfig.Interval;

/**
 * A U-Net with {@link UNetTraining}'s defaults as a {@link SparkTraining.Setup}: a folder of image/mask pairs
 * ({@link FolderDataset}, at a path every executor mounts) or synthetic cells, a softmax U-Net of the given depth
 * and width, cross-entropy plus soft Dice, Adam (betas 0.9, 0.999, eps 1e-8) at a constant rate, flips and quarter
 * turns ({@link UNetTraining#defaultAugmentation()}). Immutable; each {@code with...} returns a copy.
 *
 * @param folder the dataset folder ({@code images/}, {@code masks/}), or null for synthetic cells
 * @param channels image channels the network takes (1 or 3)
 * @param classes classes, background included, or {@link FolderDataset.Config#INFER} to infer them from the
 *     masks, which reads every mask whenever {@link #trainer()} is called (on the driver and in every task of every
 *     round): give the count for a large folder
 * @param syntheticCount number of synthetic images (used when {@code folder} is null)
 * @param syntheticSize side of the square synthetic images
 * @param depth U-Net depth
 * @param baseFilters filters of the first level
 * @param batchSize samples per step on each worker
 * @param epochs epochs over each worker's share
 * @param maxSteps steps per worker, or 0 for no limit but the epochs
 * @param learningRate Adam's rate
 * @param seed initial weights, batch order, augmentation and the synthetic data
 */
public record UNetSetup(String folder, int channels, int classes, int syntheticCount, int syntheticSize, int depth,
        int baseFilters, int batchSize, int epochs, long maxSteps, double learningRate, long seed)
        implements SparkTraining.Setup {

    /** Checks what can be checked without reading the data. */
    public UNetSetup {
        if (folder == null && (syntheticCount < 1 || syntheticSize < 16)) {
            throw new IllegalArgumentException("synthetic cells need a count >= 1 and a size >= 16, got "
                    + syntheticCount + " and " + syntheticSize);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (batchSize < 1 || epochs < 1 || maxSteps < 0 || !(learningRate > 0)) {
            throw new IllegalArgumentException("batchSize and epochs must be >= 1, maxSteps >= 0 and the learning"
                    + " rate > 0, got " + batchSize + ", " + epochs + ", " + maxSteps + ", " + learningRate);
        }
    }

    /** The folder {@code root} with 1 channel, classes inferred, and {@link UNetTraining}'s defaults. */
    public static UNetSetup onFolder(Path root) {
        return new UNetSetup(root.toAbsolutePath().toString(), 1, FolderDataset.Config.INFER, 0, 0,
                UNetTraining.DEFAULT_DEPTH, UNetTraining.DEFAULT_BASE_FILTERS, UNetTraining.DEFAULT_BATCH_SIZE,
                UNetTraining.DEFAULT_EPOCHS, 0, UNetTraining.DEFAULT_LEARNING_RATE, 0);
    }

    /** {@code count} synthetic cell images of {@code size}x{@code size} (3 classes), with the same defaults. */
    public static UNetSetup onSyntheticCells(int count, int size) {
        return new UNetSetup(null, 1, 3, count, size, UNetTraining.DEFAULT_DEPTH, UNetTraining.DEFAULT_BASE_FILTERS,
                UNetTraining.DEFAULT_BATCH_SIZE, UNetTraining.DEFAULT_EPOCHS, 0, UNetTraining.DEFAULT_LEARNING_RATE,
                0);
    }

    public UNetSetup withClasses(int classes) {
        return new UNetSetup(folder, channels, classes, syntheticCount, syntheticSize, depth, baseFilters, batchSize,
                epochs, maxSteps, learningRate, seed);
    }

    public UNetSetup withModel(int depth, int baseFilters) {
        return new UNetSetup(folder, channels, classes, syntheticCount, syntheticSize, depth, baseFilters, batchSize,
                epochs, maxSteps, learningRate, seed);
    }

    public UNetSetup withSchedule(int batchSize, int epochs, long maxSteps, double learningRate) {
        return new UNetSetup(folder, channels, classes, syntheticCount, syntheticSize, depth, baseFilters, batchSize,
                epochs, maxSteps, learningRate, seed);
    }

    public UNetSetup withSeed(long seed) {
        return new UNetSetup(folder, channels, classes, syntheticCount, syntheticSize, depth, baseFilters, batchSize,
                epochs, maxSteps, learningRate, seed);
    }

    @Override
    public TrainerConfig trainer() {
        int k = classes != FolderDataset.Config.INFER ? classes : data().numClasses();
        UNet net = new UNet(UNetConfig.of(channels, k).withDepth(depth).withBaseFilters(baseFilters), seed);
        return TrainerConfig.builder(net, new CeDiceLoss(), Adam.adam(net.parameters(), learningRate, 0.9, 0.999,
                1e-8, 0)).batchSize(batchSize).epochs(epochs).maxSteps(maxSteps).validateEvery(Interval.never())
                .seed(seed).build();
    }

    /**
     * The folder's pairs, or the synthetic cells.
     *
     * @throws org.segmentation.nn.data.DatasetException naming the file or folder if the folder is not a dataset
     */
    @Override
    public SegmentationDataset data() {
        if (folder == null) {
            SyntheticCells.Config d = SyntheticCells.Config.defaults();
            return new SyntheticCells(new SyntheticCells.Config(syntheticSize, syntheticSize, d.minCells(),
                    d.maxCells(), d.touchingFraction(), d.blurSigma(), d.noiseSigma(), d.illumination()))
                    .dataset(syntheticCount, seed);
        }
        return FolderDataset.open(Path.of(folder), new FolderDataset.Config(channels, classes, IgnoreLabel.NONE));
    }

    @Override
    public Augmentation augmentation() {
        return UNetTraining.defaultAugmentation();
    }
}
