package org.softmaxcl.cpu;

/**
 * Chooses the CPU kernel path once per process. For now the scalar reference path; the Vector API
 * path is added by the performance work and chosen here when {@code jdk.incubator.vector} is
 * readable.
 */
final class CpuKernelsProvider {
    private CpuKernelsProvider() {
    }

    static CpuKernels kernels() {
        return Holder.KERNELS;
    }

    private static final class Holder {
        static final CpuKernels KERNELS = new ScalarKernels();
    }
}
