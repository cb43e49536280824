package org.segmentation.bench.eval;

import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.nn.model.SegmentationModel;
import org.segmentation.nn.predict.InstanceConfig;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;

/** Trained U-Nets (any {@link SegmentationModel}) as {@link Segmenter}s running a {@link Predictor}. */
public final class UNetSegmenters {
    private UNetSegmenters() {
    }

    /**
     * A segmenter whose labels are the predicted classes ({@link Segmenter.Output#CLASSES}: the model's class
     * indices, scored against the dataset's targets) or, with {@code instances}, the watershed instances of a
     * 3-class (background, interior, boundary) model ({@link Segmenter.Output#INSTANCES}: 0 background, cells
     * 1..n). Images whose channel count differs from the model's are converted: colour to BT.601 gray, gray
     * replicated into R, G and B.
     *
     * @throws IllegalArgumentException if {@code instances} is asked of a model without 3 output channels
     */
    public static Segmenter of(String name, SegmentationModel model, PredictorConfig config, boolean instances) {
        if (instances && model.outputChannels() != 3) {
            throw new IllegalArgumentException("instances need a 3-class model (background, interior, boundary);"
                    + " this one has " + model.outputChannels() + " output channel(s)");
        }
        Predictor predictor = new Predictor(model, config);
        int channels = model.inputChannels();
        InstanceConfig ic = InstanceConfig.defaults();
        return Segmenter.of(name, instances ? Segmenter.Output.INSTANCES : Segmenter.Output.CLASSES, in -> {
            PlanarF32 image = channels(in, channels);
            return instances ? predictor.instances(image, ic) : predictor.labels(image);
        });
    }

    private static PlanarF32 channels(SegmenterInput in, int channels) {
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
