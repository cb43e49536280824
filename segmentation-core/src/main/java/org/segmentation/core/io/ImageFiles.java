package org.segmentation.core.io;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.Palette;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.image.RgbU8;

/**
 * Reads PNG, JPEG, TIFF and BMP files and writes PNG files, through {@code javax.imageio}.
 *
 * <p><b>Reading.</b> The format is recognised from the file's content, not its name. Before any pixel is
 * decoded the header's {@code width*height} is checked against a limit ({@link #DEFAULT_MAX_PIXELS} unless
 * given), so that a small hostile file cannot make the decoder allocate gigabytes. PNG chunk CRCs are
 * verified (the JDK decoder skips them), and any decoder warning, such as libjpeg's "premature end of data
 * segment" for a truncated JPEG, is treated as an error rather than returning a partly grey image. Only the
 * first image of a multi-page TIFF is read. 16-bit TIFFs with the horizontal-differencing predictor (OpenCV's
 * default), which the JDK decoder refuses, are decoded with the predictor undone here. Every failure, including a decoder's runtime exception, is
 * reported as an {@link ImageFormatException} that names the file.
 *
 * <p><b>Writing.</b> Every writer produces a PNG whatever the file name, atomically (a temporary file in the
 * same directory renamed over the target), so a failed write leaves the previous file or nothing. Sub-images
 * are written as their visible pixels.
 */
public final class ImageFiles {
    /**
     * Default limit on {@code width*height} for reads: 2^24 = 16,777,216 pixels (4096 x 4096, or a 16-megapixel
     * photo). The heaviest operations of the library on one image (k-means in L*a*b* space, split-touching, the
     * watershed) hold up to about 60 bytes per pixel, so at this limit they fit a 1 GB heap, the JVM's default
     * (a quarter of the memory) on a 4 GB machine; at twice the pixels k-means ran out of a 2 GB heap. Pillow, for
     * scale, warns above 89 million pixels. Larger images can be read with an explicit {@code maxPixels} and a
     * larger heap.
     */
    public static final long DEFAULT_MAX_PIXELS = 1L << 24;

    private ImageFiles() {
    }

    // ---------------------------------------------------------------- reading

    /**
     * The header of an image file: format, size, bands, bit depth and whether it is a palette image. No pixel
     * is decoded and no CRC is checked.
     *
     * @throws ImageFormatException if the file is missing, not an image of a supported format, or its header
     *     is corrupt
     */
    public static ImageInfo info(Path file) throws IOException {
        return withReader(file, (reader, format) -> {
            int w = reader.getWidth(0);
            int h = reader.getHeight(0);
            ImageTypeSpecifier type = reader.getRawImageType(0);
            if (type == null) {
                Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
                if (!types.hasNext()) {
                    throw new ImageFormatException(file, format + " decoder offers no pixel layout");
                }
                type = types.next();
            }
            SampleModel sm = type.getSampleModel();
            return new ImageInfo(format, w, h, sm.getNumBands(), sm.getSampleSize(0),
                    type.getColorModel() instanceof IndexColorModel icm && !isGrayRamp(icm));
        });
    }

