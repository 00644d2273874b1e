package org.softmaxcl.opencl;

import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * What the launchers share: the context and queue, the program cache, the buffer pool, the
 * layout override, and the device time of the last kernels. Guarded by the backend's lock.
 */
final class ClRuntime implements AutoCloseable {
    final ClContext ctx;
    final ProgramCache programs;
    final BufferPool buffers;
    final KernelLayout forcedLayout;
    /** Kernel nanoseconds of the last call (sum over its launches). */
    long lastKernelNanos;

    ClRuntime(ClContext ctx, KernelLayout forcedLayout) {
        this.ctx = ctx;
        this.programs = new ProgramCache(ctx);
        this.buffers = new BufferPool(ctx);
        this.forcedLayout = forcedLayout;
    }

    /** The layout for rows of K classes, without V3 (operations that have no split kernel). */
    KernelLayout layout(int k) {
        return KernelLayout.choose(ctx.info(), k, forcedLayout).withoutSplit();
    }

    /** The layout for N rows of K classes of the cross-entropy, V3 included. */
    KernelLayout xentLayout(int k, int rows) {
        return KernelLayout.choose(ctx.info(), k, rows, forcedLayout);
    }

    cl_kernel kernel(String file, String name, String options) {
        return programs.kernel(file, name, options + " -cl-std=CL1.2");
    }

    /** A pooled device buffer of at least {@code bytes} bytes for {@code slot} (see {@link BufferPool#get}). */
    cl_mem buffer(String slot, long bytes) {
        return buffers.get(slot, bytes, "'" + slot + "'");
    }

    /** A pooled device buffer for {@code slot} holding {@code bytes} bytes of the argument {@code argument}. */
    cl_mem buffer(String slot, long bytes, String argument) {
        return buffers.get(slot, bytes, argument);
    }

    @Override
    public void close() {
        try {
            programs.close();
            buffers.close();
        } finally {
            ctx.close();
        }
    }
}
