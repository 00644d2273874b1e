#!/usr/bin/env bash
# One GPU call (the device tool), after bench/gpu/bundle.sh: V2's softmax forward with its row in
# registers in the lean form (softmaxcl.opencl.softmaxCache=true) against the uncached form,
# kernel-only through `softmax-cl bench --json` (kernel_ms) off/on twice, then resident calls
# through JMH, and the device copy, in the same lease. Writes into $OUT.
set -u
cd "$(dirname "$0")/../.."
source bench/gpu/env.sh
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | tee "$OUT/softmax-ab.txt"
for round in 1 2; do
  for on in false true; do
    for shape in 32768x1024 16384x2048 8192x4096 4096x8192; do
      printf '%s softmaxCache=%s %s ' "$round" "$on" "$shape"
      $J -Dsoftmaxcl.opencl.softmaxCache=$on -cp "$CP" org.softmaxcl.cli.Main bench --backend opencl --op softmax \
        --rows "${shape%x*}" --classes "${shape#*x}" --reps 10 --no-copy --json 2>&1 | tr -d '\n' | grep -o '"kernel_ms":[^,]*'
    done
  done
done 2>&1 | tee -a "$OUT/softmax-ab.txt"
$J -jar "$CP" DeviceCopyBench -wi 2 -i 3 -w 1 -r 1 -f 1 -rf json -rff "$OUT/copy.json" 2>&1 | tail -3
for on in false true; do
  $J -jar "$CP" ResidentBench -p shape=65536x4096 -p op=softmax -wi 2 -i 3 -w 1 -r 1 -f 1 \
    -jvmArgsAppend -Dsoftmaxcl.opencl.softmaxCache=$on -rf json -rff "$OUT/resident-softmax-cache-$on.json" 2>&1 | tail -3
done
