package org.softmaxcl;

/** The backend an {@link Engine} runs on. */
public enum BackendKind {
    /** Pure Java on the CPU (scalar or Vector API kernels, rows split over a thread pool). */
    CPU,
    /** An OpenCL device through JOCL. */
    OPENCL
}
