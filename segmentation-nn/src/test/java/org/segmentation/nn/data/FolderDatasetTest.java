package org.segmentation.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.label.IgnoreLabel;

class FolderDatasetTest {
    @TempDir
    Path root;

    private static final FolderDataset.Config RGB_INFER = new FolderDataset.Config(3, FolderDataset.Config.INFER,
            IgnoreLabel.NONE);

    /** A random RGB image; returns its packed 0xRRGGBB pixels, row-major. */
    private int[] writeRgb(String name, int w, int h, long seed) throws IOException {
        Random rng = new Random(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] rgb = new int[w * h];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = rng.nextInt(1 << 24);
        }
        img.setRGB(0, 0, w, h, rgb, 0, w);
        write(img, "images", name);
        return rgb;
    }

    private void writeGrayMask(String name, int w, int h, int[] labels) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSamples(0, 0, w, h, 0, labels);
        write(img, "masks", name);
    }

    /** A palette mask whose colours are unrelated to the indices: index 1 is white, 2 is black, 0 is red. */
    private void writePaletteMask(String name, int w, int h, int[] labels) throws IOException {
        byte[] r = {(byte) 255, (byte) 255, 0, 0};
        byte[] g = {0, (byte) 255, 0, (byte) 255};
        byte[] b = {0, (byte) 255, 0, 0};
        IndexColorModel cm = new IndexColorModel(8, 4, r, g, b);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, cm);
        img.getRaster().setSamples(0, 0, w, h, 0, labels);
        write(img, "masks", name);
    }

    private void write(BufferedImage img, String dir, String name) throws IOException {
        Files.createDirectories(root.resolve(dir));
        assertTrue(ImageIO.write(img, "png", root.resolve(dir).resolve(name).toFile()));
    }

    private static int[] labels(int n, int numLabels, long seed) {
        Random rng = new Random(seed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = rng.nextInt(numLabels);
        }
        return out;
    }

    @Test
    void roundTripGrayAndPaletteMasks() throws IOException {
        int[] rgbA = writeRgb("a.png", 5, 4, 1);
        int[] rgbB = writeRgb("b.png", 3, 6, 2);
        int[] labelsA = labels(20, 3, 3);
        int[] labelsB = labels(18, 4, 4);
        labelsB[0] = 3;
        writeGrayMask("a.png", 5, 4, labelsA);
        writePaletteMask("b.png", 3, 6, labelsB);

        FolderDataset ds = FolderDataset.open(root, RGB_INFER);
        assertEquals(2, ds.size());
        assertEquals(4, ds.numClasses(), "largest label 3 + 1");
        assertEquals(3, ds.channels());
        assertEquals(root.resolve("masks/b.png"), ds.maskFile(1));
        Sample a = ds.get(0);
        Sample b = ds.get(1);
        assertArrayEquals(labelsA, a.target().data);
        assertArrayEquals(labelsB, b.target().data, "palette masks give the palette index, not a colour");
        assertEquals(3, b.width());
        assertEquals(6, b.height());
        for (int i = 0; i < 20; i++) {
            // PNG is lossless: the floats are exactly byte * (1/255f), as ConvertImage scales.
            assertEquals((rgbA[i] >> 16 & 0xFF) * (1f / 255f), a.image().data[i]);
            assertEquals((rgbA[i] >> 8 & 0xFF) * (1f / 255f), a.image().data[20 + i]);
            assertEquals((rgbA[i] & 0xFF) * (1f / 255f), a.image().data[40 + i]);
        }

        FolderDataset gray = FolderDataset.open(root, new FolderDataset.Config(1, 5, IgnoreLabel.NONE));
        assertEquals(5, gray.numClasses());
        Sample g = gray.get(1);
        assertEquals(1, g.channels());
        for (int i = 0; i < 18; i++) {
            int p = rgbB[i];
            assertEquals(ConvertImage.luma(p >> 16 & 0xFF, p >> 8 & 0xFF, p & 0xFF) * (1f / 255f), g.image().data[i]);
        }
    }

    @Test
    void sixteenBitMasksAndImagesKeepTheirValues() throws IOException {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_USHORT_GRAY);
        int[] pixels = {0, 1, 1000, 30000, 65534, 65535};
        img.getRaster().setSamples(0, 0, 3, 2, 0, pixels);
        write(img, "images", "deep.png");
        BufferedImage mask = new BufferedImage(3, 2, BufferedImage.TYPE_USHORT_GRAY);
        int[] labels = {0, 300, 2, 0, 1, 299};
        mask.getRaster().setSamples(0, 0, 3, 2, 0, labels);
        write(mask, "masks", "deep.png");
        FolderDataset ds = FolderDataset.open(root,
                new FolderDataset.Config(1, FolderDataset.Config.INFER, IgnoreLabel.NONE));
        assertEquals(301, ds.numClasses());
        Sample s = ds.get(0);
        assertArrayEquals(labels, s.target().data);
        for (int i = 0; i < 6; i++) {
            // 16-bit samples scale by 1/65535 without a detour through 8 bits.
            assertEquals(pixels[i] * (1f / 65535f), s.image().data[i]);
        }
    }

    @Test
    void ignoreLabelIsNotCountedAsAClass() throws IOException {
        writeRgb("x.png", 4, 4, 5);
        int[] labels = labels(16, 2, 6);
        labels[3] = 255;
        writeGrayMask("x.png", 4, 4, labels);
        FolderDataset ds = FolderDataset.open(root,
                new FolderDataset.Config(3, FolderDataset.Config.INFER, IgnoreLabel.of(255)));
        assertEquals(2, ds.numClasses());
        assertEquals(IgnoreLabel.of(255), ds.ignoreLabel());
        assertEquals(255, ds.get(0).target().data[3]);
    }

    @Test
    void imageWithoutMaskIsNamed() throws IOException {
        writeRgb("a.png", 4, 4, 1);
        writeRgb("lonely.png", 4, 4, 2);
        writeGrayMask("a.png", 4, 4, labels(16, 2, 1));
        DatasetException e = assertThrows(DatasetException.class, () -> FolderDataset.open(root, RGB_INFER));
        assertEquals(root.resolve("images/lonely.png"), e.file());
        assertTrue(e.getMessage().contains("lonely.png") && e.getMessage().contains("no mask"), e.getMessage());
    }

    @Test
    void maskWithoutImageIsNamed() throws IOException {
        writeRgb("a.png", 4, 4, 1);
        writeGrayMask("a.png", 4, 4, labels(16, 2, 1));
        writeGrayMask("orphan.png", 4, 4, labels(16, 2, 1));
        DatasetException e = assertThrows(DatasetException.class, () -> FolderDataset.open(root, RGB_INFER));
        assertEquals(root.resolve("masks/orphan.png"), e.file());
    }

    @Test
    void missingFolderIsNamed() {
        DatasetException e = assertThrows(DatasetException.class, () -> FolderDataset.open(root, RGB_INFER));
        assertEquals(root.resolve("images"), e.file());
    }

    @Test
    void sizeMismatchIsNamed() throws IOException {
        writeRgb("a.png", 4, 4, 1);
        writeGrayMask("a.png", 4, 5, labels(20, 2, 1));
        FolderDataset ds = FolderDataset.open(root, RGB_INFER);
        DatasetException e = assertThrows(DatasetException.class, () -> ds.get(0));
        assertEquals(root.resolve("masks/a.png"), e.file());
        assertTrue(e.getMessage().contains("4x5") && e.getMessage().contains("4x4"), e.getMessage());
    }

    @Test
    void labelOutsideTheClassesIsNamed() throws IOException {
        writeRgb("a.png", 4, 4, 1);
        int[] labels = new int[16];
        labels[6] = 3;
        writeGrayMask("a.png", 4, 4, labels);
        FolderDataset ds = FolderDataset.open(root, new FolderDataset.Config(3, 2, IgnoreLabel.NONE));
        DatasetException e = assertThrows(DatasetException.class, () -> ds.get(0));
        assertEquals(root.resolve("masks/a.png"), e.file());
        assertTrue(e.getMessage().contains("label 3") && e.getMessage().contains("(2, 1)"), e.getMessage());
    }

    @Test
    void unreadableAndColourMasksAreNamed() throws IOException {
        writeRgb("a.png", 4, 4, 1);
        Files.createDirectories(root.resolve("masks"));
        Files.write(root.resolve("masks/a.png"), new byte[] {1, 2, 3, 4});
        FolderDataset ds = FolderDataset.open(root, new FolderDataset.Config(3, 2, IgnoreLabel.NONE));
        DatasetException e = assertThrows(DatasetException.class, () -> ds.get(0));
        assertEquals(root.resolve("masks/a.png"), e.file());

        BufferedImage rgbMask = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        write(rgbMask, "masks", "a.png");
        e = assertThrows(DatasetException.class, () -> ds.get(0));
        assertTrue(e.getMessage().contains("palette"), e.getMessage());

        Files.delete(root.resolve("masks/a.png"));
        Files.write(root.resolve("masks/a.jpg"), new byte[] {1});
        e = assertThrows(DatasetException.class, () -> FolderDataset.open(root, RGB_INFER));
        assertEquals(root.resolve("masks/a.jpg"), e.file());
    }

    @Test
    void badConfigIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new FolderDataset.Config(2, 3, IgnoreLabel.NONE));
        assertThrows(IllegalArgumentException.class, () -> new FolderDataset.Config(1, 3, IgnoreLabel.of(2)));
    }
}
