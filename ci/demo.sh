#!/usr/bin/env bash
# The main job on an embedded default batch (README: quick start, first command): installs PoCL
# when it can (otherwise the CPU backend runs), builds target/softmax-cl.jar, and runs it.
# Extra arguments go to the jar (e.g. `ci/demo.sh devices`).
set -euo pipefail
cd "$(dirname "$0")/.."
ci/install-opencl.sh --soft
mvn -B -q package -DskipTests
source ci/jvm-env.sh
exec java --add-modules jdk.incubator.vector -jar target/softmax-cl.jar "$@"
