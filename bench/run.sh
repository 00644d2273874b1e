#!/usr/bin/env bash
# Builds the library and the JMH benchmarks and runs them; JMH's JSON lands in bench/results/.
#   bench/run.sh                  # the whole suite (about an hour on 2 cores)
#   bench/run.sh XentBench -p shape=16384x1000 -p backend=cpu-vector   # any JMH arguments
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q install -DskipTests
mvn -B -q -f bench/pom.xml package
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar -rf json -rff "bench/results/jmh-$stamp.json" "$@"
echo "results: bench/results/jmh-$stamp.json"
