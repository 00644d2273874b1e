#!/usr/bin/env bash
# One GPU call (the device tool), after bench/gpu/bundle.sh: the device's layouts measured again
# with today's defaults (V2's lean cached form), for its tuning entry, then resident calls and the
# device copy in the same lease. Writes into $OUT.
set -u
cd "$(dirname "$0")/../.."
source bench/gpu/env.sh
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
L=${L:-v2:32,v2:64,v2:128,v2:256,v2:512,v2:1024,v1:1024}
KS=${KS:-128,512,1024,2048,4096,8192,16384,32768}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | tee "$OUT/tune.txt"
$J -cp "$CP" org.softmaxcl.cli.Main tune --dry-run --classes "$KS" --elements 33554432 --reps 10 --layouts "$L" 2>&1 | tee -a "$OUT/tune.txt"
$J -jar "$CP" DeviceCopyBench -wi 2 -i 3 -w 1 -r 1 -f 1 -rf json -rff "$OUT/copy.json" 2>&1 | tail -3
$J -jar "$CP" ResidentBench -p shape=${SHAPES:-8192x4096,65536x4096,2048x32000} -p op=xent,softmax -wi 2 -i 3 -w 1 -r 1 -f 1 \
  -rf json -rff "$OUT/resident.json" 2>&1 | grep -E "p0.50|ResidentBench.call +" | tail -12
