#!/usr/bin/env bash
# One GPU call (the device tool), after bench/gpu/bundle.sh: the lean form of V2's cached
# cross-entropy (softmaxcl.opencl.lean) against the default, kernel-only through the tuner
# (off/on twice, and once with native_exp to bound what the exponential costs), resident calls
# through JMH, and the device copy for the ratio, all in the same lease. Writes into $OUT.
set -u
cd "$(dirname "$0")/../.."
source bench/gpu/env.sh
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
L=${L:-v2:128,v2:256,v2:512}
KS=${KS:-1024,2048,4096,8192}
tune() {
  $J "$@" -cp "$CP" org.softmaxcl.cli.Main tune --dry-run --classes "$KS" --elements 33554432 --reps 10 --layouts "$L"
}
{
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null
  for round in 1 2; do
    for lean in false true; do
      echo "== lean=$lean (round $round)"
      tune -Dsoftmaxcl.opencl.lean=$lean
    done
  done
  echo "== lean=true, exp as native_exp (a bound, not a candidate)"
  tune -Dsoftmaxcl.opencl.lean=true -Dsoftmaxcl.opencl.buildOptions=-Dexp=native_exp
} 2>&1 | tee "$OUT/lean-ab.txt"
$J -jar "$CP" DeviceCopyBench -wi 2 -i 3 -w 1 -r 1 -f 1 -rf json -rff "$OUT/copy.json" 2>&1 | tail -4
for lean in false true; do
  $J -jar "$CP" ResidentBench -p shape=65536x4096 -p op=xent -wi 2 -i 3 -w 1 -r 1 -f 1 \
    -jvmArgsAppend -Dsoftmaxcl.opencl.lean=$lean -rf json -rff "$OUT/resident-lean-$lean.json" 2>&1 | tail -3
done
