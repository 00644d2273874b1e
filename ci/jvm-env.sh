# Sourced by the ci/ scripts before they start a JVM that may use PoCL.
# PoCL compiles kernels with LLVM, which installs its own SIGSEGV handler (to remove temporary files
# on a crash). The JVM takes SIGSEGV on purpose (safepoint polls, implicit null checks), so with
# LLVM's handler in front it can die at a poll, now and then. The JDK's signal-chaining library
# keeps the JVM's handlers first and passes other signals on to LLVM's: preload it.
java_bin=$(readlink -f "$(command -v java)")
jsig="$(dirname "$(dirname "$java_bin")")/lib/libjsig.so"
if [ -f "$jsig" ]; then
  export LD_PRELOAD="$jsig${LD_PRELOAD:+:$LD_PRELOAD}"
fi
unset java_bin jsig
