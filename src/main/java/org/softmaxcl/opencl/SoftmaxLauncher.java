package org.softmaxcl.opencl;

import org.jocl.Sizeof;
import org.jocl.cl_mem;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.backend.BackwardTask;
import org.softmaxcl.backend.Checks;
import org.softmaxcl.backend.SoftmaxTask;

/**
 * Routines of {@code kernels-cl/softmax.cl} (V0, V1) and {@code softmax_vec.cl} (V0v):
 * {@code softmax_fwd} (softmax or log-softmax) and {@code softmax_bwd}. Results reach the caller
 * only after the kernel ran and no row was refused.
 */
final class SoftmaxLauncher {
    static final String OP = "softmax";

    private SoftmaxLauncher() {
    }

    static void forward(ClRuntime rt, SoftmaxTask t) {
        forward(rt, t, null, null);
    }

    /**
     * Softmax forward; {@code xd}/{@code od} are device-resident input and output (null: the host
     * matrices of the task). A resident output is written through a scratch buffer and copied over
     * only when no row was refused.
     */
    static void forward(ClRuntime rt, SoftmaxTask t, ClData xd, ClData od) {
        int n = t.rows();
        int k = t.cols();
        rt.lastKernelNanos = 0;
        if (n == 0) {
            return;
        }
        SoftmaxOptions o = t.opts();
        KernelLayout layout = rt.layout(k, n);
        ClContext ctx = rt.ctx;
        FloatMatrix x = t.in();
        boolean refuse = o.nonFinite() == NonFinitePolicy.REFUSE;
        ClRuntime.Operand xin = rt.input("x", "in", x, xd);
        final cl_mem xm = xin.mem();
        final int ldx = xin.ld();
        boolean inPlace = t.out().sameViewAs(x);
        boolean copyBack = od != null && refuse;
        cl_mem om;
        int ldo;
        if (od != null && !refuse) {
            om = od.mem;
            ldo = k;
        } else if (inPlace && od == null) {
            om = xm;
            ldo = ldx;
        } else {
            om = rt.buffer("out", (long) n * k * Sizeof.cl_float, "out " + n + "x" + k);
            ldo = k;
        }
        cl_mem tm = rt.rowInverseTemperatures(n, o.hasRowTemperatures(), i -> o.temperature(i));
        cl_mem sm = rt.buffer("status", (long) n * Sizeof.cl_int, "per-row status (" + n + " rows)");
        String name = layout.kernel("softmax_fwd");
        String opts = rt.fitRowCache(layout.file(OP), name, layout.macros() + KernelLayout.onePassMacro(k) + layout.softmaxCacheMacros(k)
                + " -DLOG=" + (t.log() ? 1 : 0) + " -DROW_TEMP=" + (o.hasRowTemperatures() ? 1 : 0), layout.local());
        KernelCall call = new KernelCall(rt.kernel(layout.file(OP), name, opts), name)
                .i(n).i(k).mem(xm).i(ldx).mem(tm).mem(om).i(ldo).mem(sm).f((float) (1.0 / o.temperature()));
        rt.lastKernelNanos = call.run(ctx, layout.global(n), layout.local());
        if (o.nonFinite() == NonFinitePolicy.REFUSE) {
            float[] status = new float[n];
            Transfers.download(ctx, sm, status);
            for (int i = 0; i < n; i++) {
                if (Float.floatToRawIntBits(status[i]) != 0) {
                    FloatMatrix rowSource = xd != null ? FloatMatrix.of(xd.row(ctx, i), 1, k) : x;
                    String msg = Checks.badLogitRow("logits", rowSource, xd != null ? 0 : i, i, true, o.temperature(i), false);
                    throw new IllegalArgumentException(msg != null ? msg
                            : "logits row " + i + ": a scaled logit overflows float32 (temperature too small)");
                }
            }
        }
        if (copyBack) {
            rt.handOver("out", od);
        } else if (od == null) {
            Transfers.download(ctx, om, ldo, t.out());
        }
    }

    static void backward(ClRuntime rt, BackwardTask t) {
        int n = t.rows();
        int k = t.cols();
        rt.lastKernelNanos = 0;
        if (n == 0) {
            return;
        }
        KernelLayout layout = rt.layout(k, n);
        ClContext ctx = rt.ctx;
        cl_mem ym = rt.buffer("y", Transfers.span(t.y()) * Sizeof.cl_float, Transfers.describe(t.log() ? "logProbs" : "probs", t.y()));
        Transfers.upload(ctx, ym, t.y());
        cl_mem gm = rt.buffer("g", Transfers.span(t.g()) * Sizeof.cl_float, Transfers.describe("gradOut", t.g()));
        Transfers.upload(ctx, gm, t.g());
        boolean inPlace = t.dx().sameViewAs(t.g());
        cl_mem dm = inPlace ? gm : rt.buffer("dx", (long) n * k * Sizeof.cl_float, "gradIn " + n + "x" + k);
        int ldd = inPlace ? t.g().stride() : k;
        String opts = layout.macros() + " -DLOG=" + (t.log() ? 1 : 0);
        String name = layout.kernel("softmax_bwd");
        KernelCall call = new KernelCall(rt.kernel(layout.file(OP), name, opts), name)
                .i(n).i(k).mem(ym).i(t.y().stride()).mem(gm).i(t.g().stride()).mem(dm).i(ldd);
        rt.lastKernelNanos = call.run(ctx, layout.global(n), layout.local());
        Transfers.download(ctx, dm, ldd, t.dx());
    }
}
