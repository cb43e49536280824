/**
 * Inference with a trained {@link org.segmentation.nn.model.SegmentationModel}: {@link
 * org.segmentation.nn.predict.Predictor} turns images of any size into class probabilities, label maps and (for
 * 3-class background/interior/boundary models, through {@link org.segmentation.nn.predict.InstanceDecoding} and
 * the classic watershed) instance label maps; padding, sliding-window tiles with Gaussian blending and flip
 * test-time augmentation are set by {@link org.segmentation.nn.predict.PredictorConfig}.
 */
package org.segmentation.nn.predict;
