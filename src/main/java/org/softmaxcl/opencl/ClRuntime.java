package org.softmaxcl.opencl;

import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.softmaxcl.FloatMatrix;

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
    /** A matrix the kernel reads: its device buffer and row stride. */
    record Operand(cl_mem mem, int ld) {
    }

    /**
     * The device buffer of an input matrix: a resident one as it is (dense, stride K), else the
     * host matrix uploaded into the pooled slot {@code slot} (its own stride).
     */
    Operand input(String slot, String name, FloatMatrix host, ClData resident) {
        if (resident != null) {
            return new Operand(resident.mem, resident.cols());
        }
        cl_mem mem = buffer(slot, Transfers.span(host) * org.jocl.Sizeof.cl_float, Transfers.describe(name, host));
        Transfers.upload(ctx, mem, host);
        return new Operand(mem, host.stride());
    }

    /** 1/T per row as float32 on the device when there are row temperatures, else a placeholder. */
    cl_mem rowInverseTemperatures(int n, boolean perRow, java.util.function.IntToDoubleFunction temperature) {
        if (!perRow) {
            return buffer("dummy", 16);
        }
        float[] inv = new float[n];
        for (int i = 0; i < n; i++) {
            inv[i] = (float) (1.0 / temperature.applyAsDouble(i));
        }
        cl_mem m = buffer("rowInvT", (long) n * org.jocl.Sizeof.cl_float, "rowTemperatures (" + n + " values)");
        Transfers.upload(ctx, m, inv);
        return m;
    }

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