    /**
     * True for the colour table the JDK gives 1-, 2- and 4-bit gray images: entry i is the gray
     * {@code round(i*255/(n-1))}. Such a file is gray, not a palette image, and its index is its raw value.
     */
    private static boolean isGrayRamp(IndexColorModel icm) {
        int n = icm.getMapSize();
        if (n < 2 || n != 1 << icm.getPixelSize() || icm.hasAlpha()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            int g = (i * 255 + (n - 1) / 2) / (n - 1);
            if (icm.getRed(i) != g || icm.getGreen(i) != g || icm.getBlue(i) != g) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes the first image of a file into a {@link BufferedImage} as the JDK decoder lays it out, after
     * the checks described in the class comment. The typed readers below are built on this.
     *
     * @param maxPixels largest {@code width*height} accepted
     * @throws ImageFormatException if the file is missing, of an unknown format, corrupt or truncated, or its
     *     header declares more than {@code maxPixels} pixels
     * @throws IllegalArgumentException if {@code maxPixels < 1}
     */
    public static BufferedImage readBufferedImage(Path file, long maxPixels) throws IOException {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        return withReader(file, (reader, format) -> {
            int w = reader.getWidth(0);
            int h = reader.getHeight(0);
            if (w <= 0 || h <= 0) {
                throw new ImageFormatException(file, "header declares an empty image: " + w + "x" + h);
            }
            if ((long) w * h > maxPixels) {
                throw new ImageFormatException(file, "header declares " + w + "x" + h + " = " + (long) w * h
                        + " pixels, more than the limit of " + maxPixels);
            }
            if (format.equals("PNG")) {
                PngChunks.verify(file);
            }
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            BufferedImage image;
            byte[] patched = format.equals("TIFF") && sampleBits(reader) == 16 ? TiffPredictor.withoutPredictor(file)
                    : null;
            if (patched == null) {
                image = reader.read(0);
            } else {
                try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(patched))) {
                    reader.setInput(in, true, true);
                    image = reader.read(0);
                }
                TiffPredictor.integrateRows(image.getRaster());
            }
            if (!warnings.isEmpty()) {
                throw new ImageFormatException(file, "corrupt or truncated " + format + ": "
                        + String.join("; ", warnings));
            }
            checkFinite(file, image.getRaster());
            return image;
        });
    }

    /** NaN and infinite samples mean nothing to any algorithm here and would flow into every result unseen. */
    private static void checkFinite(Path file, Raster raster) throws ImageFormatException {
        int type = raster.getTransferType();
        if (type != DataBuffer.TYPE_FLOAT && type != DataBuffer.TYPE_DOUBLE) {
            return;
        }
        double[] row = new double[raster.getWidth()];
        for (int b = 0; b < raster.getNumBands(); b++) {
            for (int y = 0; y < raster.getHeight(); y++) {
                raster.getSamples(raster.getMinX(), raster.getMinY() + y, row.length, 1, b, row);
                for (int x = 0; x < row.length; x++) {
                    if (!Double.isFinite(row[x])) {
                        throw new ImageFormatException(file, "sample " + row[x] + " at (" + x + ", " + y
                                + "), band " + b + ": NaN and infinite samples are not accepted");
                    }
                }
            }
        }
    }

    /** {@link #readGrayU8(Path, long)} with {@link #DEFAULT_MAX_PIXELS}. */
    public static GrayU8 readGrayU8(Path file) throws IOException {
        return readGrayU8(file, DEFAULT_MAX_PIXELS);
    }

    /**
     * An 8-bit gray image. 8-bit gray files give their raw values; 16-bit gray is scaled to 0..255 with
     * rounding; colour and palette images are converted with BT.601 luma (see {@link ConvertImage#toGrayU8}).
     *
     * @throws ImageFormatException see {@link #readBufferedImage}
     */
    public static GrayU8 readGrayU8(Path file, long maxPixels) throws IOException {
        return read(file, maxPixels, image -> ConvertImage.toGrayU8(image, null));
    }

    /** {@link #readGrayU16(Path, long)} with {@link #DEFAULT_MAX_PIXELS}. */
    public static GrayU16 readGrayU16(Path file) throws IOException {
        return readGrayU16(file, DEFAULT_MAX_PIXELS);
    }

    /**
     * A 16-bit gray image with the raw sample values, not rescaled: a 16-bit file gives 0..65535, an 8-bit
     * file 0..255. Colour and palette images are converted to 8-bit gray first (see
     * {@link ConvertImage#toGrayU16}).
     *
     * @throws ImageFormatException see {@link #readBufferedImage}
     */
    public static GrayU16 readGrayU16(Path file, long maxPixels) throws IOException {
        return read(file, maxPixels, image -> ConvertImage.toGrayU16(image, null));
    }

