/**
 * Training a {@link org.segmentation.nn.model.SegmentationModel}: {@link org.segmentation.nn.train.Trainer}
 * configured by {@link org.segmentation.nn.train.TrainerConfig}, progress through
 * {@link org.segmentation.nn.train.TrainingListener}s ({@link org.segmentation.nn.train.LoggingListener} reports
 * through SLF4J), the run's record as {@link org.segmentation.nn.train.TrainingHistory} (CSV and JSON), and
 * {@link org.segmentation.nn.train.TrainingDivergedException} for a NaN or infinite loss or gradient.
 *
 * <p>To train a U-Net with sensible defaults, use {@link org.segmentation.nn.task.UNetTraining}, which builds
 * this configuration; the trainer itself is for any model and a recipe chosen in full:
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
 * }</pre>
 */
package org.segmentation.nn.train;
