/**
 * The library beyond one machine, on Apache Spark: batch segmentation of image collections
 * ({@link org.segmentation.nn.spark.SparkSegmentation}), evaluation by pooled confusion matrices
 * ({@link org.segmentation.nn.spark.SparkEvaluation}) and data-parallel training
 * ({@link org.segmentation.nn.spark.SparkTraining}).
 *
 * <p>Spark is a {@code provided} dependency: an application that uses this package runs under
 * {@code spark-submit} (or declares Spark itself); nothing else in the library loads these classes, so a user
 * without Spark gets none of it. Built and tested against Spark 4.0 (Scala 2.13) on Java 17, which needs the
 * {@code --add-opens} flags listed in the README when Spark is started from a plain {@code java} command.
 */
package org.segmentation.nn.spark;