    /** {@link #readRgb(Path, long)} with {@link #DEFAULT_MAX_PIXELS}. */
    public static RgbU8 readRgb(Path file) throws IOException {
        return readRgb(file, DEFAULT_MAX_PIXELS);
    }

    /**
     * An 8-bit RGB image: gray is replicated into the three channels, palettes are expanded, alpha is dropped
     * (not composited), 16-bit samples are rounded to 8 bits (see {@link ConvertImage#toRgb}).
     *
     * @throws ImageFormatException see {@link #readBufferedImage}
     */
    public static RgbU8 readRgb(Path file, long maxPixels) throws IOException {
        return read(file, maxPixels, image -> ConvertImage.toRgb(image, null));
    }

    /**
     * Intensities in [0, 1] with {@code channels} channels, the input a network sees (see
     * {@link ConvertImage#toUnitPlanar}).
     *
     * @throws ImageFormatException see {@link #readBufferedImage}, and for a floating-point sample outside [0, 1]
     * @throws IllegalArgumentException if {@code channels} is neither 1 nor 3
     */
    public static PlanarF32 readUnitPlanar(Path file, int channels, long maxPixels) throws IOException {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        return read(file, maxPixels, image -> ConvertImage.toUnitPlanar(image, channels));
    }

    /** {@link #readMask(Path, long)} with {@link #DEFAULT_MAX_PIXELS}. */
    public static Mask readMask(Path file) throws IOException {
        return readMask(file, DEFAULT_MAX_PIXELS);
    }

    /**
     * A binary mask: a pixel is on when any of its colour samples is nonzero (for a palette image, when its
     * index is nonzero); alpha is ignored. A 0/255 mask written by {@link #writeMask} reads back exactly.
     *
     * @throws ImageFormatException see {@link #readBufferedImage}
     */
    public static Mask readMask(Path file, long maxPixels) throws IOException {
        return read(file, maxPixels, ImageFiles::toMask);
    }

    private static Mask toMask(BufferedImage image) {
        Raster raster = image.getRaster();
        ColorModel cm = image.getColorModel();
        int bands = cm instanceof IndexColorModel ? 1 : cm.getNumColorComponents(); // alpha is the last band
        int w = image.getWidth();
        Mask mask = new Mask(w, image.getHeight());
        double[] row = new double[w]; // double, so that float samples such as 0.5 count as nonzero
        for (int y = 0; y < mask.height; y++) {
            for (int b = 0; b < bands; b++) {
                raster.getSamples(0, y, w, 1, b, row);
                for (int x = 0; x < w; x++) {
                    if (row[x] != 0) {
                        mask.data[y * w + x] = 1;
                    }
                }
            }
        }
        return mask;
    }

    /** {@link #readLabels(Path, long)} with {@link #DEFAULT_MAX_PIXELS}. */
    public static LabelMap readLabels(Path file) throws IOException {
        return readLabels(file, DEFAULT_MAX_PIXELS);
    }

    /**
     * A label map from a gray or palette image. A gray file (8 or 16 bit, alpha ignored) gives its raw sample
     * values; a palette file gives the palette <em>index</em> of each pixel, not its colour: the PASCAL VOC
     * convention, where index 255 marks "void".
     *
     * @throws ImageFormatException if the image is colour (labels coded as colours are ambiguous), has
     *     non-integer or negative samples, or cannot be read (see {@link #readBufferedImage})
     */
    public static LabelMap readLabels(Path file, long maxPixels) throws IOException {
        return read(file, maxPixels, image -> toLabels(file, image));
    }

