/**
 * Model and checkpoint files, independent of the tensor library: tensors are plain Java arrays that the
 * network converts to and from its own types.
 *
 * <ul>
 *   <li>{@link org.segmentation.nn.io.SafeTensors}: reads and writes the safetensors format, so weights move
 *       between this library and PyTorch; a reader that validates the whole header against the file before
 *       reading data, and a deterministic, aligned, atomic writer.</li>
 *   <li>{@link org.segmentation.core.io.Tensor} (type, shape, flat C-order array; the same type as {@code .npy} files) and
 *       {@link org.segmentation.nn.io.TensorFile} (named tensors and metadata): the values read and written.</li>
 *   <li>{@link org.segmentation.nn.io.ModelFiles}: a model ({@code config.json} + {@code model.safetensors})
 *       or a training {@link org.segmentation.nn.io.Checkpoint} (adding the optimizer's tensors and the
 *       {@link org.segmentation.nn.io.TrainingState}) as a directory that is replaced whole, with a save id
 *       in every file so that a reader never combines files of two saves.</li>
 *   <li>{@link org.segmentation.core.io.AtomicFiles}: the temporary-file-and-rename writes underneath.</li>
 * </ul>
 *
 * <p>Every malformed input raises a {@link org.segmentation.nn.io.ModelFormatException} naming the file and,
 * where one is at fault, the tensor. No Java serialisation is used.
 */
package org.segmentation.nn.io;

