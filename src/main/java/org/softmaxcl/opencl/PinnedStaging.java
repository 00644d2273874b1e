package org.softmaxcl.opencl;

import static org.jocl.CL.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import org.jocl.Pointer;
import org.jocl.cl_mem;

/**
 * Two host staging areas of {@link #bytes()} bytes each in page-locked ("pinned") memory: buffers
 * created with {@code CL_MEM_ALLOC_HOST_PTR} and mapped once for the life of the object. A Java
 * array cannot be the source of an asynchronous write (the collector may move it), so a pipelined
 * upload copies each chunk of rows into one area while the device reads the other; from pinned
 * memory a GPU's copy engine reads at full bus speed without an extra copy by the driver. Guarded
 * by the backend's lock; every buffer is unmapped and released on {@link #close()}.
 */
final class PinnedStaging implements AutoCloseable {
    static final int SLOTS = 2;
    private final ClContext ctx;
    private final long bytes;
    private final cl_mem[] mem = new cl_mem[SLOTS];
    private final ByteBuffer[] mapped = new ByteBuffer[SLOTS];

    /**
     * Creates and maps both areas.
     *
     * @throws OpenClException if the device refuses the allocation or the map (nothing is left behind)
     */
    PinnedStaging(ClContext ctx, long bytes) {
        this.ctx = ctx;
        this.bytes = bytes;
        try {
            for (int s = 0; s < SLOTS; s++) {
                int[] err = new int[1];
                FaultInjection.before("clCreateBuffer");
                mem[s] = clCreateBuffer(ctx.context, CL_MEM_READ_ONLY | CL_MEM_ALLOC_HOST_PTR, bytes, null, err);
                Cl.check(err[0], "clCreateBuffer(pinned staging, " + bytes + " bytes)");
                ClObjects.BUFFERS.incrementAndGet();
                FaultInjection.before("clEnqueueMapBuffer");
                ByteBuffer b = clEnqueueMapBuffer(ctx.queue, mem[s], CL_TRUE, CL_MAP_WRITE, 0, bytes, 0, null, null, err);
                Cl.check(err[0], "clEnqueueMapBuffer(pinned staging)");
                mapped[s] = b.order(ByteOrder.nativeOrder());
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    long bytes() {
        return bytes;
    }

    /** Area {@code slot} as floats from its start (a fresh view: position 0, capacity bytes / 4). */
    FloatBuffer floats(int slot) {
        return mapped[slot].asFloatBuffer();
    }

    /** Area {@code slot} as the source of a write. */
    Pointer pointer(int slot) {
        return Pointer.to(mapped[slot]);
    }

    @Override
    public void close() {
        for (int s = 0; s < SLOTS; s++) {
            if (mem[s] == null) {
                continue;
            }
            if (mapped[s] != null) {
                clEnqueueUnmapMemObject(ctx.queue, mem[s], mapped[s], 0, null, null);
                mapped[s] = null;
            }
            clFinish(ctx.queue);
            clReleaseMemObject(mem[s]);
            ClObjects.BUFFERS.decrementAndGet();
            mem[s] = null;
        }
    }
}
