/**
 * Reading and writing images and arrays.
 *
 * <ul>
 *   <li>{@link org.segmentation.core.io.ImageFiles}: PNG, JPEG, TIFF and BMP in (gray, 16-bit gray, RGB, masks,
 *       label maps from gray or palette files), PNG out (including 16-bit and VOC-palette label maps).</li>
 *   <li>{@link org.segmentation.core.io.NpyFiles} and {@link org.segmentation.core.io.Tensor}: NumPy
 *       {@code .npy} arrays, to exchange images, masks, labels and tensors with Python.</li>
 *   <li>{@link org.segmentation.core.io.ImageFormatException}: every file that cannot be read, whatever the
 *       reason, with the file named in the message.</li>
 * </ul>
 *
 * <p>Writes are atomic (temporary file, then rename). Reads check sizes declared in headers before allocating.
 */
package org.segmentation.core.io;
