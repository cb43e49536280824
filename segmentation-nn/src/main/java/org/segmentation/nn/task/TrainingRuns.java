package org.segmentation.nn.task;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.segmentation.core.io.AtomicFiles;
import org.segmentation.nn.data.Augmentation;
import org.segmentation.nn.data.DatasetSplit;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.train.Trainer;
import org.segmentation.nn.train.TrainerConfig;
import org.segmentation.nn.train.TrainingListener;
import org.segmentation.nn.train.TrainingResult;

/**
 * What {@link UNetTraining} and {@link MaskRCNNTraining} do alike around the {@link Trainer}, whatever the network:
 * hold out the validation data, check the checkpoint folder a run resumes from, and fill the output folder (the
 * checkpoints while training, then the final model and the history). Kept in one place so that both recipes lay out
 * their output folder the same way and word their errors the same way.
 */
final class TrainingRuns {
    private TrainingRuns() {
    }

    /** Writes a trained model as a model directory, as {@link TrainedUNet#save} and {@link TrainedMaskRCNN#save} do. */
    @FunctionalInterface
    interface ModelWriter {
        void save(Path dir) throws IOException;
    }

    /**
     * The data a run trains on and validates on.
     *
     * @param train the training data
     * @param validation the validation data, or null for none
     */
    record Split(SegmentationDataset train, SegmentationDataset validation) {
    }

    /**
     * Checks a held-out fraction before anything is read, so that a bad setting is reported rather than a problem
     * with the data.
     *
     * @throws IllegalArgumentException if the fraction is not in [0, 1)
     */
    static void checkValidationFraction(double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("the validation fraction must be in [0, 1), got " + fraction);
        }
    }

    /**
     * All of {@code data} and {@code validation} when a validation set is given; otherwise {@code fraction} of
     * {@code data} held out, drawn with {@code seed} ({@link DatasetSplit#random}). A split that holds out nothing
     * (a fraction of 0, or one too small for the data) leaves the run without validation.
     */
    static Split split(SegmentationDataset data, SegmentationDataset validation, double fraction, long seed) {
        if (validation != null || fraction <= 0) {
            return new Split(data, validation);
        }
        DatasetSplit split = DatasetSplit.random(data, fraction, seed);
        return new Split(split.train(), split.validation().size() == 0 ? null : split.validation());
    }

    /**
     * The checkpoint folder that {@code given} names, found as {@link AtomicFiles#existingDirectory} finds it (so
     * that a checkpoint whose replacement was interrupted is still found).
     *
     * @throws FileNotFoundException naming the folder if it does not exist or is not a folder
     */
    static Path checkpointFolder(Path given) throws IOException {
        Path dir = AtomicFiles.existingDirectory(given);
        if (!Files.isDirectory(dir)) {
            throw new FileNotFoundException("checkpoint folder " + dir + (Files.exists(dir)
                    ? " is not a folder" : " does not exist"));
        }
        return dir;
    }

    /**
     * The trainer of {@code config}: with an {@code output} folder it writes a checkpoint there every epoch, whose
     * {@code config.json} holds {@code modelConfig} so that the checkpoint loads as the model; with
     * {@code resumeFrom} it continues from that checkpoint folder.
     *
     * @param modelConfig asked for only when there is an output folder
     * @throws IOException if the checkpoint to resume from cannot be read
     */
    static Trainer trainer(TrainerConfig.Builder config, Supplier<Map<String, Object>> modelConfig,
            List<TrainingListener> listeners, Path output, Path resumeFrom) throws IOException {
        if (output != null) {
            config.checkpoints(output, 1, modelConfig.get());
        }
        Trainer trainer = new Trainer(config.build(), listeners.toArray(new TrainingListener[0]));
        if (resumeFrom != null) {
            trainer.resume(resumeFrom);
        }
        return trainer;
    }

    /** Creates the output folder (when there is one) before the first step, then trains. */
    static TrainingResult fit(Trainer trainer, Path output, SegmentationDataset train, Augmentation augmentation,
            SegmentationDataset validation) throws IOException {
        if (output != null) {
            Files.createDirectories(output);
        }
        return trainer.fit(train, augmentation, validation);
    }

    /**
     * With an output folder: the final model into its {@value TrainedUNet#MODEL_DIR}/ and the run's history files
     * beside the checkpoints. Without one, nothing.
     */
    static void saveModelAndHistory(Path output, ModelWriter model, TrainingResult run) throws IOException {
        if (output != null) {
            model.save(output.resolve(TrainedUNet.MODEL_DIR));
            run.history().write(output);
        }
    }
}
