package org.softmaxcl.opencl;

import static org.jocl.CL.*;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;
import org.jocl.cl_mem;
import org.softmaxcl.FloatMatrix;

/**
 * The upload of a host matrix to its device buffer in chunks of rows, on the context's transfer
 * queue and without blocking: each chunk returns the event that a kernel over those rows waits
 * for, so chunk c + 1 travels while the kernel of chunk c runs. Rows of a Java array or heap buffer
 * go through the two {@link PinnedStaging} areas in turn (an area is refilled only once the device
 * has read it); rows of a direct buffer go straight from the caller's memory. The caller's matrix is
 * only read. On the device, element (r, c) lands at r·stride + c, as with {@link Transfers#upload}.
 * {@link #close()} waits for every upload and releases every event, also after a failure.
 */
final class ChunkedUpload implements AutoCloseable {
    private final ClContext ctx;
    private final FloatMatrix x;
    private final cl_mem dst;
    /** Null when the rows go straight from a direct buffer. */
    private final PinnedStaging staging;
    private final List<cl_event> events = new ArrayList<>();
    private final cl_event[] slotWrite = new cl_event[PinnedStaging.SLOTS];
    private int nextSlot;

    /**
     * @param staging the staging areas, each large enough for one chunk's span of rows, or null
     *                when {@code x} is a direct buffer
     */
    ChunkedUpload(ClContext ctx, FloatMatrix x, cl_mem dst, PinnedStaging staging) {
        if (staging == null && needsStaging(x)) {
            throw new IllegalStateException("rows of a Java array or heap buffer need staging areas");
        }
        this.ctx = ctx;
        this.x = x;
        this.dst = dst;
        this.staging = staging;
    }

    /** Whether rows of {@code x} go through staging areas (a Java array or a heap buffer). */
    static boolean needsStaging(FloatMatrix x) {
        return x.hasArray() || !x.buffer().isDirect();
    }

    /** Floats of the span of rows [r0, r1): from row r0's start to the end of row r1 − 1. */
    static long span(FloatMatrix x, int r0, int r1) {
        return (long) (r1 - 1 - r0) * x.stride() + x.cols();
    }

    /** Enqueues the upload of rows [r0, r1) and returns its event (owned by this object). */
    cl_event rows(int r0, int r1) {
        long first = (long) r0 * x.stride();
        long count = span(x, r0, r1);
        Pointer src;
        int slot = -1;
        if (staging == null) {
            src = Transfers.pointer(x).withByteOffset(first * Sizeof.cl_float);   // pointer() starts at the view's origin
        } else {
            slot = nextSlot;
            nextSlot = (nextSlot + 1) % PinnedStaging.SLOTS;
            if (slotWrite[slot] != null) {
                FaultInjection.before("clWaitForEvents");
                Cl.check(clWaitForEvents(1, new cl_event[] {slotWrite[slot]}), "clWaitForEvents(staged upload)");
            }
            FloatBuffer area = staging.floats(slot);
            int from = Math.toIntExact(x.offset() + first);
            int len = Math.toIntExact(count);
            if (x.hasArray()) {
                area.put(0, x.array(), from, len);
            } else {
                area.put(0, x.buffer(), from, len);
            }
            src = staging.pointer(slot);
        }
        cl_event ev = new cl_event();
        FaultInjection.before("clEnqueueWriteBuffer");
        Cl.check(clEnqueueWriteBuffer(ctx.transferQueue(), dst, CL_FALSE, first * Sizeof.cl_float, count * Sizeof.cl_float,
                src, 0, null, ev), "clEnqueueWriteBuffer(rows " + r0 + ".." + (r1 - 1) + ")");
        ClObjects.EVENTS.incrementAndGet();
        events.add(ev);
        if (slot >= 0) {
            slotWrite[slot] = ev;
        }
        return ev;
    }

    @Override
    public void close() {
        try {
            if (!events.isEmpty()) {
                clFinish(ctx.transferQueue());
            }
        } finally {
            KernelCall.release(events);
        }
    }
}
