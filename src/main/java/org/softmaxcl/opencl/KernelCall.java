package org.softmaxcl.opencl;

import static org.jocl.CL.*;

import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * Sets a kernel's arguments in order with explicit types, then launches it and returns the
 * device time from its profiling event (the event is released exactly once).
 */
final class KernelCall {
    private final cl_kernel kernel;
    private final String name;
    private int index;

    KernelCall(cl_kernel kernel, String name) {
        this.kernel = kernel;
        this.name = name;
    }

    KernelCall i(int v) {
        Cl.check(clSetKernelArg(kernel, index++, Sizeof.cl_int, Pointer.to(new int[] {v})), "clSetKernelArg(" + name + ")");
        return this;
    }

    KernelCall f(float v) {
        Cl.check(clSetKernelArg(kernel, index++, Sizeof.cl_float, Pointer.to(new float[] {v})), "clSetKernelArg(" + name + ")");
        return this;
    }

    KernelCall mem(cl_mem m) {
        Cl.check(clSetKernelArg(kernel, index++, Sizeof.cl_mem, Pointer.to(m)), "clSetKernelArg(" + name + ")");
        return this;
    }

    /**
     * Enqueues the kernel over {@code global} work-items from {@code offset} on, in groups of
     * {@code local}, after {@code after} (or at once when null), without waiting. The caller owns
     * the returned event: {@link #finish} waits for such events, times and releases them. (No offset
     * is passed for 0: OpenCL 1.0 devices accept none.)
     */
    cl_event enqueue(ClContext ctx, long offset, long global, long local, cl_event after) {
        cl_event ev = new cl_event();
        FaultInjection.before("clEnqueueNDRangeKernel");
        Cl.check(clEnqueueNDRangeKernel(ctx.queue, kernel, 1, offset == 0 ? null : new long[] {offset}, new long[] {global}, new long[] {local},
                after == null ? 0 : 1, after == null ? null : new cl_event[] {after}, ev), "clEnqueueNDRangeKernel(" + name + ")");
        ClObjects.EVENTS.incrementAndGet();
        return ev;
    }

    /**
     * Waits for the kernel events of {@link #enqueue} and returns their summed device nanoseconds;
     * releases every non-null one of them exactly once, also when waiting fails.
     */
    static long finish(java.util.List<cl_event> events, String what) {
        try {
            FaultInjection.before("clWaitForEvents");
            Cl.check(clWaitForEvents(events.size(), events.toArray(new cl_event[0])), "clWaitForEvents(" + what + ")");
            long sum = 0;
            for (cl_event ev : events) {
                sum += nanos(ev);
            }
            return sum;
        } finally {
            release(events);
        }
    }

    /** Releases events (each once) and empties the list. */
    static void release(java.util.List<cl_event> events) {
        for (cl_event ev : events) {
            clReleaseEvent(ev);
            ClObjects.EVENTS.decrementAndGet();
        }
        events.clear();
    }

    /**
     * After a failure part-way through enqueuing: lets what was enqueued drain, then releases the
     * events that {@link #finish} did not (none when it ran).
     */
    static void drain(ClContext ctx, java.util.List<cl_event> events) {
        if (!events.isEmpty()) {
            clFinish(ctx.queue);
            release(events);
        }
    }

    private static long nanos(cl_event ev) {
        long[] t0 = new long[1];
        long[] t1 = new long[1];
        Cl.check(clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, Sizeof.cl_ulong, Pointer.to(t0), null),
                "clGetEventProfilingInfo");
        Cl.check(clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, Sizeof.cl_ulong, Pointer.to(t1), null),
                "clGetEventProfilingInfo");
        return t1[0] - t0[0];
    }

    /** Enqueues the kernel over {@code global} work-items in groups of {@code local}, waits, returns kernel nanoseconds. */
    long run(ClContext ctx, long global, long local) {
        java.util.List<cl_event> ev = new java.util.ArrayList<>(1);
        ev.add(enqueue(ctx, 0, global, local, null));
        return finish(ev, name);
    }
}
