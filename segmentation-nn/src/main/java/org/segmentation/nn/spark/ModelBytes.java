package org.segmentation.nn.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.predict.PredictorConfig;
import org.segmentation.nn.task.TrainedUNet;

/**
 * The files of a {@link TrainedUNet} model directory as bytes, to be broadcast once to every executor and turned
 * back into a model there by the library's own loader ({@link TrainedUNet#load}), with all its checks. Immutable.
 */
public final class ModelBytes implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final DirectoryBytes files;
    private final int channels;
    private final int outputChannels;

    private ModelBytes(String source, DirectoryBytes files, int channels, int outputChannels) {
        this.source = source;
        this.files = files;
        this.channels = channels;
        this.outputChannels = outputChannels;
    }

    /**
     * Reads a model directory (or the {@value TrainedUNet#MODEL_DIR} folder of a training output folder), after
     * loading it once on the driver so that a malformed model fails here rather than in every task.
     *
     * @throws java.io.FileNotFoundException naming {@code dir} if it holds no model
     * @throws org.segmentation.nn.io.ModelFormatException naming the file and the problem if it is malformed
     */
    public static ModelBytes read(Path dir) throws IOException {
        TrainedUNet model = TrainedUNet.load(dir);
        Path d = Files.isRegularFile(dir.resolve(ModelFiles.CONFIG)) ? dir : dir.resolve(TrainedUNet.MODEL_DIR);
        return new ModelBytes(d.toString(), DirectoryBytes.read(d, ModelFiles.CONFIG, ModelFiles.WEIGHTS),
                model.normalization().channels(), model.network().outputChannels());
    }

    /** {@link #read} and broadcast: each executor receives the bytes once, whatever its number of tasks. */
    public static Broadcast<ModelBytes> broadcast(JavaSparkContext sc, Path dir) throws IOException {
        return sc.broadcast(read(dir));
    }

    /**
     * A factory of {@link TrainedUNet#segmenter}s (whole-image prediction, as {@link TrainedUNet#segment} does) of
     * the broadcast model: each partition loads the model from the broadcast bytes once.
     *
     * @param instances watershed instances of a 3-class model instead of class ids
     * @throws IllegalArgumentException on the driver, naming the model, if {@code instances} is asked of a model
     *     without 3 classes
     */
    public static SegmenterFactory segmenterFactory(Broadcast<ModelBytes> model, String name, boolean instances) {
        ModelBytes bytes = model.value();
        if (instances && bytes.outputChannels != 3) {
            throw new IllegalArgumentException("instances need a 3-class model (background, interior, boundary); "
                    + bytes.source + " has " + bytes.outputChannels + " output channel(s)");
        }
        int channels = bytes.channels;
        return new SegmenterFactory() {
            private static final long serialVersionUID = 1L;

            @Override
            public org.segmentation.core.segment.Segmenter create() throws IOException {
                return model.value().load().segmenter(name, PredictorConfig.wholeImage(), instances);
            }

            @Override
            public int channels() {
                return channels;
            }
        };
    }

    /** Where the bytes were read from, for messages. */
    public String source() {
        return source;
    }

    /** The model's input channels. */
    public int channels() {
        return channels;
    }

    /** Total size of the files in bytes. */
    public long size() {
        return files.size();
    }

    /**
     * The model: the files written to a temporary directory, loaded by {@link TrainedUNet#load}, and deleted.
     *
     * @throws IOException if the temporary directory cannot be written
     */
    public TrainedUNet load() throws IOException {
        return files.withCopy("segmentation-model-", TrainedUNet::load);
    }
}
