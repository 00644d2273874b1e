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
    /** Most work-groups of the device-side loss reduction's first stage (xent_reduce.cl). */
    static final int REDUCE_BLOCKS = 1024;
    /** Fields of the per-row output: ce, lse, status (+ max, argmax, p_target, entropy, hit). */
    static final int FIELDS = 3;
    static final int FIELDS_STATS = 8;
    /** Floats per (row, chunk) partial of V3 (xent_split.cl's PFIELDS). */
    static final int SPLIT_FIELDS = 12;

    private XentLauncher() {
    }

    /** The -D options for this task's features and layout on a GPU or another device. */
    static String options(XentTask t, KernelLayout layout, boolean gpu) {
        XentOptions o = t.opts();
        int rowCache = layout.rowCache(t.cols(), gpu);
        return layout.macros() + KernelLayout.onePassMacro(t.cols())
                + " -DROW_CACHE=" + rowCache + layout.fixedKMacro(t.cols(), rowCache) + layout.leanMacro(rowCache)
                + " -DSOFT=" + bit(!t.hard())
                + " -DWEIGHTS=" + bit(o.hasClassWeights())
                + " -DSMOOTH=" + bit(o.labelSmoothing() != 0)
                + " -DSOFTCAP=" + bit(o.softcap() != 0)
                + " -DROW_TEMP=" + bit(o.hasRowTemperatures())
                + " -DROW_SCALE=" + bit(o.hasSampleWeights() || o.hasRowGradScales())
                + " -DGRAD=" + bit(t.grad() != null)
                + " -DSTATS=" + bit(o.rowStats());
    }

    /**
     * One call. {@code xd} and {@code gd} are device-resident logits and gradient (null: the host
     * matrices of the task are uploaded and downloaded). A resident gradient is written into a
     * scratch buffer that becomes the matrix's buffer only after every row passed (under
     * NonFinitePolicy.REFUSE; a buffer exchange, no device-to-device copy);
     * without statistics or per-row losses a resident call reduces the loss on the device.
     */
    static void run(ClRuntime rt, XentTask t, ClData xd, ClData gd, RowOutputs out) {
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

        rt.lastChunks = 0;
        int chunkRows = xd == null ? rt.chunkRows(x, layout) : 0;
        ClRuntime.Operand xin = chunkRows > 0 ? rt.pending("x", "logits", x) : rt.input("x", "logits", x, xd);
        final cl_mem xm = xin.mem();
        final int ldx = xin.ld();
        final cl_mem tm;
        final cl_mem ym;
        final int ldy;
        if (t.hard()) {
            tm = rt.buffer("targets", (long) n * Sizeof.cl_int, "targets (" + n + " class indices)");
            Transfers.upload(ctx, tm, t.targets().classes());
            ym = rt.buffer("dummy", 16);
            ldy = 1;
        } else {
            FloatMatrix y = t.targets().distribution();
            ym = rt.buffer("y", Transfers.span(y) * Sizeof.cl_float, Transfers.describe("targets", y));
            Transfers.upload(ctx, ym, y);
            ldy = y.stride();
            tm = rt.buffer("dummy", 16);
        }
        final cl_mem wm = o.hasClassWeights()
                ? rt.buffer("weights", (long) k * Sizeof.cl_float, "classWeights (" + k + " values)") : rt.buffer("dummy", 16);
        if (o.hasClassWeights()) {
            Transfers.upload(ctx, wm, o.classWeights());
        }
        cl_mem tempm = rt.rowInverseTemperatures(n, o.hasRowTemperatures(), i -> o.temperature(i));
        final boolean rowScales = o.hasSampleWeights() || o.hasRowGradScales();
        final cl_mem scalem = rowScales
                ? rt.buffer("rowScale", (long) n * Sizeof.cl_float, "row scales (" + n + " values)") : rt.buffer("dummy", 16);
        if (rowScales) {
            float[] r = new float[n];
            for (int i = 0; i < n; i++) {
                r[i] = t.rowScale(i);
            }
            Transfers.upload(ctx, scalem, r);
        }
        FloatMatrix grad = t.grad();
        final cl_mem gm;
        final int ldg;
        boolean refuse = o.nonFinite() == NonFinitePolicy.REFUSE;
        boolean copyBack = false;
        if (grad == null) {
            gm = rt.buffer("dummy", 16);
            ldg = k;
        } else if (gd != null && !refuse) {
            gm = gd.mem;                      // nothing is refused for logits: write straight in
            ldg = k;
        } else if (gd != null || !t.inPlace()) {
            gm = rt.buffer("grad", (long) n * k * Sizeof.cl_float, "grad " + n + "x" + k);
            ldg = k;
            copyBack = gd != null;
        } else {
            gm = xm;
            ldg = ldx;
        }
        int fields = o.rowStats() ? FIELDS_STATS : FIELDS;
        cl_mem rowm = rt.buffer("rows", (long) fields * n * Sizeof.cl_float, "per-row outputs (" + n + " rows)");

        String opts = rt.fitRowCache(layout.file(OP), layout.kernel(OP), options(t, layout, ctx.info().isGpu()), layout.local());
        float invT = (float) (1.0 / o.temperature());
        float smooth = (float) ((double) o.labelSmoothing() / k);
        // The argument groups of xent_common.cl's XENT_INPUT_PARAMS, XENT_OUTPUT_PARAMS and
        // XENT_SCALAR_PARAMS, in that order.
        java.util.function.UnaryOperator<KernelCall> inputs = c -> c.i(n).i(k).mem(xm).i(ldx).mem(tm)
                .mem(ym).i(ldy).mem(wm).mem(tempm);
        java.util.function.UnaryOperator<KernelCall> outputs = c -> c.mem(scalem).mem(gm).i(ldg).mem(rowm);
        java.util.function.UnaryOperator<KernelCall> scalars = c -> c.f(invT).f(o.softcap()).f(o.labelSmoothing())
                .f(smooth).f((float) t.classWeightSum()).i(o.ignoreIndex()).f((float) t.ceScale())
                .f((float) (t.zScale() * 2.0 * o.zLoss())).f(o.gradScale());
        // The kernels are enqueued back to back and waited for once. A device-resident call that
        // reduces its loss on the device also enqueues the reduction and waits only on the read of
        // its four numbers: on a GPU each wait costs tens of microseconds, a good part of such a call.
        java.util.List<org.jocl.cl_event> queued = new java.util.ArrayList<>(3);
        try {
            if (chunkRows > 0) {
                rt.lastKernelNanos = pipelined(rt, rowKernel(rt, layout, opts, inputs, outputs, scalars), layout, x, xm,
                        chunkRows);
            } else {
                enqueueKernels(rt, layout, n, opts, inputs, outputs, scalars, invT, smooth, o, queued);
            }
            if (xd != null && !o.rowStats() && o.reduction() != org.softmaxcl.Reduction.NONE) {
                reduceOnDevice(rt, t, xd, tm, rowm, out, queued);
                if (copyBack) {
                    rt.handOver("grad", gd);
                }
                return;
            }
            if (!queued.isEmpty()) {
                rt.lastKernelNanos = KernelCall.finish(queued, layout.kernel(OP));
            }
        } finally {
            KernelCall.drain(ctx, queued);
        }
        float[] rows = new float[fields * n];
        Transfers.download(ctx, rowm, rows);
        for (int i = 0; i < n; i++) {
            int status = Float.floatToRawIntBits(rows[2 * n + i]);
            if ((refuse && (status & 1) != 0) || (status & 2) != 0) {
                refuse(rt, t, xd, i, status, refuse);
            }
        }

        if (copyBack) {
            rt.handOver("grad", gd);
        } else if (grad != null && gd == null) {
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

    /**
     * Uploads the logits in chunks of {@code chunkRows} rows on the transfer queue and launches the
     * kernel over each chunk as soon as its rows have arrived, so uploads overlap the kernels of the
     * chunks before them; waits for all and returns the kernels' device time. Nothing of the caller's
     * is written here: results still come back only after every row has passed.
     */
    private static long pipelined(ClRuntime rt, KernelCall call, KernelLayout layout, FloatMatrix x,
                                  org.jocl.cl_mem xm, int chunkRows) {
        int n = x.rows();
        java.util.List<org.jocl.cl_event> kernels = new java.util.ArrayList<>();
        PinnedStaging staging = ChunkedUpload.needsStaging(x)
                ? rt.staging(ChunkedUpload.span(x, 0, chunkRows) * Sizeof.cl_float) : null;
        try (ChunkedUpload up = new ChunkedUpload(rt.ctx, x, xm, staging)) {
            for (int r0 = 0; r0 < n; r0 += chunkRows) {
                int r1 = Math.min(n, r0 + chunkRows);
                org.jocl.cl_event arrived = up.rows(r0, r1);
                kernels.add(call.enqueue(rt.ctx, layout.offset(r0), layout.global(r1 - r0), layout.local(), arrived));
                rt.lastChunks++;
            }
            return KernelCall.finish(kernels, layout.kernel(OP));
        } finally {
            KernelCall.drain(rt.ctx, kernels);
        }
    }

    /** Enqueues the cross-entropy kernels of one call (V3: two) without waiting; their events go to {@code queued}. */
    private static void enqueueKernels(ClRuntime rt, KernelLayout layout, int n, String opts,
                                       java.util.function.UnaryOperator<KernelCall> inputs,
                                       java.util.function.UnaryOperator<KernelCall> outputs,
                                       java.util.function.UnaryOperator<KernelCall> scalars,
                                       float invT, float smooth, XentOptions o, java.util.List<org.jocl.cl_event> queued) {
        ClContext ctx = rt.ctx;
        String file = layout.file(OP);
        if (layout.splitRows()) {
            cl_mem pm = rt.buffer("partials", (long) n * layout.split() * SPLIT_FIELDS * Sizeof.cl_float);
            KernelCall partial = inputs.apply(new KernelCall(rt.kernel(file, "xent_split_partial", opts), "xent_split_partial"))
                    .mem(pm).f(invT).f(o.softcap()).f(o.labelSmoothing()).f(smooth).i(o.ignoreIndex());
            queued.add(partial.enqueue(ctx, 0, layout.global(n), layout.local(), null));
            KernelCall finish = scalars.apply(outputs.apply(inputs.apply(
                    new KernelCall(rt.kernel(file, "xent_split_finish", opts), "xent_split_finish"))).mem(pm));
            queued.add(finish.enqueue(ctx, 0, layout.global(n), layout.local(), null));
        } else {
            queued.add(rowKernel(rt, layout, opts, inputs, outputs, scalars).enqueue(ctx, 0, layout.global(n), layout.local(), null));
        }
    }

    /** The one-kernel cross-entropy of a row layout (V0, V0v, V1) with its arguments bound. */
    private static KernelCall rowKernel(ClRuntime rt, KernelLayout layout, String opts,
                                        java.util.function.UnaryOperator<KernelCall> inputs,
                                        java.util.function.UnaryOperator<KernelCall> outputs,
                                        java.util.function.UnaryOperator<KernelCall> scalars) {
        String name = layout.kernel(OP);
        return scalars.apply(outputs.apply(inputs.apply(new KernelCall(rt.kernel(layout.file(OP), name, opts), name))));
    }

    /**
     * The loss sums and the first flagged rows, reduced on the device: four floats come back. The
     * reduction follows the kernels of {@code queued} on the in-order queue; the blocking read of
     * its result is the call's one wait, after which the events are timed and released.
     */
    private static void reduceOnDevice(ClRuntime rt, XentTask t, ClData xd, cl_mem tm, cl_mem rowm, RowOutputs out,
                                       java.util.List<org.jocl.cl_event> queued) {
        XentOptions o = t.opts();
        int n = t.rows();
        ClContext ctx = rt.ctx;
        cl_mem swm = rt.buffer("dummy", 16);
        if (o.hasSampleWeights()) {
            swm = rt.buffer("sampleWeights", (long) n * Sizeof.cl_float, "sampleWeights (" + n + " values)");
            Transfers.upload(ctx, swm, o.sampleWeights());
        }
        cl_mem res = rt.buffer("reduced", 4 * Sizeof.cl_float);
        int wgs = (int) Math.min(256, Integer.highestOneBit((int) Math.max(1, ctx.info().maxWorkGroup())));
        boolean refuse = o.nonFinite() == NonFinitePolicy.REFUSE;
        // Blocks of at least 4 rows per work-item, at most REDUCE_BLOCKS of them; the partition
        // depends on N and the work-group size only, so the sums are deterministic.
        int blocks = (int) Math.max(1, Math.min(REDUCE_BLOCKS, ((long) n + 4L * wgs - 1) / (4L * wgs)));
        int rowsPerBlock = (int) (((long) n + blocks - 1) / blocks);
        cl_mem parts = rt.buffer("reduceBlocks", (long) blocks * 4 * Sizeof.cl_float);
        String opts = "-DWGS=" + wgs;
        KernelCall partial = new KernelCall(rt.kernel("xent_reduce.cl", "xent_reduce_blocks", opts), "xent_reduce_blocks")
                .i(n).i(rowsPerBlock).mem(rowm).mem(tm).i(t.hard() ? 1 : 0).i(o.ignoreIndex()).mem(swm)
                .i(o.hasSampleWeights() ? 1 : 0).f(o.zLoss()).i(refuse ? 1 : 0).mem(parts);
        queued.add(partial.enqueue(ctx, 0, (long) blocks * wgs, wgs, null));
        KernelCall finish = new KernelCall(rt.kernel("xent_reduce.cl", "xent_reduce_finish", opts), "xent_reduce_finish")
                .i(n).i(blocks).mem(parts).mem(res);
        queued.add(finish.enqueue(ctx, 0, wgs, wgs, null));
        float[] r = new float[4];
        Transfers.download(ctx, res, r);
        rt.lastKernelNanos = KernelCall.finish(queued, "xent_reduce_finish");
        int badLogits = Float.floatToRawIntBits(r[2]);
        int badTarget = Float.floatToRawIntBits(r[3]);
        int first = Math.min(badLogits, badTarget);
        if (first < n) {
            refuse(rt, t, xd, first, (first == badLogits ? 1 : 0) | (first == badTarget ? 2 : 0), refuse);
        }
        out.reduced = true;
        out.ceSum = r[0];
        out.zSum = r[1];
    }

    /** Throws for a row the kernel flagged (bad logits under REFUSE, bad soft targets always). */
    private static void refuse(ClRuntime rt, XentTask t, ClData xd, int i, int status, boolean refuseLogits) {
        if (refuseLogits && (status & 1) != 0) {
            FloatMatrix logits = xd != null ? FloatMatrix.of(xd.row(rt.ctx, i), 1, t.cols()) : t.logits();
            int at = xd != null ? 0 : i;
            String msg = Checks.badLogitRow("logits", logits, at, i, t.counted(i), t.opts().temperature(i),
                    t.opts().softcap() != 0);
            throw new IllegalArgumentException(msg != null ? msg
                    : "logits row " + i + ": a scaled logit overflows float32 (temperature too small)");
        }
        if ((status & 2) != 0) {
            throw new IllegalArgumentException(Checks.badSoftTargetRow(t.targets().distribution(), i));
        }
    }

    private static int bit(boolean b) {
        return b ? 1 : 0;
    }
}
