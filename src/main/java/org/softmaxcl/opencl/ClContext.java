package org.softmaxcl.opencl;

import static org.jocl.CL.*;

import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_queue_properties;

/**
 * An OpenCL context on one device with in-order command queues that record profiling timestamps:
 * {@link #queue} for kernels and ordinary copies, and {@link #transferQueue()}, made on first use,
 * for the uploads of a pipelined call, which overlap the kernels of the chunks before them (events
 * order the two). Guarded by the backend's lock. {@code clCreateCommandQueueWithProperties} is tried first and
 * {@code clCreateCommandQueue} used where it is missing or refused (OpenCL 1.2 platforms).
 */
final class ClContext implements AutoCloseable {
    final ClDevice device;
    final cl_context context;
    final cl_command_queue queue;
    private cl_command_queue transferQueue;
    private boolean closed;

    private ClContext(ClDevice device, cl_context context, cl_command_queue queue) {
        this.device = device;
        this.context = context;
        this.queue = queue;
    }

    static ClContext open(ClDevice d) {
        int[] err = new int[1];
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, d.platform());
        FaultInjection.before("clCreateContext");
        cl_context ctx = clCreateContext(props, 1, new cl_device_id[] {d.id()}, null, null, err);
        Cl.check(err[0], "clCreateContext");
        ClObjects.CONTEXTS.incrementAndGet();
        try {
            cl_command_queue q = createQueue(ctx, d.id());
            ClObjects.QUEUES.incrementAndGet();
            return new ClContext(d, ctx, q);
        } catch (RuntimeException | Error e) {
            clReleaseContext(ctx);
            ClObjects.CONTEXTS.decrementAndGet();
            throw e;
        }
    }

    private static cl_command_queue createQueue(cl_context ctx, cl_device_id dev) {
        int[] err = new int[1];
        FaultInjection.before("clCreateCommandQueue");
        cl_command_queue q = null;
        try {
            cl_queue_properties qp = new cl_queue_properties();
            qp.addProperty(CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE);
            q = clCreateCommandQueueWithProperties(ctx, dev, qp, err);
        } catch (LinkageError | UnsupportedOperationException e) {
            q = null;
        }
        if (q == null || err[0] != CL_SUCCESS) {
            err[0] = 0;
            @SuppressWarnings("deprecation")
            cl_command_queue q12 = clCreateCommandQueue(ctx, dev, CL_QUEUE_PROFILING_ENABLE, err);
            Cl.check(err[0], "clCreateCommandQueue");
            q = q12;
        }
        return q;
    }

    /** The second queue, for pipelined uploads; created by the first call that needs it. */
    cl_command_queue transferQueue() {
        if (transferQueue == null) {
            transferQueue = createQueue(context, device.id());
            ClObjects.QUEUES.incrementAndGet();
        }
        return transferQueue;
    }

    DeviceInfo info() {
        return device.info();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (transferQueue != null) {
            clReleaseCommandQueue(transferQueue);
            ClObjects.QUEUES.decrementAndGet();
        }
        clReleaseCommandQueue(queue);
        ClObjects.QUEUES.decrementAndGet();
        clReleaseContext(context);
        ClObjects.CONTEXTS.decrementAndGet();
    }
}
