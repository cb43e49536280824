package org.segmentation.nn.data;

import java.awt.image.BufferedImage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.io.ImageFiles;

/**
 * File decoding for {@link FolderDataset} and the bundled resources, on top of the library's {@link ImageFiles}
 * (which guards against hostile files) with its errors turned into {@link DatasetException}s. Safe to call from
 * several threads.
 */
final class DatasetImageReader {
    private DatasetImageReader() {
    }

    /**
     * Reads an image scaled to [0, 1] with {@code channels} channels ({@link ImageFiles#readUnitPlanar}).
     *
     * @throws DatasetException naming the file if it cannot be read or decoded
     */
    static PlanarF32 readImage(Path file, int channels) {
        try {
            return ImageFiles.readUnitPlanar(file, channels, ImageFiles.DEFAULT_MAX_PIXELS);
        } catch (IOException e) {
            // ImageFormatException's message starts with the file name.
            throw new DatasetException(file, "cannot read image file " + e.getMessage(), e);
        }
    }

    /**
     * Reads a label mask: a palette PNG gives each pixel's palette index (whatever the colours), a gray PNG each
     * pixel's raw value (8 or 16 bit).
     *
     * @throws DatasetException naming the file if it cannot be read, or is a colour image without a palette
     *     (whose colours would have to be mapped to labels)
     */
    static LabelMap readLabels(Path file) {
        try {
            return ImageFiles.readLabels(file);
        } catch (IOException e) {
            throw new DatasetException(file, "cannot read mask file " + e.getMessage(), e);
        }
    }

    /**
     * Reads a class-path resource next to this class as 8-bit gray.
     *
     * @throws java.io.UncheckedIOException naming the resource if it is missing or cannot be decoded
     */
    static GrayU8 readGrayResource(String name) {
        try (InputStream in = DatasetImageReader.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new FileNotFoundException("resource " + name + " next to " + DatasetImageReader.class.getName());
            }
            BufferedImage img = ImageIO.read(in);
            if (img == null) {
                throw new IOException("resource " + name + " is not a readable image");
            }
            return ConvertImage.toGrayU8(img, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name + ": " + e.getMessage(), e);
        }
    }
}
