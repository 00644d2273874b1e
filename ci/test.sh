#!/usr/bin/env bash
# The whole test suite, as CI runs it (README: quick start, second command).
#  1. installs PoCL when missing (the OpenCL tests need a real OpenCL device and fail without one);
#  2. runs every test with PoCL visible: OpenCL tests run on PoCL, `auto` must pick OpenCL;
#  3. runs the suite again, OpenCL-tagged tests excluded, with an empty OpenCL vendor folder
#     (OCL_ICD_VENDORS): zero platforms, and `auto` must fall back to the CPU and say why;
#  4. runs the main job from the packaged jar with and without OpenCL.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn_opts=(-B -q -e)

ci/install-opencl.sh

echo "== unit and integration tests with OpenCL (PoCL)"
SOFTMAXCL_TEST_EXPECT=opencl mvn "${mvn_opts[@]}" verify

echo "== tests without OpenCL (empty OCL_ICD_VENDORS)"
empty=$(mktemp -d)
trap 'rm -rf "$empty"' EXIT
OCL_ICD_VENDORS="$empty" SOFTMAXCL_TEST_EXPECT=none \
  mvn "${mvn_opts[@]}" test -DexcludedGroups=opencl

echo "== the main job from the jar, with and without OpenCL"
source ci/jvm-env.sh
java --add-modules jdk.incubator.vector -jar target/softmax-cl.jar
OCL_ICD_VENDORS="$empty" java --add-modules jdk.incubator.vector -jar target/softmax-cl.jar
echo "== all green"
