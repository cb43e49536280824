package org.segmentation.nn.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
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
    private final Map<String, byte[]> files;
    private final int channels;

    private ModelBytes(String source, Map<String, byte[]> files, int channels) {
        this.source = source;
        this.files = files;
        this.channels = channels;
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
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : new String[] {ModelFiles.CONFIG, ModelFiles.WEIGHTS}) {
            files.put(name, Files.readAllBytes(d.resolve(name)));
        }
        return new ModelBytes(d.toString(), files, model.normalization().channels());
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
     */
    public static SegmenterFactory segmenterFactory(Broadcast<ModelBytes> model, String name, boolean instances) {
        int channels = model.value().channels;
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
        return files.values().stream().mapToLong(b -> b.length).sum();
    }

    /**
     * The model: the files written to a temporary directory, loaded by {@link TrainedUNet#load}, and deleted.
     *
     * @throws IOException if the temporary directory cannot be written
     */
    public TrainedUNet load() throws IOException {
        Path dir = Files.createTempDirectory("segmentation-model-");
        try {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Files.write(dir.resolve(f.getKey()), f.getValue());
            }
            return TrainedUNet.load(dir);
        } finally {
            try (Stream<Path> all = Files.list(dir)) {
                for (Path f : (Iterable<Path>) all::iterator) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }
}
