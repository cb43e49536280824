package org.segmentation.bench.classic;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.segmentation.classic.threshold.OtsuOps;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.RgbU8;
import org.segmentation.core.io.NpyFiles;
import org.segmentation.core.io.Tensor;
import org.segmentation.core.ops.GradientOps;

/**
 * The inputs of the classic benchmarks, built deterministically from two bundled real images (scikit-image's
 * {@code camera.png}, 512x512 gray, and {@code astronaut.png}, 512x512 RGB; see {@code LICENSES.md} beside
 * them). The JMH benchmarks build them here and {@link #write} saves the same bytes as {@code .npy} files for
 * the Python peers, so both sides segment identical pixels.
 *
 * <p>Larger images are the camera mirror-tiled (reflected at every tile edge, so there is no seam); smaller
 * ones its top-left corner. Every method returns a new image.
 */
public final class ClassicInputs {
    /** Markers of the watershed: a {@code GRID x GRID} grid of single pixels, 196 basins. */
    public static final int GRID = 14;
    /** Seed of the flood fill, in the camera's sky (value 205), inside every size used. */
    public static final int FLOOD_X = 40;
    /** Seed row of the flood fill. */
    public static final int FLOOD_Y = 40;
    /** Flood-fill tolerance: pixels within this of the seed value are filled (27 % of the camera). */
    public static final int FLOOD_TOLERANCE = 16;
    /** Clusters of the k-means workload. */
    public static final int KMEANS_K = 4;
    /** Lloyd iterations of the k-means workload. */
    public static final int KMEANS_ITERATIONS = 10;
    /** Seed of the k-means workload. */
    public static final long KMEANS_SEED = 42;
    /** Classes of the multi-Otsu workload. */
    public static final int MULTI_OTSU_CLASSES = 3;

    private static GrayU8 camera;
    private static RgbU8 astronaut;

    private ClassicInputs() {
    }

    /** The bundled 512x512 camera image (a fresh copy). */
    public static synchronized GrayU8 camera() {
        if (camera == null) {
            camera = ConvertImage.toGrayU8(readResource("camera.png"), null);
        }
        return camera.copy();
    }

    /** The bundled 512x512 RGB astronaut image (a fresh copy). */
    public static synchronized RgbU8 astronaut() {
        if (astronaut == null) {
            astronaut = ConvertImage.toRgb(readResource("astronaut.png"), null);
        }
        return astronaut.copy();
    }

    /** The camera mirror-tiled to {@code size x size}. */
    public static GrayU8 gray(int size) {
        checkSize(size);
        GrayU8 src = camera();
        GrayU8 dst = new GrayU8(size, size);
        for (int y = 0; y < size; y++) {
            int sy = reflect(y, src.height);
            for (int x = 0; x < size; x++) {
                dst.data[y * size + x] = src.data[src.startIndex + sy * src.stride + reflect(x, src.width)];
            }
        }
        return dst;
    }

    /** The astronaut's centred {@code size x size} crop; {@code size <= 512}. */
    public static RgbU8 rgb(int size) {
        RgbU8 src = astronaut();
        if (size < 1 || size > src.width || size > src.height) {
            throw new IllegalArgumentException("the RGB input is at most " + src.width + " wide, got " + size);
        }
        int x0 = (src.width - size) / 2;
        int y0 = (src.height - size) / 2;
        RgbU8 dst = new RgbU8(size, size);
        for (int y = 0; y < size; y++) {
            System.arraycopy(src.data, src.startIndex + (y0 + y) * src.stride + 3 * x0, dst.data, y * dst.stride,
                    3 * size);
        }
        return dst;
    }

    /**
     * The Sobel gradient magnitude of {@link #gray(int)} ({@link GradientOps#sobelMagnitude}): the
     * elevation of the watershed workload.
     */
    public static GrayU8 sobel(int size) {
        return GradientOps.sobelMagnitude(gray(size), null);
    }

    /** {@link #GRID}{@code ^2} single-pixel markers at the centres of a regular grid, labelled 1.. row by row. */
    public static LabelMap gridMarkers(int size) {
        checkSize(size);
        LabelMap m = new LabelMap(size, size);
        int label = 1;
        for (int j = 0; j < GRID; j++) {
            int y = (int) ((j + 0.5) * size / GRID);
            for (int i = 0; i < GRID; i++) {
                int x = (int) ((i + 0.5) * size / GRID);
                m.data[y * size + x] = label++;
            }
        }
        return m;
    }

    /** {@link #gray(int)} binarised at its Otsu threshold: the input of connected components. */
    public static Mask binary(int size) {
        return OtsuOps.binarize(gray(size), null, null).mask();
    }

    /**
     * Writes the input of one workload at one size into {@code dir} as {@code .npy} files named
     * {@code <workload>_<size>[_part].npy}, the names the peer scripts read.
     *
     * @throws IllegalArgumentException for an unknown workload
     */
    public static void write(String workload, int size, Path dir) throws IOException {
        Files.createDirectories(dir);
        switch (workload) {
            case "otsu", "multi-otsu", "flood" -> NpyFiles.write(Tensor.of(gray(size)), file(dir, workload, size, ""));
            case "watershed" -> {
                NpyFiles.write(Tensor.of(sobel(size)), file(dir, workload, size, "_elevation"));
                NpyFiles.write(Tensor.of(gridMarkers(size)), file(dir, workload, size, "_markers"));
            }
            case "kmeans" -> NpyFiles.write(Tensor.of(rgb(size)), file(dir, workload, size, ""));
            case "connected-components" -> NpyFiles.write(Tensor.of(binary(size)), file(dir, workload, size, ""));
            default -> throw new IllegalArgumentException("no classic input for workload '" + workload + "'");
        }
    }

    private static Path file(Path dir, String workload, int size, String part) {
        return dir.resolve(String.format(Locale.ROOT, "%s_%d%s.npy", workload, size, part));
    }

    /** Index into {@code 0..n-1} of the mirror image repeated without end: 0..n-1, n-1..0, 0..n-1, ... */
    static int reflect(int i, int n) {
        int m = i % (2 * n);
        return m < n ? m : 2 * n - 1 - m;
    }

    private static void checkSize(int size) {
        if (size < 1 || size > 16384) {
            throw new IllegalArgumentException("input size must be in 1..16384, got " + size);
        }
    }

    private static java.awt.image.BufferedImage readResource(String name) {
        try (InputStream in = ClassicInputs.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("bundled image " + name + " is missing from the class path");
            }
            java.awt.image.BufferedImage img = ImageIO.read(in);
            if (img == null) {
                throw new IllegalStateException("bundled image " + name + " cannot be decoded");
            }
            return img;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundled image " + name, e);
        }
    }
}
