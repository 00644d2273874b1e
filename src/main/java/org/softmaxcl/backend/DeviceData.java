package org.softmaxcl.backend;

import org.softmaxcl.FloatMatrix;

/**
 * A dense N×K float32 matrix held by a backend between calls (device memory on OpenCL, a Java
 * array on the CPU). Internal: users hold it through {@link org.softmaxcl.DeviceMatrix}.
 */
public interface DeviceData extends AutoCloseable {
    int rows();

    int cols();

    /** Copies {@code src} (same shape) in. */
    void upload(FloatMatrix src);

    /** Copies the matrix out into {@code dst} (same shape). */
    void download(FloatMatrix dst);

    /** Sets every element to +0. */
    void zero();

    /** The matrix as a host view when it lives in host memory (the CPU backend), else null. */
    FloatMatrix hostView();

    /** Releases the memory; idempotent. */
    @Override
    void close();
}
