package org.softmaxcl.opencl;

import org.jocl.Sizeof;
import org.jocl.cl_mem;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.XentOptions;
import org.softmaxcl.backend.Checks;
import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.backend.XentTask;

/**
 * Routine of {@code kernels-cl/xent.cl}, {@code xent_vec.cl} and {@code xent_split.cl}: chooses the build options from the task's options,
 * uploads the inputs, launches one kernel over the rows, refuses flagged rows, and only then
 * copies the gradient and the per-row results to the caller.
 */
final class XentLauncher {
    static final String OP = "xent";
    /** Fields of the per-row output: ce, lse, status (+ max, argmax, p_target, entropy, hit). */
    static final int FIELDS = 3;
    static final int FIELDS_STATS = 8;
    /** Floats per (row, chunk) partial of V3 (xent_split.cl's PFIELDS). */
    static final int SPLIT_FIELDS = 12;

    private XentLauncher() {
    }

    /** The -D options for this task's features and layout. */
    static String options(XentTask t, KernelLayout layout) {
        XentOptions o = t.opts();
        return layout.macros()
                + " -DSOFT=" + bit(!t.hard())
                + " -DWEIGHTS=" + bit(o.hasClassWeights())
                + " -DSMOOTH=" + bit(o.labelSmoothing() != 0)
                + " -DSOFTCAP=" + bit(o.softcap() != 0)
                + " -DROW_TEMP=" + bit(o.hasRowTemperatures())
                + " -DROW_SCALE=" + bit(o.hasSampleWeights() || o.hasRowGradScales())
                + " -DGRAD=" + bit(t.grad() != null)
                + " -DSTATS=" + bit(o.rowStats());
    }

