# Sourced on a GPU machine in the repository root, after bench/gpu/bundle.sh's .dev/ was carried
# there: points Debian's ICD loader at NVIDIA's OpenCL library (the containers seen so far mount
# it under /usr/local/nvidia/lib64 with no /etc/OpenCL/vendors/nvidia.icd), gives JOCL the
# unversioned libOpenCL.so it loads, and sets J (the java) and CP (the bench jar).
mkdir -p /tmp/ocl /tmp/icd
cp .dev/ocl/usr/lib/x86_64-linux-gnu/libOpenCL.so.1.0.0 /tmp/ocl/
ln -sf libOpenCL.so.1.0.0 /tmp/ocl/libOpenCL.so.1
ln -sf libOpenCL.so.1 /tmp/ocl/libOpenCL.so
nv=$(ls /usr/local/nvidia/lib64/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 2>/dev/null | head -1)
[ -n "$nv" ] || nv=$(find / -xdev -name 'libnvidia-opencl.so*' 2>/dev/null | head -1)
echo "NVIDIA OpenCL library: ${nv:-none found}"
echo "$nv" > /tmp/icd/nvidia.icd
export OCL_ICD_VENDORS=/tmp/icd LD_LIBRARY_PATH=/tmp/ocl${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
J=$PWD/.dev/jre/bin/java
CP=$PWD/.dev/benchmarks.jar
