#!/usr/bin/env bash
# Builds what a bare GPU machine with no Java needs to run softmax-cl's OpenCL path, into .dev/
# (ignored through .git/info/exclude): a jlink'd JRE with the Vector API module and a stripped
# libjvm (about 36 MiB), the shaded bench jar (JMH benchmarks plus the library and its command
# line), and Debian's OpenCL ICD loader unpacked. Carry .dev/jre, .dev/benchmarks.jar, .dev/ocl
# and bench/gpu/ travels with the tree; on the machine, `source bench/gpu/env.sh` and run
#   $J -cp $CP org.softmaxcl.cli.Main devices
#   $J -cp $CP org.softmaxcl.cli.Main tune --dry-run --classes 1024,4096 --elements 33554432 --reps 10 --layouts v2:64,v2:256
#   $J -jar $CP DeviceCopyBench -wi 2 -i 3 -w 1 -r 1 -f 1
#   $J -jar $CP ResidentBench -p shape=65536x4096 -p op=xent,softmax -wi 2 -i 3 -w 1 -r 1 -f 1
# The working tree plus what is carried must stay under the device tool's 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.dev/' .git/info/exclude 2>/dev/null || echo '/.dev/' >> .git/info/exclude
rm -rf .dev && mkdir -p .dev
mvn -B -q install -DskipTests
mvn -B -q -f bench/pom.xml package -DskipTests
cp bench/target/benchmarks.jar .dev/
jlink --add-modules java.base,java.logging,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector,java.xml \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output .dev/jre
strip --strip-unneeded .dev/jre/lib/server/libjvm.so
tmp=$(mktemp -d)
(cd "$tmp" && apt-get download ocl-icd-libopencl1 >/dev/null 2>&1)
dpkg -x "$tmp"/ocl-icd-libopencl1_*.deb .dev/ocl
rm -rf "$tmp"
du -sh .dev/jre .dev/benchmarks.jar .dev/ocl
