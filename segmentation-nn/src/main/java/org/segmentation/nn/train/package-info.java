/**
 * Training a network: {@link org.segmentation.nn.train.Trainer} configured by
 * {@link org.segmentation.nn.train.TrainerConfig} steps a {@link org.segmentation.nn.train.Trainable} (a per-pixel
 * {@link org.segmentation.nn.model.SegmentationModel} with its loss as {@link org.segmentation.nn.train.DenseTrainable},
 * or a Mask R-CNN as {@link org.segmentation.nn.train.MaskRCNNTrainable}), progress through
 * {@link org.segmentation.nn.train.TrainingListener}s ({@link org.segmentation.nn.train.LoggingListener} reports
 * through SLF4J), the run's record as {@link org.segmentation.nn.train.TrainingHistory} (CSV and JSON), and
 * {@link org.segmentation.nn.train.TrainingDivergedException} for a NaN or infinite loss or gradient.
 *
 * <p>To train a U-Net or a Mask R-CNN with sensible defaults, use {@link org.segmentation.nn.task.UNetTraining} or
 * {@link org.segmentation.nn.task.MaskRCNNTraining}, which build this configuration; the trainer itself is for any
 * model and a recipe chosen in full:
 *
 * <pre>{@code
 * UNet net = ...;
 * TrainerConfig config = TrainerConfig.builder(net, new CeDiceLoss(),
 *                 Adam.adamW(net.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0.01))
 *         .epochs(50).batchSize(8).seed(42)
 *         .schedule(LearningRateSchedule.linearWarmup(LearningRateSchedule.cosine(1e-3, 50, 1e-5), 2, 0.1),
 *                 TrainerConfig.ScheduleUnit.EPOCH)
 *         .earlyStopping(TrainerConfig.Monitor.meanIoU(), 10)
 *         .checkpoints(Path.of("runs/cells"), 5, UNet.configFields(net.config()))
 *         .build();
 * Trainer trainer = new Trainer(config, new LoggingListener(50));
 * // trainer.resume(Path.of("runs/cells/last"));   to continue an interrupted run exactly
 * TrainingResult result = trainer.fit(train, augmentation, validation);
 *
 * // a Mask R-CNN: samples with instance maps (e.g. SyntheticCells.instanceDataset, CocoInstances.samples)
 * MaskRCNN rcnn = new MaskRCNN(MaskRCNNConfig.small(2), 42);
 * MaskRCNNTrainable t = new MaskRCNNTrainable(rcnn, new MaskRCNNTransform(64, 64, InputNormalization.unit(3), 32));
 * TrainerConfig rc = TrainerConfig.builder(t, new Sgd(rcnn.parameters(), 0.01, 0.9, false, 1e-4))
 *         .monitor(TrainerConfig.Monitor.maskAp()).clipNorm(10).build();
 * }</pre>
 */
package org.segmentation.nn.train;
