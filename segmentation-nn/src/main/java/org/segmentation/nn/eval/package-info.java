/**
 * The evaluation harness: run segmenters over a dataset and report their scores and times. It lives here, beside
 * the datasets it reads ({@code org.segmentation.nn.data}); what it evaluates is any
 * {@link org.segmentation.core.segment.Segmenter}.
 *
 * <ul>
 *   <li>{@link org.segmentation.core.segment.Segmenter}: what can be evaluated (a name, what its labels mean, and
 *       {@code segment(SegmenterInput)}); {@link org.segmentation.core.segment.Segmenter#of} wraps a lambda.
 *       {@link org.segmentation.core.segment.SegmenterInput} gives the dataset's float image and lazily converted
 *       8-bit gray and RGB views.</li>
 *   <li>{@link org.segmentation.core.segment.Baselines}: trivial segmenters that set the floor;
 *       {@link org.segmentation.core.segment.SegmenterRegistry}: segmenters by name for the command line, to which a
 *       {@link org.segmentation.core.segment.SegmenterProvider} on the class path adds a user's own.</li>
 *   <li>{@link org.segmentation.nn.eval.Evaluator}: scores every prediction with the metrics of
 *       {@code org.segmentation.core.metrics} chosen by the segmenter's output kind, and times each call.</li>
 *   <li>{@link org.segmentation.nn.eval.EvaluationReport}: per-image rows and dataset-level scores, written by
 *       {@link org.segmentation.nn.eval.ReportJson} and {@link org.segmentation.nn.eval.ReportMarkdown}.</li>
 * </ul>
 *
 * <p>Example:
 * <pre>{@code
 * SegmentationDataset data = new SyntheticCells(SyntheticCells.Config.defaults()).dataset(20, 1L);
 * Segmenter mine = Segmenter.of("mine", Segmenter.Output.FOREGROUND, in -> myThreshold(in.gray()));
 * EvaluationReport report = new Evaluator(EvaluationConfig.defaults())
 *         .evaluate("cells", data, List.of(Baselines.meanThreshold(), mine));
 * report.write(Path.of("out"));
 * }</pre>
 * The command line runs the same through {@code seg evaluate}.
 */
package org.segmentation.nn.eval;
