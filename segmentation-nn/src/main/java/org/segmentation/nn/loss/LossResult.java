package org.segmentation.nn.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A loss value and its gradient with respect to the logits.
 *
 * @param loss the scalar loss
 * @param dLogits gradient, same shape as the logits
 */
public record LossResult(double loss, INDArray dLogits) {
}