    private static LabelMap toLabels(Path file, BufferedImage image) throws ImageFormatException {
        Raster raster = image.getRaster();
        ColorModel cm = image.getColorModel();
        if (!(cm instanceof IndexColorModel) && cm.getNumColorComponents() != 1) {
            throw new ImageFormatException(file, "a label image must be gray or palette, not "
                    + cm.getNumColorComponents() + "-channel colour");
        }
        int type = raster.getTransferType();
        if (type != DataBuffer.TYPE_BYTE && type != DataBuffer.TYPE_USHORT && type != DataBuffer.TYPE_SHORT
                && type != DataBuffer.TYPE_INT) {
            throw new ImageFormatException(file, "label samples must be integers, the file has floating point");
        }
        int w = image.getWidth();
        LabelMap labels = new LabelMap(w, image.getHeight());
        int[] row = new int[w];
        for (int y = 0; y < labels.height; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                if (row[x] < 0) { // only signed 16- or 32-bit TIFF samples can be negative
                    throw new ImageFormatException(file, "negative label " + row[x] + " at (" + x + ", " + y + ")");
                }
            }
            System.arraycopy(row, 0, labels.data, y * w, w);
        }
        return labels;
    }

    // ---------------------------------------------------------------- writing

    /** Writes an 8-bit gray PNG with the exact values. */
    public static void writePng(GrayU8 image, Path file) throws IOException {
        writePng(ConvertImage.toBufferedImage(image), file);
    }

    /** Writes a 16-bit gray PNG with the exact values. */
    public static void writePng(GrayU16 image, Path file) throws IOException {
        writePng(ConvertImage.toBufferedImage(image), file);
    }

    /** Writes an 8-bit RGB PNG. */
    public static void writePng(RgbU8 image, Path file) throws IOException {
        writePng(ConvertImage.toBufferedImage(image), file);
    }

    /** Writes a mask as an 8-bit gray PNG, on = 255 and off = 0, which any viewer shows as white on black. */
    public static void writeMask(Mask mask, Path file) throws IOException {
        BufferedImage out = new BufferedImage(mask.width, mask.height, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = out.getRaster();
        int[] row = new int[mask.width];
        for (int y = 0; y < mask.height; y++) {
            int s = mask.startIndex + y * mask.stride;
            for (int x = 0; x < mask.width; x++) {
                row[x] = mask.data[s + x] != 0 ? 255 : 0;
            }
            raster.setSamples(0, y, mask.width, 1, 0, row);
        }
        writePng(out, file);
    }

    /**
     * Writes a label map as a 16-bit gray PNG holding the raw labels, read back by {@link #readLabels}.
     *
     * @throws IllegalArgumentException naming the value and pixel when a label is outside 0..65535
     */
    public static void writeLabels(LabelMap labels, Path file) throws IOException {
        BufferedImage out = new BufferedImage(labels.width, labels.height, BufferedImage.TYPE_USHORT_GRAY);
        copyLabels(labels, 65535, "16-bit PNG", out.getRaster());
        writePng(out, file);
    }

    /**
     * Writes a label map as an 8-bit palette PNG with the PASCAL VOC colour map ({@link Palette#vocTable}):
     * the stored index is the label, so {@link #readLabels} gives it back while viewers show the VOC colours.
     *
     * @throws IllegalArgumentException naming the value and pixel when a label is outside 0..255
     */
    public static void writeLabelsVoc(LabelMap labels, Path file) throws IOException {
        int[] voc = Palette.vocTable();
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) {
            r[i] = (byte) (voc[i] >> 16);
            g[i] = (byte) (voc[i] >> 8);
            b[i] = (byte) voc[i];
        }
        BufferedImage out = new BufferedImage(labels.width, labels.height, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 256, r, g, b));
        copyLabels(labels, 255, "VOC palette PNG", out.getRaster());
        writePng(out, file);
    }

    private static void copyLabels(LabelMap labels, int max, String what, WritableRaster raster) {
        int[] row = new int[labels.width];
        for (int y = 0; y < labels.height; y++) {
            System.arraycopy(labels.data, labels.startIndex + y * labels.stride, row, 0, labels.width);
            for (int x = 0; x < labels.width; x++) {
                if (row[x] < 0 || row[x] > max) {
                    throw new IllegalArgumentException(what + " labels must be in 0.." + max + ", got " + row[x]
                            + " at (" + x + ", " + y + ")");
                }
            }
            raster.setSamples(0, y, labels.width, 1, 0, row);
        }
    }

    private static void writePng(BufferedImage image, Path file) throws IOException {
        AtomicFiles.write(file, ch -> {
            ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
            // Closing this stream flushes it but leaves the channel open, for AtomicFiles to force it to disk.
            try (ImageOutputStream out = new MemoryCacheImageOutputStream(Channels.newOutputStream(ch))) {
                writer.setOutput(out);
                writer.write(image);
            } finally {
                writer.dispose();
            }
        });
    }

    // ---------------------------------------------------------------- decoder plumbing

    @FunctionalInterface
    private interface Conversion<T> {
        T apply(BufferedImage image) throws ImageFormatException;
    }

    /** Decodes, then converts; the conversion allocates as much again, so it too may run out of memory. */
    private static <T> T read(Path file, long maxPixels, Conversion<T> conversion) throws IOException {
        BufferedImage image = readBufferedImage(file, maxPixels);
        try {
            return conversion.apply(image);
        } catch (IllegalArgumentException e) {
            throw new ImageFormatException(file, e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new ImageFormatException(file, "not enough memory to convert the " + image.getWidth() + "x"
                    + image.getHeight() + " image", e);
        }
    }

    @FunctionalInterface
    private interface ReaderTask<T> {
        T apply(ImageReader reader, String format) throws IOException;
    }

    /**
     * Opens {@code file} with the decoder for its content and runs {@code task}; turns everything a hostile
     * file can make a decoder throw into an {@link ImageFormatException} naming the file.
     */
    private static <T> T withReader(Path file, ReaderTask<T> task) throws IOException {
        checkRegularFile(file);
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            ImageReader reader = null;
            String format = null;
            for (Iterator<ImageReader> it = ImageIO.getImageReaders(in); it.hasNext() && format == null; ) {
                reader = it.next();
                format = canonicalFormat(reader);
            }
            if (format == null) {
                throw new ImageFormatException(file, "unknown image format (first bytes " + firstBytes(in)
                        + "); PNG, JPEG, TIFF and BMP are supported");
            }
            try {
                reader.setInput(in, true, true);
                return task.apply(reader, format);
            } finally {
                reader.dispose();
            }
        } catch (ImageFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageFormatException(file, "cannot decode the image: " + describe(e), e);
        } catch (OutOfMemoryError e) {
            throw new ImageFormatException(file, "not enough memory to decode the image", e);
        }
    }

    private static int sampleBits(ImageReader reader) throws IOException {
        ImageTypeSpecifier type = reader.getRawImageType(0);
        return type == null ? 0 : type.getSampleModel().getSampleSize(0);
    }

    private static void checkRegularFile(Path file) throws ImageFormatException {
        if (Files.isDirectory(file)) {
            throw new ImageFormatException(file, "is a directory, not an image file");
        }
        if (!Files.exists(file)) {
            throw new ImageFormatException(file, "file not found");
        }
        if (!Files.isReadable(file)) {
            throw new ImageFormatException(file, "file is not readable");
        }
    }

    /** The format name for the decoders this class supports, or null for any other (GIF, WBMP, plug-ins). */
    private static String canonicalFormat(ImageReader reader) {
        if (reader.getOriginatingProvider() == null) {
            return null;
        }
        for (String name : reader.getOriginatingProvider().getFormatNames()) {
            switch (name.toLowerCase(Locale.ROOT)) {
                case "png":
                    return "PNG";
                case "jpeg":
                case "jpg":
                    return "JPEG";
                case "tiff":
                case "tif":
                    return "TIFF";
                case "bmp":
                    return "BMP";
                default:
                    break;
            }
        }
        return null;
    }

    private static String firstBytes(ImageInputStream in) throws IOException {
        byte[] head = new byte[8];
        in.seek(0);
        int n = Math.max(0, in.read(head));
        if (n == 0) {
            return "none: the file is empty";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(String.format("%02x", head[i] & 0xFF));
        }
        return b.toString();
    }

    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder(e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            b.append(" (").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(')');
        }
        return b.toString();
    }
}
