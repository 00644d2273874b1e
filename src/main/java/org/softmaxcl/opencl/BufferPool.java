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

    /**
     * A read-write device buffer of at least {@code bytes} bytes for {@code slot}.
     *
     * @param what what the buffer holds, for the message when it is too large ("logits 3x5")
     * @throws IllegalArgumentException when {@code bytes} exceeds the device's largest allocation
     */
    cl_mem get(String slot, long bytes, String what) {
        long need = Math.max(bytes, 16);
        Slot s = slots.get(slot);
        if (s != null && s.bytes >= need) {
            return s.mem;
        }
        long max = FaultInjection.maxAllocBytes(ctx.info().maxAllocBytes());
        if (need > max) {
            throw new IllegalArgumentException(what + ": needs a device buffer of " + need + " bytes, above the largest "
                    + "allocation of " + ctx.info().name() + " (CL_DEVICE_MAX_MEM_ALLOC_SIZE = " + max + " bytes); "
                    + "split the batch into fewer rows");
        }
        if (s != null) {
            slots.remove(slot);
            clReleaseMemObject(s.mem);
            ClObjects.BUFFERS.decrementAndGet();
        }
        int[] err = new int[1];
        FaultInjection.before("clCreateBuffer");
        cl_mem mem = clCreateBuffer(ctx.context, CL_MEM_READ_WRITE, need, null, err);
        Cl.check(err[0], "clCreateBuffer(" + slot + ", " + need + " bytes)");
        ClObjects.BUFFERS.incrementAndGet();
        slots.put(slot, new Slot(mem, need));
        return mem;
    }

    /**
     * Gives {@code slot}'s buffer (which a call has just filled) to {@code d} and takes {@code d}'s
     * old buffer into the slot in exchange: the result of a call moves into a device matrix without
     * a device-to-device copy. The slot must hold at least {@code d.bytes()} bytes (it was obtained
     * with {@link #get} for d's shape).
     */
    void handOver(String slot, ClData d) {
        Slot s = slots.get(slot);
        if (s == null || s.bytes < d.bytes()) {
            throw new IllegalStateException("slot " + slot + " cannot hold " + d.bytes() + " bytes");
        }
        cl_mem old = d.mem;
        d.mem = s.mem;
        slots.put(slot, new Slot(old, d.bytes()));
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
