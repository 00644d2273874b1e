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

    /** The argument {@code name} with its shape, for messages: {@code "logits 3x5 (stride 7)"}. */
    static String describe(String name, FloatMatrix m) {
        return name + " " + m.rows() + "x" + m.cols() + (m.stride() != m.cols() ? " (stride " + m.stride() + ")" : "");
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
        if (!m.hasArray() && !m.buffer().isDirect()) {
            // A read-only heap buffer: JOCL reaches neither its array nor its memory, so copy it.
            float[] copy = new float[(int) n];
            m.buffer().get(m.offset(), copy, 0, copy.length);
            upload(ctx, mem, copy);
            return;
        }
        FaultInjection.before("clEnqueueWriteBuffer");
        Cl.check(clEnqueueWriteBuffer(ctx.queue, mem, CL_TRUE, 0, n * Sizeof.cl_float, pointer(m), 0, null, null),
                "clEnqueueWriteBuffer");
    }

    /** Uploads {@code m} into a dense buffer (row stride K), whatever the caller's stride. */
    static void uploadDense(ClContext ctx, cl_mem mem, FloatMatrix m) {
        if (m.stride() == m.cols() || m.rows() <= 1) {
            upload(ctx, mem, m);
            return;
        }
        if (!m.hasArray() && !m.buffer().isDirect()) {
            upload(ctx, mem, m.toArray());
            return;
        }
        long f = Sizeof.cl_float;
        FaultInjection.before("clEnqueueWriteBuffer");
        Cl.check(clEnqueueWriteBufferRect(ctx.queue, mem, CL_TRUE, new long[] {0, 0, 0}, new long[] {0, 0, 0},
                new long[] {m.cols() * f, m.rows(), 1}, m.cols() * f, 0, m.stride() * f, 0, pointer(m), 0, null, null),
                "clEnqueueWriteBufferRect");
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
        if (!dst.hasArray() && !dst.buffer().isDirect()) {
            // A heap buffer without an accessible array (a view of a heap ByteBuffer): read into an
            // array, then copy row by row.
            float[] tmp = new float[(int) ((long) (dst.rows() - 1) * deviceLd + dst.cols())];
            download(ctx, mem, tmp);
            for (int r = 0; r < dst.rows(); r++) {
                dst.setRow(r, tmp, r * deviceLd);
            }
            return;
        }
        if (deviceLd == dst.cols() && dst.stride() == dst.cols()) {
            FaultInjection.before("clEnqueueReadBuffer");
            Cl.check(clEnqueueReadBuffer(ctx.queue, mem, CL_TRUE, 0, span(dst) * Sizeof.cl_float, pointer(dst),
                    0, null, null), "clEnqueueReadBuffer");
            return;
        }
        // The device buffer ends with the last row (it holds the span, not rows x deviceLd), and
        // NVIDIA's driver bounds a rectangle by rows x row pitch: read all rows but the last as a
        // rectangle, the last one plainly.
        long f = Sizeof.cl_float;
        int head = dst.rows() - 1;
        if (head > 0) {
            FaultInjection.before("clEnqueueReadBuffer");
            Cl.check(clEnqueueReadBufferRect(ctx.queue, mem, CL_TRUE, new long[] {0, 0, 0}, new long[] {0, 0, 0},
                    new long[] {dst.cols() * f, head, 1}, deviceLd * f, 0, dst.stride() * f, 0, pointer(dst),
                    0, null, null), "clEnqueueReadBufferRect");
        }
        FaultInjection.before("clEnqueueReadBuffer");
        Cl.check(clEnqueueReadBuffer(ctx.queue, mem, CL_TRUE, (long) head * deviceLd * f, dst.cols() * f,
                pointer(dst).withByteOffset((long) head * dst.stride() * f), 0, null, null), "clEnqueueReadBuffer");
    }
}
