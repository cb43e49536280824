/**
 * The task-level entry points, for a user who wants a trained model rather than a training loop:
 * {@link org.segmentation.nn.task.UNetTraining} trains a U-Net on a folder or a dataset with defaults that can be
 * overridden one at a time, and {@link org.segmentation.nn.task.TrainedUNet} is the result, saved and loaded with
 * its input normalisation and class names, which segments an image file or a {@code BufferedImage}.
 *
 * <pre>{@code
 * UNetTraining.onFolder(Path.of("data")).epochs(20).output(Path.of("runs/cells")).train();
 * TrainedUNet model = TrainedUNet.load(Path.of("runs/cells"));
 * LabelMap labels = model.segment(Path.of("cell.png"));
 * }</pre>
 */
package org.segmentation.nn.task;
