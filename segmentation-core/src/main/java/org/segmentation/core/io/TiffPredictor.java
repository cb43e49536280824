package org.segmentation.core.io;

import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Lets the JDK read TIFFs with the horizontal-differencing predictor on samples wider than 8 bits, which its
 * decoder refuses ("16-bit samples are not supported for Horizontal differencing Predictor") although it is
 * OpenCV's default for 16-bit TIFFs (LZW + predictor).
 *
 * <p>TIFF 6.0, section 14: with {@code Predictor = 2} each sample after the first of a row is stored as its
 * difference from the previous sample of the same component, modulo 2^bits. So a copy of the file with the
 * Predictor tag set to 1 decodes to those differences, and a running sum along each row restores the samples.
 * Only strip-based classic TIFFs with 16-bit integer samples qualify: in a tiled file the differences restart at
 * every tile, and 32-bit samples may be floats.
 */
final class TiffPredictor {
    private static final int BITS_PER_SAMPLE = 258;
    private static final int PREDICTOR = 317;
    private static final int TILE_WIDTH = 322;
    private static final int TYPE_SHORT = 3;

    private TiffPredictor() {
    }

    /**
     * The file's bytes with the first image's Predictor tag changed from 2 to 1, when that image is strip-based
     * with 16-bit samples; null for any other file, which the JDK decoder reads (or rejects) itself.
     */
    static byte[] withoutPredictor(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (bytes.length < 8) {
            return null;
        }
        if (bytes[0] == 'I' && bytes[1] == 'I') {
            b.order(ByteOrder.LITTLE_ENDIAN);
        } else if (!(bytes[0] == 'M' && bytes[1] == 'M')) {
            return null;
        }
        long ifd = b.getInt(4) & 0xFFFFFFFFL;
        if (b.getShort(2) != 42 || ifd + 2 > bytes.length) {
            return null; // BigTIFF, or damage the decoder will report
        }
        int entries = b.getShort((int) ifd) & 0xFFFF;
        int predictorAt = -1;
        int bits = 0;
        for (int i = 0; i < entries; i++) {
            long at = ifd + 2 + 12L * i;
            if (at + 12 > bytes.length) {
                return null;
            }
            int e = (int) at;
            int tag = b.getShort(e) & 0xFFFF;
            int type = b.getShort(e + 2) & 0xFFFF;
            long count = b.getInt(e + 4) & 0xFFFFFFFFL;
            if (tag == TILE_WIDTH) {
                return null;
            }
            if (tag == PREDICTOR && type == TYPE_SHORT && count == 1) {
                predictorAt = e + 8;
            }
            if (tag == BITS_PER_SAMPLE && type == TYPE_SHORT && count >= 1) {
                // Up to two values are stored in the entry itself, more at an offset; the first one decides.
                long valueAt = count <= 2 ? e + 8 : b.getInt(e + 8) & 0xFFFFFFFFL;
                if (valueAt + 2 > bytes.length) {
                    return null;
                }
                bits = b.getShort((int) valueAt) & 0xFFFF;
            }
        }
        if (predictorAt < 0 || b.getShort(predictorAt) != 2 || bits != 16) {
            return null;
        }
        b.putShort(predictorAt, (short) 1);
        return bytes;
    }

    /** Replaces every 16-bit sample by the running sum of its row and component, modulo 2^16. */
    static void integrateRows(WritableRaster raster) {
        int w = raster.getWidth();
        int[] row = new int[w];
        for (int band = 0; band < raster.getNumBands(); band++) {
            for (int y = 0; y < raster.getHeight(); y++) {
                raster.getSamples(0, y, w, 1, band, row);
                for (int x = 1; x < w; x++) {
                    row[x] += row[x - 1]; // setSamples keeps the low 16 bits: the sum modulo 2^16
                }
                raster.setSamples(0, y, w, 1, band, row);
            }
        }
    }
}
