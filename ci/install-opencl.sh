#!/usr/bin/env bash
# Installs what the OpenCL tests need when it is missing: the ICD loader (with the unversioned
# libOpenCL.so that JOCL opens), PoCL's CPU device, and clinfo. Debian/Ubuntu (apt-get).
#   ci/install-opencl.sh          install if missing; fail if it cannot
#   ci/install-opencl.sh --soft   install if missing and possible; otherwise warn and go on
set -euo pipefail
soft=0
[[ "${1:-}" == "--soft" ]] && soft=1

have_opencl() {
  ldconfig -p 2>/dev/null | grep -q 'libOpenCL\.so ' && ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1 \
    && command -v clinfo >/dev/null 2>&1 && grep -qs pocl /etc/OpenCL/vendors/*.icd
}

if have_opencl; then
  echo "ci/install-opencl: OpenCL loader and PoCL already installed"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
fi
if [[ $(id -u) -ne 0 && -z "$sudo" ]] || ! command -v apt-get >/dev/null 2>&1; then
  msg="ci/install-opencl: cannot install PoCL here (need root or sudo, and apt-get)"
  if [[ $soft -eq 1 ]]; then echo "$msg; the CPU backend will be used" >&2; exit 0; fi
  echo "$msg" >&2; exit 1
fi

pkgs="ocl-icd-libopencl1 ocl-icd-opencl-dev pocl-opencl-icd clinfo"
echo "ci/install-opencl: installing $pkgs"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q --no-install-recommends $pkgs >/tmp/softmaxcl-apt.log 2>&1; then
  $sudo apt-get update -q >>/tmp/softmaxcl-apt.log 2>&1 || true
  if ! $sudo apt-get install -y -q --no-install-recommends $pkgs >>/tmp/softmaxcl-apt.log 2>&1; then
    tail -20 /tmp/softmaxcl-apt.log >&2
    if [[ $soft -eq 1 ]]; then echo "ci/install-opencl: install failed; the CPU backend will be used" >&2; exit 0; fi
    exit 1
  fi
fi
clinfo -l || true
