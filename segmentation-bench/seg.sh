#!/usr/bin/env bash
# Runs the `seg` tool from a source checkout without installing anything into ~/.m2: packages
# segmentation-bench and the modules it needs (tests skipped), then runs SegCli with the module classes and
# the dependency jars on the class path, which JMH's forked JVMs inherit.
#
#   segmentation-bench/seg.sh bench --quick          # peer comparison, smallest inputs
#   segmentation-bench/seg.sh bench --smoke          # CI: every JMH benchmark once, smallest @Param
#   MVN_FLAGS=-o segmentation-bench/seg.sh segment coins.png -a otsu --json
#   SEG_MAIN=org.openjdk.jmh.Main segmentation-bench/seg.sh Conv2dBenchmark -f 1   # any main, e.g. raw JMH
#
# Extra Maven flags (e.g. -o for offline) go in MVN_FLAGS; JVM options in JAVA_OPTS; another main class with the
# same class path in SEG_MAIN (default: the seg tool, org.segmentation.bench.cli.SegCli). OMP_WAIT_POLICY
# defaults to PASSIVE (below); set it to ACTIVE to override. On AMD CPUs with AVX-512, OPENBLAS_CORETYPE defaults
# to SkylakeX (below); a value already set is kept.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cpfile="$root/segmentation-bench/target/seg.classpath"
scope=runtime
spark_opts=""
if [ "${1:-}" = spark ]; then
    # `seg spark` needs Spark, a provided dependency. The dependency plugin's only scope holding both the provided
    # jars and the runtime slf4j binding is "test" (which adds JUnit, unused). Spark also needs JDK packages opened
    # on Java 17; the list is the parent pom's spark.addOpens.
    cpfile="$root/segmentation-bench/target/seg-spark.classpath"
    scope=test
    spark_opts="$(sed -n 's:.*<spark.addOpens>\(.*\)</spark.addOpens>.*:\1:p' "$root/pom.xml")"
fi
# shellcheck disable=SC2086
mvn -B -q ${MVN_FLAGS:-} -pl segmentation-bench -am -DskipTests -DnoShade package \
    org.apache.maven.plugins:maven-dependency-plugin:2.8:build-classpath \
    -Dmdep.outputFile="$cpfile" -Dmdep.includeScope="$scope"
# OpenMP threads that spin while waiting for work waste the CPU that ND4J's other thread and the PyTorch peers
# need: on the shared 2-core machine a U-Net training step took 6x longer with spinning (see
# segmentation-bench/README.md). Sleeping waiters cost little on an idle machine, so they are the default here.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# shellcheck source=openblas-coretype.sh
. "$root/segmentation-bench/openblas-coretype.sh"
# shellcheck disable=SC2086
exec java -Djava.awt.headless=true $spark_opts ${JAVA_OPTS:-} \
    -cp "$root/segmentation-bench/target/classes:$(cat "$cpfile")" \
    "${SEG_MAIN:-org.segmentation.bench.cli.SegCli}" "$@"
