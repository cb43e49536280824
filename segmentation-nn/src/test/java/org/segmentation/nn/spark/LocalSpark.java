package org.segmentation.nn.spark;

import org.apache.spark.sql.SparkSession;

/**
 * The local Spark of the tests: {@code local[2,2]}, two task threads as {@code local[2]}, and a task may fail
 * once and be retried (plain {@code local[N]} never retries a task). One session for all test classes of the
 * fork, stopped by the JVM's shutdown hook.
 */
final class LocalSpark {
    private static SparkSession session;

    private LocalSpark() {
    }

    static synchronized SparkSession get() {
        if (session == null) {
            session = SparkSession.builder().master("local[2,2]").appName("segmentation-spark-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .getOrCreate();
        }
        return session;
    }
}
