package org.softmaxcl.opencl;

import static org.jocl.CL.*;

import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_mem;
import org.softmaxcl.FloatMatrix;

/**
 * Host ↔ device copies of matrices and vectors (blocking). A matrix goes up as its whole span
 * (rows − 1)·stride + cols from its origin, so on the device element (r, c) sits at
 * r·stride + c; results come back row by row into the caller's view (a rectangular read when the
 * strides differ), so padding between the caller's rows is never touched.
 */
final class Transfers {
    private Transfers() {
    }

    /** Floats a matrix spans from its origin. */
    static long span(FloatMatrix m) {
        return m.rows() == 0 ? 0 : (long) (m.rows() - 1) * m.stride() + m.cols();
    }

    static Pointer pointer(FloatMatrix m) {
        Pointer p = m.hasArray() ? Pointer.to(m.array()) : Pointer.to(m.buffer());
        return p.withByteOffset((long) m.offset() * Sizeof.cl_float);
    }

    /** Uploads the span of {@code m} to the start of {@code mem}. */
    static void upload(ClContext ctx, cl_mem mem, FloatMatrix m) {
        long n = span(m);
        if (n == 0) {
            return;
        }
        FaultInjection.before("clEnqueueWriteBuffer");
        Cl.check(clEnqueueWriteBuffer(ctx.queue, mem, CL_TRUE, 0, n * Sizeof.cl_float, pointer(m), 0, null, null),
                "clEnqueueWriteBuffer");
    }

    static void upload(ClContext ctx, cl_mem mem, float[] a) {
        if (a.length > 0) {
            FaultInjection.before("clEnqueueWriteBuffer");
            Cl.check(clEnqueueWriteBuffer(ctx.queue, mem, CL_TRUE, 0, (long) a.length * Sizeof.cl_float,
                    Pointer.to(a), 0, null, null), "clEnqueueWriteBuffer");
        }
    }

    static void upload(ClContext ctx, cl_mem mem, int[] a) {
        if (a.length > 0) {
            FaultInjection.before("clEnqueueWriteBuffer");
            Cl.check(clEnqueueWriteBuffer(ctx.queue, mem, CL_TRUE, 0, (long) a.length * Sizeof.cl_int,
                    Pointer.to(a), 0, null, null), "clEnqueueWriteBuffer");
        }
    }

    static void download(ClContext ctx, cl_mem mem, float[] a) {
        if (a.length > 0) {
            FaultInjection.before("clEnqueueReadBuffer");
            Cl.check(clEnqueueReadBuffer(ctx.queue, mem, CL_TRUE, 0, (long) a.length * Sizeof.cl_float,
                    Pointer.to(a), 0, null, null), "clEnqueueReadBuffer");
        }
    }

    /** Reads an N×K result whose device rows are {@code deviceLd} floats apart into {@code dst}. */
    static void download(ClContext ctx, cl_mem mem, int deviceLd, FloatMatrix dst) {
        if (dst.rows() == 0) {
            return;
        }
        if (deviceLd == dst.cols() && dst.stride() == dst.cols()) {
            FaultInjection.before("clEnqueueReadBuffer");
            Cl.check(clEnqueueReadBuffer(ctx.queue, mem, CL_TRUE, 0, span(dst) * Sizeof.cl_float, pointer(dst),
                    0, null, null), "clEnqueueReadBuffer");
            return;
        }
        long f = Sizeof.cl_float;
        FaultInjection.before("clEnqueueReadBuffer");
        Cl.check(clEnqueueReadBufferRect(ctx.queue, mem, CL_TRUE, new long[] {0, 0, 0}, new long[] {0, 0, 0},
                new long[] {dst.cols() * f, dst.rows(), 1}, deviceLd * f, 0, dst.stride() * f, 0, pointer(dst),
                0, null, null), "clEnqueueReadBufferRect");
    }
}
