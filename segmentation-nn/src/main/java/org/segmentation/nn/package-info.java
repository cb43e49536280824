/**
 * Neural-network building blocks written on ND4J arrays and ops (no DL4J layers, no SameDiff autodiff).
 *
 * <p>Every layer is a small class with {@code forward(x)} and {@code backward(dY)}: tensors are NCHW, of the
 * data type given to the model's {@link org.segmentation.nn.param.ParameterBuffer} (FLOAT for training, DOUBLE
 * for gradient checks); forward caches in named fields exactly what backward needs; backward returns the input
 * gradient and adds (+=) parameter gradients into the buffer, which one call zeroes per step. A model wires its
 * layers in plain Java; a tensor used twice (a U-Net skip) gets the sum of both gradients.
 *
 * <p>Layers: {@link org.segmentation.nn.layers.Conv2d} (its kernels behind
 * {@link org.segmentation.nn.conv.Conv2dAlgorithm}), BatchNorm2d, Relu, MaxPool2x2, ConvTranspose2x2,
 * BilinearUpsample2x, Concat, Dropout, Softmax; for the Mask R-CNN backbone and heads StridedConv2d (any kernel,
 * stride and padding), MaxPool2d, NearestUpsample and Linear. Detection parts (anchors, NMS, RoIAlign, RPN, heads)
 * are in {@code detect}; {@code model} holds the U-Net, the ResNet and FPN, and Mask R-CNN. Losses in {@code loss}, optimizers and schedules in
 * {@code optim}. Memory follows {@link org.segmentation.nn.Memory}: outputs and caches are detached arrays freed
 * explicitly after their last use, temporaries of each layer call live in a reused scratch workspace. Bad shapes, channel counts or data types raise {@link IllegalArgumentException} naming
 * the expected and actual shapes ({@link org.segmentation.nn.Shapes}).
 */
package org.segmentation.nn;
