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

    /** Enqueues the kernel over {@code global} work-items in groups of {@code local}, waits, returns kernel nanoseconds. */
    long run(ClContext ctx, long global, long local) {
        cl_event ev = new cl_event();
        FaultInjection.before("clEnqueueNDRangeKernel");
        Cl.check(clEnqueueNDRangeKernel(ctx.queue, kernel, 1, null, new long[] {global}, new long[] {local}, 0, null, ev),
                "clEnqueueNDRangeKernel(" + name + ")");
        ClObjects.EVENTS.incrementAndGet();
        try {
            FaultInjection.before("clWaitForEvents");
            Cl.check(clWaitForEvents(1, new cl_event[] {ev}), "clWaitForEvents(" + name + ")");
            long[] t0 = new long[1];
            long[] t1 = new long[1];
            Cl.check(clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, Sizeof.cl_ulong, Pointer.to(t0), null),
                    "clGetEventProfilingInfo");
            Cl.check(clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, Sizeof.cl_ulong, Pointer.to(t1), null),
                    "clGetEventProfilingInfo");
            return t1[0] - t0[0];
        } finally {
            clReleaseEvent(ev);
            ClObjects.EVENTS.decrementAndGet();
        }
    }
}
