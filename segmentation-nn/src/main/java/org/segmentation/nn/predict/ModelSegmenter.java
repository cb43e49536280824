package org.segmentation.nn.predict;

import java.util.Objects;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.segment.Segmenter;
import org.segmentation.core.segment.SegmenterInput;
import org.segmentation.nn.model.SegmentationModel;

/**
 * A trained network (any {@link SegmentationModel}) as a {@link Segmenter}: a {@link Predictor} on the input's
 * planar view, whose labels are the predicted classes ({@link Segmenter.Output#CLASSES}) or, for a 3-class
 * (background, interior, boundary) model, the watershed instances ({@link Segmenter.Output#INSTANCES}, 0
 * background, objects 1..n, see {@link Predictor#instances}).
 *
 * <p>The input's planar view (intensities in [0, 1]) is normalised as the model was trained
 * ({@link InputNormalization}). An image whose channel count differs from the model's is converted first: colour to
 * BT.601 gray, gray replicated into R, G and B (through the input's 8-bit views).
 */
public final class ModelSegmenter implements Segmenter {
    private final String name;
    private final Predictor predictor;
    private final int channels;
    private final InputNormalization normalization;
    private final boolean instances;
    private final InstanceConfig instanceConfig;

    private ModelSegmenter(String name, Predictor predictor, InputNormalization normalization, boolean instances,
            InstanceConfig instanceConfig) {
        this.name = name;
        this.predictor = predictor;
        this.channels = normalization.channels();
        this.normalization = normalization;
        this.instances = instances;
        this.instanceConfig = instanceConfig;
    }

    /**
     * A segmenter predicting with {@code model}, trained on intensities in [0, 1]
     * ({@link InputNormalization#unit}), under {@code config}; see
     * {@link #of(String, SegmentationModel, InputNormalization, PredictorConfig, boolean)}.
     */
    public static ModelSegmenter of(String name, SegmentationModel model, PredictorConfig config, boolean instances) {
        return of(name, model, InputNormalization.unit(model.inputChannels()), config, instances);
    }

    /**
     * A segmenter predicting with {@code model} under {@code config} on images normalised by {@code normalization};
     * with {@code instances}, decoding the instances with {@link InstanceConfig#defaults()}.
     *
     * @throws IllegalArgumentException if {@code instances} is asked of a model without 3 output channels, or the
     *     normalisation's channels are not the model's
     */
    public static ModelSegmenter of(String name, SegmentationModel model, InputNormalization normalization,
            PredictorConfig config, boolean instances) {
        Objects.requireNonNull(name, "name");
        if (normalization.channels() != model.inputChannels()) {
            throw new IllegalArgumentException("the normalisation has " + normalization.channels()
                    + " channel(s), the model takes " + model.inputChannels());
        }
        if (instances && model.outputChannels() != 3) {
            throw new IllegalArgumentException("instances need a 3-class model (background, interior, boundary);"
                    + " this one has " + model.outputChannels() + " output channel(s)");
        }
        return new ModelSegmenter(name, new Predictor(model, config), normalization, instances,
                InstanceConfig.defaults());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Output output() {
        return instances ? Output.INSTANCES : Output.CLASSES;
    }

    /** The predictor this segmenter runs. */
    public Predictor predictor() {
        return predictor;
    }

    @Override
    public LabelMap segment(SegmenterInput input) {
        PlanarF32 image = normalization.apply(channels(input));
        return instances ? predictor.instances(image, instanceConfig) : predictor.labels(image);
    }

    @Override
    public String toString() {
        return name + " (" + output() + ")";
    }

    private PlanarF32 channels(SegmenterInput in) {
        PlanarF32 image = in.image();
        if (image.channels == channels) {
            return image;
        }
        if (channels == 1) {
            PlanarF32 out = new PlanarF32(1, image.width, image.height);
            ConvertImage.toF32(in.gray(), 1f / 255f, out.channel(0));
            return out;
        }
        if (channels == 3) {
            return ConvertImage.toPlanar(in.rgb(), 1f / 255f, null);
        }
        throw new IllegalArgumentException("image " + in.id() + " has " + image.channels + " channels, the model "
                + "takes " + channels);
    }
}
