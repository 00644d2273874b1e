package org.softmaxcl.opencl;

import static org.jocl.CL.*;

import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_mem;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.backend.DeviceData;

/**
 * A device-resident matrix on the OpenCL backend: one dense buffer (row stride K) outside the
 * pool. Transfers go through the backend's lock; the buffer is released by {@link #close()} or
 * with the backend, whichever comes first. A call that wrote the matrix's new contents into a
 * pooled scratch buffer hands that buffer over instead of copying it ({@link BufferPool#handOver}):
 * {@link #mem} changes, under the backend's lock, and is at least rows×cols floats.
 */
final class ClData implements DeviceData {
    final OpenClBackend owner;
    /** The buffer; replaced only under the backend's lock ({@link BufferPool#handOver}). */
    cl_mem mem;
    private final int rows;
    private final int cols;
    private boolean released;

    /** Bytes of the buffer as allocated here: what a buffer handed over in exchange must hold. */
    long bytes() {
        return bytes(rows, cols);
    }

    private static long bytes(int rows, int cols) {
        return Math.max(16, (long) rows * cols * Sizeof.cl_float);
    }

    ClData(OpenClBackend owner, cl_mem mem, int rows, int cols) {
        this.owner = owner;
        this.mem = mem;
        this.rows = rows;
        this.cols = cols;
    }

    /** A zero-filled rows×cols buffer. */
    static ClData allocate(OpenClBackend owner, ClContext ctx, int rows, int cols) {
        long bytes = bytes(rows, cols);
        long max = FaultInjection.maxAllocBytes(ctx.info().maxAllocBytes());
        if (bytes > max) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " device matrix needs " + bytes
                    + " bytes, above the largest allocation of " + ctx.info().name()
                    + " (CL_DEVICE_MAX_MEM_ALLOC_SIZE = " + max + " bytes)");
        }
        int[] err = new int[1];
        FaultInjection.before("clCreateBuffer");
        cl_mem mem = clCreateBuffer(ctx.context, CL_MEM_READ_WRITE, bytes, null, err);
        Cl.check(err[0], "clCreateBuffer(device matrix " + rows + "x" + cols + ")");
        ClObjects.BUFFERS.incrementAndGet();
        try {
            fill(ctx, mem, bytes);
        } catch (RuntimeException e) {
            clReleaseMemObject(mem);
            ClObjects.BUFFERS.decrementAndGet();
            throw e;
        }
        return new ClData(owner, mem, rows, cols);
    }

    /** Zeros the first {@code bytes} of {@code mem} and waits for it. */
    private static void fill(ClContext ctx, cl_mem mem, long bytes) {
        FaultInjection.before("clEnqueueFillBuffer");
        Cl.check(clEnqueueFillBuffer(ctx.queue, mem, Pointer.to(new float[] {0f}), Sizeof.cl_float, 0, bytes, 0, null,
                null), "clEnqueueFillBuffer");
        Cl.check(clFinish(ctx.queue), "clFinish");
    }

    @Override
    public void zero() {
        owner.onDevice(ctx -> {
            ensureLive();
            fill(ctx, mem, bytes());
        });
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public void upload(FloatMatrix src) {
        owner.onDevice(ctx -> {
            ensureLive();
            Transfers.uploadDense(ctx, mem, src);
        });
    }

    @Override
    public void download(FloatMatrix dst) {
        owner.onDevice(ctx -> {
            ensureLive();
            Transfers.download(ctx, mem, cols, dst);
        });
    }

    /** One row into a new array (for messages about refused rows). */
    float[] row(ClContext ctx, int row) {
        float[] r = new float[cols];
        Cl.check(clEnqueueReadBuffer(ctx.queue, mem, CL_TRUE, (long) row * cols * Sizeof.cl_float,
                (long) cols * Sizeof.cl_float, Pointer.to(r), 0, null, null), "clEnqueueReadBuffer");
        return r;
    }

    void ensureLive() {
        if (released) {
            throw new IllegalStateException("the device matrix is closed");
        }
    }

    @Override
    public FloatMatrix hostView() {
        return null;
    }

    @Override
    public void close() {
        owner.release(this);
    }

    /** Releases the buffer once; called under the backend's lock. */
    void releaseNow() {
        if (!released) {
            released = true;
            clReleaseMemObject(mem);
            ClObjects.BUFFERS.decrementAndGet();
        }
    }
}
