package org.segmentation.nn.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.nn.data.Sample;
import org.segmentation.nn.data.SegmentationDataset;
import org.segmentation.nn.data.SyntheticCells;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.optim.Sgd;
import org.segmentation.nn.predict.InputNormalization;
import org.segmentation.nn.predict.Predictor;
import org.segmentation.nn.predict.PredictorConfig;
import org.segmentation.nn.train.LoggingListener;
import org.segmentation.nn.train.TrainingListener;
import org.segmentation.nn.train.TrainingListener.StepEnd;

/** The task-level entry points: train on a folder, save, load, and segment a file. */
class TaskApiTest {
    @TempDir
    static Path shared;
    static Path data;

    /** 12 synthetic 32x32 cell images (3 classes: background, interior, boundary) as PNG files. */
    @BeforeAll
    static void writeFolder() throws IOException {
        data = shared.resolve("data");
        SegmentationDataset cells = new SyntheticCells(new SyntheticCells.Config(32, 32, 2, 4, 0.5, 0.5, 0.02, 0.1))
                .dataset(12, 5L);
        Files.createDirectories(data.resolve("images"));
        Files.createDirectories(data.resolve("masks"));
        for (int i = 0; i < cells.size(); i++) {
            Sample s = cells.get(i);
            ImageFiles.writePng(ConvertImage.toU8(s.image().channel(0), 255f, null),
                    data.resolve("images").resolve("cell-" + i + ".png"));
            ImageFiles.writeLabels(s.target(), data.resolve("masks").resolve("cell-" + i + ".png"));
        }
    }

    @Test
    void readmeTrainOnAFolderThenLoadAndSegmentAFile(@TempDir Path dir) throws Exception {
        Path runs = dir.resolve("runs").resolve("cells");
        // --- README (train) begins
        UNetTraining.Result result = UNetTraining.onFolder(data)
                .epochs(20)
                .output(runs)                             // checkpoints last/ and best/, history, model/
                .listener(new LoggingListener(50))
                .train();
        // --- README (train) ends
        // --- README (predict) begins
        TrainedUNet model = TrainedUNet.load(runs);
        LabelMap labels = model.segment(data.resolve("images/cell-0.png"));
        System.out.println(model.classNames().get(labels.get(16, 16)));
        // --- README (predict) ends

        // The split holds out 20% (2 of 12 images, rounded down); 10 train images give 2 full batches of 4 per epoch.
        assertEquals(10, result.train().size());
        assertEquals(2, result.validation().size());
        double[] losses = result.history().losses();
        assertTrue(losses.length >= 2 * 10, "at least ten epochs ran: " + losses.length + " steps");
        assertTrue(mean(losses, losses.length - 4, losses.length) < 0.8 * mean(losses, 0, 4),
                "the loss falls by 20% at least: " + Arrays.toString(losses));
        assertTrue(Files.isDirectory(runs.resolve("last")) && Files.isDirectory(runs.resolve("best")));

        // The saved model predicts exactly what the trained one does, and records how to read its input.
        LabelMap direct = result.model().segment(data.resolve("images/cell-0.png"));
        assertArrayEquals(direct.data, labels.data);
        assertEquals(List.of("background", "class 1", "class 2"), model.classNames());
        JsonNode config = new ObjectMapper().readTree(runs.resolve("model").resolve(ModelFiles.CONFIG).toFile());
        assertEquals(2, config.get("format_version").intValue());
        assertEquals("unit", config.get("input").get("scale").textValue());
        assertEquals(0.0, config.get("input").get("mean").get(0).doubleValue());
        assertEquals(3, config.get("class_names").size());
        // A checkpoint carries the same fields, so best/ loads as a task-level model too.
        assertEquals(model.classNames(), TrainedUNet.load(runs.resolve("best")).classNames());
    }

    @Test
    void aModelSavedBeforeTheFormatRecordedItsInputStillLoads() throws Exception {
        // Written by UNet.save at format version 1 (a depth-1 U-Net, 1 channel, 2 classes, weights seed 7).
        Path old = Path.of(TaskApiTest.class.getResource("v1-model").toURI());
        assertEquals(1, new ObjectMapper().readTree(old.resolve(ModelFiles.CONFIG).toFile())
                .get("format_version").intValue());
        TrainedUNet model = TrainedUNet.load(old);
        assertEquals(InputNormalization.unit(1), model.normalization());
        assertEquals(List.of("background", "class 1"), model.classNames());
        PlanarF32 image = randomImage(1, 20, 12, 3);
        LabelMap expected = new Predictor(UNet.load(old), PredictorConfig.wholeImage()).labels(image);
        assertArrayEquals(expected.data, model.segment(image).data);
    }

