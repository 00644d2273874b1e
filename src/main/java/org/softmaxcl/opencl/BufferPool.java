package org.softmaxcl.opencl;

import static org.jocl.CL.*;

import java.util.HashMap;
import java.util.Map;

import org.jocl.cl_mem;

/**
 * Device buffers kept between calls, one per named slot ("x", "grad", "rows", …): a slot is reused
 * while it is large enough and replaced by a larger one when it is not. Guarded by the backend's
 * lock. Every buffer is released on {@link #close()}.
 */
final class BufferPool implements AutoCloseable {
    private final ClContext ctx;
    private final Map<String, Slot> slots = new HashMap<>();

    private static final class Slot {
        final cl_mem mem;
        final long bytes;

        Slot(cl_mem mem, long bytes) {
            this.mem = mem;
            this.bytes = bytes;
        }
    }

    BufferPool(ClContext ctx) {
        this.ctx = ctx;
    }

    /** A read-write device buffer of at least {@code bytes} bytes for {@code slot}. */
    cl_mem get(String slot, long bytes) {
        long need = Math.max(bytes, 16);
        Slot s = slots.get(slot);
        if (s != null && s.bytes >= need) {
            return s.mem;
        }
        if (s != null) {
            slots.remove(slot);
            clReleaseMemObject(s.mem);
            ClObjects.BUFFERS.decrementAndGet();
        }
        long max = ctx.info().maxAllocBytes();
        if (need > max) {
            throw new IllegalArgumentException("a buffer of " + need + " bytes for '" + slot
                    + "' exceeds the device's largest allocation (" + max + " bytes)");
        }
        int[] err = new int[1];
        FaultInjection.before("clCreateBuffer");
        cl_mem mem = clCreateBuffer(ctx.context, CL_MEM_READ_WRITE, need, null, err);
        Cl.check(err[0], "clCreateBuffer(" + slot + ", " + need + " bytes)");
        ClObjects.BUFFERS.incrementAndGet();
        slots.put(slot, new Slot(mem, need));
        return mem;
    }

    /** Number of live device buffers. */
    int live() {
        return slots.size();
    }

    /** Total bytes held. */
    long bytes() {
        return slots.values().stream().mapToLong(s -> s.bytes).sum();
    }

    @Override
    public void close() {
        for (Slot s : slots.values()) {
            clReleaseMemObject(s.mem);
            ClObjects.BUFFERS.decrementAndGet();
        }
        slots.clear();
    }
}
