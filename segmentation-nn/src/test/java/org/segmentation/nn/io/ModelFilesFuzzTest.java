package org.segmentation.nn.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.segmentation.nn.model.ModelWeights;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;
import org.segmentation.nn.task.TrainedUNet;

/**
 * Coverage-guided fuzz tests of the model readers (Jazzer): whatever the bytes of a {@code .safetensors} file or
 * of a model folder's {@code config.json}, reading returns or throws {@link ModelFormatException}; any other
 * exception, an {@link OutOfMemoryError} or a hang is a finding. Seeds and crash reproducers live in
 * {@code ModelFilesFuzzTestInputs/<target>/}; see {@code org.segmentation.core.io.ReaderFuzzTest} for how the
 * two modes run.
 */
@Tag("fuzz")   // its own surefire execution, with the heap that Jazzer's class-path scan needs
class ModelFilesFuzzTest {
    private static final Path DIR = scratchModel();

    /** A folder with the weights of a tiny U-Net (no save id, so that any config may be paired with them). */
    private static Path scratchModel() {
        try {
            Path dir = Files.createTempDirectory("fuzz-model");
            UNet net = new UNet(UNetConfig.of(1, 3).withDepth(2).withBaseFilters(4), 1);
            SafeTensors.write(dir.resolve(ModelFiles.WEIGHTS), new TensorFile(ModelWeights.toTensors(net).tensors(),
                    Map.of()));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "15s")
    void safetensors(byte[] data) throws IOException {
        Path f = DIR.resolve("fuzz.safetensors");
        Files.write(f, data);
        try {
            SafeTensors.read(f);
        } catch (ModelFormatException expected) {
            // refused: the contract
        }
    }

    @FuzzTest(maxDuration = "15s")
    void config(byte[] data) throws IOException {
        Files.write(DIR.resolve(ModelFiles.CONFIG), data);
        try {
            TrainedUNet.load(DIR);
        } catch (ModelFormatException expected) {
            // refused: the contract
        }
    }
}
