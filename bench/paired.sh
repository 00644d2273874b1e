#!/usr/bin/env bash
# Two builds of the library compared side by side on a noisy machine: `softmax-cl bench` (each
# call paired with a copy of its N·K floats, `of_copy`) run with the old and the new shaded jar in
# turn, shape by shape, for several rounds; one JSON line per run ("jar": old|new, "round": r,
# then bench's own fields), then the summary table of bench/RESULTS.md (PairedReport).
#   bench/paired.sh OLD.jar NEW.jar [ROUNDS] [OUT.jsonl]
# Environment: SHAPES (default "16384x1000 2048x32000 64x262144 262144x10"), OPS ("xent softmax"),
# CHECKS ("propagate refuse"), THREADS (2), WARMUP (20), REPS (40), JAVA (java).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bench/paired.sh OLD.jar NEW.jar [ROUNDS] [OUT.jsonl]" >&2
  exit 2
fi
old=$1 new=$2 rounds=${3:-3}
out=${4:-bench/results/bench-paired-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
for jar in "$old" "$new"; do
  [ -f "$jar" ] || { echo "paired.sh: $jar is not a file" >&2; exit 2; }
done
cd "$(dirname "$0")/.."
java_cmd=${JAVA:-java}
: > "$out"
for r in $(seq 1 "$rounds"); do
  for checks in ${CHECKS:-propagate refuse}; do
    for op in ${OPS:-xent softmax}; do
      for shape in ${SHAPES:-16384x1000 2048x32000 64x262144 262144x10}; do
        for label in old new; do
          jar=$old; [ "$label" = new ] && jar=$new
          line=$("$java_cmd" --add-modules jdk.incubator.vector -jar "$jar" bench --rows "${shape%x*}" \
            --classes "${shape#*x}" --op "$op" --non-finite "$checks" --backend cpu \
            --threads "${THREADS:-2}" --warmup "${WARMUP:-20}" --reps "${REPS:-40}" --json 2>/dev/null)
          echo "{\"jar\": \"$label\", \"round\": $r, ${line#\{}" >> "$out"
        done
      done
    done
  done
  echo "round $r of $rounds done" >&2
done
mvn -B -q -f bench/pom.xml package -DskipTests >&2
"$java_cmd" -cp bench/target/benchmarks.jar org.softmaxcl.bench.PairedReport "$out"
echo "raw: $out" >&2