    static void run(ClRuntime rt, XentTask t, RowOutputs out) {
        int n = t.rows();
        int k = t.cols();
        rt.lastKernelNanos = 0;
        if (n == 0) {
            return;
        }
        XentOptions o = t.opts();
        KernelLayout layout = rt.xentLayout(k, n);
        ClContext ctx = rt.ctx;
        FloatMatrix x = t.logits();

        cl_mem xm = rt.buffer("x", Transfers.span(x) * Sizeof.cl_float, Transfers.describe("logits", x));
        Transfers.upload(ctx, xm, x);
        cl_mem tm;
        cl_mem ym;
        int ldy = 1;
        if (t.hard()) {
            tm = rt.buffer("targets", (long) n * Sizeof.cl_int, "targets (" + n + " class indices)");
            Transfers.upload(ctx, tm, t.targets().classes());
            ym = rt.buffer("dummy", 16);
        } else {
            FloatMatrix y = t.targets().distribution();
            ym = rt.buffer("y", Transfers.span(y) * Sizeof.cl_float, Transfers.describe("targets", y));
            Transfers.upload(ctx, ym, y);
            ldy = y.stride();
            tm = rt.buffer("dummy", 16);
        }
        cl_mem wm = rt.buffer("dummy", 16);
        if (o.hasClassWeights()) {
            wm = rt.buffer("weights", (long) k * Sizeof.cl_float, "classWeights (" + k + " values)");
            Transfers.upload(ctx, wm, o.classWeights());
        }
        cl_mem tempm = rt.buffer("dummy", 16);
        if (o.hasRowTemperatures()) {
            float[] inv = new float[n];
            for (int i = 0; i < n; i++) {
                inv[i] = (float) (1.0 / o.temperature(i));
            }
            tempm = rt.buffer("rowInvT", (long) n * Sizeof.cl_float, "rowTemperatures (" + n + " values)");
            Transfers.upload(ctx, tempm, inv);
        }
        cl_mem scalem = rt.buffer("dummy", 16);
        if (o.hasSampleWeights() || o.hasRowGradScales()) {
            float[] r = new float[n];
            for (int i = 0; i < n; i++) {
                r[i] = t.rowScale(i);
            }
            scalem = rt.buffer("rowScale", (long) n * Sizeof.cl_float, "row scales (" + n + " values)");
            Transfers.upload(ctx, scalem, r);
        }
        FloatMatrix grad = t.grad();
        cl_mem gm = rt.buffer("dummy", 16);
        int ldg = k;
        if (grad != null) {
            if (t.inPlace()) {
                gm = xm;
                ldg = x.stride();
            } else {
                gm = rt.buffer("grad", (long) n * k * Sizeof.cl_float, "grad " + n + "x" + k);
            }
        }
        int fields = o.rowStats() ? FIELDS_STATS : FIELDS;
        cl_mem rowm = rt.buffer("rows", (long) fields * n * Sizeof.cl_float, "per-row outputs (" + n + " rows)");

        String opts = options(t, layout);
        float invT = (float) (1.0 / o.temperature());
        float smooth = (float) ((double) o.labelSmoothing() / k);
        if (layout.splitRows()) {
            // V3: partial sums per chunk, then merge and write; two launches, no host sync between.
            cl_mem pm = rt.buffer("partials", (long) n * layout.split() * SPLIT_FIELDS * Sizeof.cl_float);
            String file = layout.file(OP);
            KernelCall partial = new KernelCall(rt.kernel(file, "xent_split_partial", opts), "xent_split_partial")
                    .i(n).i(k).mem(xm).i(x.stride()).mem(tm).mem(ym).i(ldy).mem(wm).mem(tempm).mem(pm)
                    .f(invT).f(o.softcap()).f(o.labelSmoothing()).f(smooth).i(o.ignoreIndex());
            long ns = partial.run(ctx, layout.global(n), layout.local());
            KernelCall finish = new KernelCall(rt.kernel(file, "xent_split_finish", opts), "xent_split_finish")
                    .i(n).i(k).mem(xm).i(x.stride()).mem(tm).mem(ym).i(ldy).mem(wm).mem(tempm).mem(scalem)
                    .mem(gm).i(ldg).mem(rowm).mem(pm)
                    .f(invT).f(o.softcap()).f(o.labelSmoothing()).f(smooth).f((float) t.classWeightSum())
                    .i(o.ignoreIndex()).f((float) t.ceScale()).f((float) (t.zScale() * 2.0 * o.zLoss())).f(o.gradScale());
            rt.lastKernelNanos = ns + finish.run(ctx, layout.global(n), layout.local());
        } else {
            String name = layout.kernel(OP);
            KernelCall call = new KernelCall(rt.kernel(layout.file(OP), name, opts), name)
                    .i(n).i(k).mem(xm).i(x.stride()).mem(tm).mem(ym).i(ldy).mem(wm).mem(tempm).mem(scalem)
                    .mem(gm).i(ldg).mem(rowm)
                    .f(invT).f(o.softcap()).f(o.labelSmoothing()).f(smooth).f((float) t.classWeightSum())
                    .i(o.ignoreIndex()).f((float) t.ceScale()).f((float) (t.zScale() * 2.0 * o.zLoss())).f(o.gradScale());
            rt.lastKernelNanos = call.run(ctx, layout.global(n), layout.local());
        }

        float[] rows = new float[fields * n];
        Transfers.download(ctx, rowm, rows);
        refuseFlaggedRows(t, rows, n);

        if (grad != null) {
            Transfers.download(ctx, gm, ldg, grad);
        }
        System.arraycopy(rows, 0, out.ce, 0, n);
        System.arraycopy(rows, n, out.lse, 0, n);
        if (out.hasStats()) {
            for (int i = 0; i < n; i++) {
                out.max[i] = rows[3 * n + i];
                out.argmax[i] = Float.floatToRawIntBits(rows[4 * n + i]);
                out.targetProb[i] = rows[5 * n + i];
                out.entropy[i] = rows[6 * n + i];
                out.hit[i] = Float.floatToRawIntBits(rows[7 * n + i]) != 0;
            }
        }
    }

    /** Throws for the first row the kernel flagged (bad logits under REFUSE, bad soft targets always). */
    private static void refuseFlaggedRows(XentTask t, float[] rows, int n) {
        boolean refuseLogits = t.opts().nonFinite() == NonFinitePolicy.REFUSE;
        for (int i = 0; i < n; i++) {
            int status = Float.floatToRawIntBits(rows[2 * n + i]);
            if (refuseLogits && (status & 1) != 0) {
                String msg = Checks.badLogitRow("logits", t.logits(), i, t.counted(i), t.opts().temperature(i),
                        t.opts().softcap() != 0);
                throw new IllegalArgumentException(msg != null ? msg
                        : "logits row " + i + ": a scaled logit overflows float32 (temperature too small)");
            }
            if ((status & 2) != 0) {
                throw new IllegalArgumentException(Checks.badSoftTargetRow(t.targets().distribution(), i));
            }
        }
    }

    private static int bit(boolean b) {
        return b ? 1 : 0;
    }
}
