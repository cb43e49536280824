package org.segmentation.bench.cli;

import java.awt.image.BufferedImage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.image.RgbU8;
import org.segmentation.core.io.ImageFiles;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.model.UNet;

/** Model directories and images as the U-Net commands read them. */
final class ModelDirs {
    /** The final model inside a {@code seg train --out} folder. */
    static final String MODEL = "model";

    private ModelDirs() {
    }

    /**
     * Loads a U-Net from a model directory ({@code config.json} + weights), or from the {@code model/} folder
     * inside a {@code seg train --out} folder.
     *
     * @throws FileNotFoundException naming {@code dir} if it holds no model
     * @throws IOException naming the file if the model is malformed
     */
    static UNet load(Path dir) throws IOException {
        Path d = resolve(dir);
        try {
            return UNet.load(d);
        } catch (IOException | RuntimeException e) {
            throw new IOException("model " + d + ": " + SegCli.oneLine(e), e);
        }
    }

    static Path resolve(Path dir) throws FileNotFoundException {
        if (!Files.isDirectory(dir)) {
            throw new FileNotFoundException("model folder " + dir + (Files.exists(dir) ? " is not a folder"
                    : " does not exist"));
        }
        if (Files.isRegularFile(dir.resolve(ModelFiles.CONFIG))) {
            return dir;
        }
        Path inner = dir.resolve(MODEL);
        if (Files.isRegularFile(inner.resolve(ModelFiles.CONFIG))) {
            return inner;
        }
        throw new FileNotFoundException("model folder " + dir + " holds no " + ModelFiles.CONFIG + " (nor does "
                + inner + ")");
    }

    /**
     * Reads an image scaled to [0, 1] with {@code channels} channels: 1 converts colour to gray (BT.601), 3
     * replicates gray; 16-bit gray keeps its precision with one channel. The same conversion as a
     * {@code FolderDataset}, so a model sees at prediction what it saw in training.
     *
     * @throws FileNotFoundException naming the file if it does not exist
     * @throws IOException naming the file if it cannot be decoded
     */
    static PlanarF32 readImage(Path file, int channels) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new FileNotFoundException("input image " + file + (Files.exists(file) ? " is not a file"
                    : " does not exist"));
        }
        BufferedImage img = ImageFiles.readBufferedImage(file, ImageFiles.DEFAULT_MAX_PIXELS);
        PlanarF32 out = new PlanarF32(channels, img.getWidth(), img.getHeight());
        if (channels == 1) {
            if (ConvertImage.isGray16(img)) {
                ConvertImage.toF32(ConvertImage.toGrayU16(img, null), 1f / 65535f, out.channel(0));
            } else {
                ConvertImage.toF32(ConvertImage.toGrayU8(img, null), 1f / 255f, out.channel(0));
            }
        } else {
            RgbU8 rgb = ConvertImage.toRgb(img, null);
            ConvertImage.toPlanar(rgb, 1f / 255f, out);
        }
        return out;
    }
}