    @Test
    void theNormalisationIsStoredAndAppliedToFilesAndBufferedImages(@TempDir Path dir) throws Exception {
        UNet net = new UNet(UNetConfig.of(1, 3).withDepth(1).withBaseFilters(4), 3);
        InputNormalization norm = new InputNormalization(1, new double[] {0.25}, new double[] {0.5});
        TrainedUNet model = new TrainedUNet(net, norm, List.of("bg", "inside", "edge"));
        model.save(dir.resolve("m"));
        TrainedUNet back = TrainedUNet.load(dir.resolve("m"));
        assertEquals(norm, back.normalization());
        assertEquals(List.of("bg", "inside", "edge"), back.classNames());

        Path file = data.resolve("images/cell-1.png");
        GrayU8 gray = ImageFiles.readGrayU8(file);
        PlanarF32 expectedInput = new PlanarF32(1, gray.width, gray.height);
        for (int i = 0; i < expectedInput.data.length; i++) {
            expectedInput.data[i] = ((gray.data[i] & 0xFF) / 255f - 0.25f) / 0.5f;
        }
        PlanarF32 input = back.input(file);
        assertArrayEquals(expectedInput.data, input.data, 1e-6f);
        LabelMap expected = new Predictor(back.network(), PredictorConfig.wholeImage()).labels(input);
        assertArrayEquals(expected.data, back.segment(file).data);
        BufferedImage img = ConvertImage.toBufferedImage(gray);
        assertArrayEquals(expected.data, back.segment(img).data);
        assertArrayEquals(expected.data, back.segmenter("unet", PredictorConfig.wholeImage(), false)
                .segment(gray).data, "the Segmenter view normalises the same way");
    }

    @Test
    void badInputsAreNamed(@TempDir Path dir) throws Exception {
        UNet net = new UNet(UNetConfig.of(1, 2).withDepth(1).withBaseFilters(2), 1);
        IllegalArgumentException names = assertThrows(IllegalArgumentException.class,
                () -> new TrainedUNet(net, InputNormalization.unit(1), List.of("only one")));
        assertTrue(names.getMessage().contains("2 class names"), names.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new TrainedUNet(net, InputNormalization.unit(3), List.of("a", "b")));
        assertThrows(IllegalArgumentException.class,
                () -> new InputNormalization(1, new double[] {0}, new double[] {0}));

        Path m = dir.resolve("m");
        new TrainedUNet(net, InputNormalization.unit(1), List.of("a", "b")).save(m);
        Path config = m.resolve(ModelFiles.CONFIG);
        Files.writeString(config, Files.readString(config).replace("\"unit\"", "\"raw\""));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TrainedUNet.load(m));
        assertTrue(e.getMessage().contains("input.scale"), e.getMessage());

        FileNotFoundException missing = assertThrows(FileNotFoundException.class,
                () -> TrainedUNet.load(dir.resolve("nothing")));
        assertTrue(missing.getMessage().contains("nothing"), missing.getMessage());
        IllegalArgumentException fraction = assertThrows(IllegalArgumentException.class,
                () -> UNetTraining.onFolder(data).validationFraction(1.0).train());
        assertTrue(fraction.getMessage().contains("validation fraction"), fraction.getMessage());
    }

    @Test
    void eachDefaultCanBeOverriddenOnItsOwn() throws Exception {
        List<Double> rates = new ArrayList<>();
        InputNormalization norm = new InputNormalization(1, new double[] {0.5}, new double[] {0.25});
        UNetTraining.Result r = UNetTraining.onFolder(data)
                .model(UNetConfig.of(1, 3).withDepth(1).withBaseFilters(4))
                .optimizer(p -> new Sgd(p, 0.05, 0.0, false, 0.0)).constantLearningRate()
                .normalization(norm).classNames(List.of("bg", "cell", "edge"))
                .validationFraction(0).augmentation(null).batchSize(2).maxSteps(3).seed(9)
                .listener(new TrainingListener() {
                    @Override
                    public void onStepEnd(StepEnd e) {
                        rates.add(e.learningRate());
                    }
                })
                .train();
        assertEquals(List.of(0.05, 0.05, 0.05), rates, "the given optimizer's rate, unscheduled");
        assertEquals(3, r.run().steps());
        assertEquals(null, r.validation(), "no validation set with fraction 0");
        assertEquals(12, r.train().size());
        assertEquals(1, r.model().network().config().depth());
        assertEquals(norm, r.model().normalization());
        assertEquals(List.of("bg", "cell", "edge"), r.model().classNames());

        // An optimizer over any other buffer than the model's would train nothing: refused before a step.
        UNet other = new UNet(UNetConfig.of(1, 3).withDepth(1).withBaseFilters(4), 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UNetTraining.onFolder(data)
                .model(UNetConfig.of(1, 3).withDepth(1).withBaseFilters(4))
                .optimizer(p -> new Sgd(other.parameters(), 0.05, 0.0, false, 0.0)).train());
        assertTrue(e.getMessage().contains("model.parameters()"), e.getMessage());
    }

    private static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    private static PlanarF32 randomImage(int channels, int w, int h, long seed) {
        Random rnd = new Random(seed);
        PlanarF32 p = new PlanarF32(channels, w, h);
        for (int i = 0; i < p.data.length; i++) {
            p.data[i] = rnd.nextFloat();
        }
        return p;
    }
}
