package org.segmentation.core.io;

/**
 * What an image file's header declares, read without decoding the pixels (see {@link ImageFiles#info}).
 *
 * @param format {@code "PNG"}, {@code "JPEG"}, {@code "TIFF"} or {@code "BMP"}
 * @param width columns
 * @param height rows
 * @param bands samples per pixel as stored: 1 for gray and palette images, 2 for gray+alpha, 3 for RGB,
 *     4 for RGBA
 * @param bitDepth bits per sample of the first band (for a palette image, bits per index)
 * @param indexed true for a palette image, whose samples are indices into a colour table; false for gray
 *     files of 1, 2 or 4 bits even though the JDK decodes them with a gray colour table
 */
public record ImageInfo(String format, int width, int height, int bands, int bitDepth, boolean indexed) {
}
