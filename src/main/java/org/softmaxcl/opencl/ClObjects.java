package org.softmaxcl.opencl;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts of live OpenCL objects created by this library in this process (contexts, queues,
 * programs, kernels, buffers, events), for leak tests and diagnostics.
 */
public final class ClObjects {
    static final AtomicLong CONTEXTS = new AtomicLong();
    static final AtomicLong QUEUES = new AtomicLong();
    static final AtomicLong PROGRAMS = new AtomicLong();
    static final AtomicLong KERNELS = new AtomicLong();
    static final AtomicLong BUFFERS = new AtomicLong();
    static final AtomicLong EVENTS = new AtomicLong();

    private ClObjects() {
    }

    /** The sum of every count: 0 when everything created has been released. */
    public static long live() {
        return CONTEXTS.get() + QUEUES.get() + PROGRAMS.get() + KERNELS.get() + BUFFERS.get() + EVENTS.get();
    }

    /** The counts, for messages. */
    public static String describe() {
        return "contexts=" + CONTEXTS.get() + " queues=" + QUEUES.get() + " programs=" + PROGRAMS.get()
                + " kernels=" + KERNELS.get() + " buffers=" + BUFFERS.get() + " events=" + EVENTS.get();
    }
}
