package org.softmaxcl.opencl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.backend.SampleBatches;
import org.softmaxcl.backend.XentTask;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.XentOptions;
import org.softmaxcl.reference.Reference64;

/**
 * Measures every candidate kernel layout on a device over a K sweep (kernel-only time of the fused
 * cross-entropy pass, from profiling events) and derives the device's cut-overs for the
 * {@link TuningDatabase}: for each K the fastest layout, with a cut wherever the winner changes.
 * The search space is data: {@link #candidates(DeviceInfo)}.
 */
public final class Tuner {
    private Tuner() {
    }

    /** One timing: layout × K. */
    public record Measurement(int k, int rows, String layout, double kernelMs, double gelemPerS) {
    }

    /** What the tuner found, and where it stored the entry (null when not stored). */
    public record Result(DeviceInfo device, List<Measurement> measurements, String entry, Path file) {
    }

    /** The layouts tried on a device. */
    static List<String> candidates(DeviceInfo d) {
        if (d.isCpu()) {
            return List.of("v0:64", "v0v:4:8", "v0v:8:1", "v0v:8:8", "v0v:8:4:16", "v0v:8:2:32", "v1:16");
        }
        return List.of("v0:64", "v0:128", "v0v:4:64", "v1:32", "v1:64", "v1:128", "v1:256", "v1:512", "v1:1024",
                "v2:32", "v2:64", "v2:128", "v2:256", "v2:512", "v2:1024");
    }

    /** The K values swept. */
    public static final int[] DEFAULT_KS = {2, 8, 32, 128, 512, 2048, 8192, 32768, 131072};

    /**
     * Tunes the device picked by {@code selector} (null: the preferred one) over its
     * {@linkplain #candidates candidate layouts}.
     *
     * @param ks       the K values, increasing
     * @param elements about N·K per shape
     * @param reps     timed launches per (layout, K); the median counts
     * @param store    whether to write the entry into the user's tuning file
     * @param progress receives one line per measurement
     */
    public static Result tune(String selector, int[] ks, long elements, int reps, boolean store, Consumer<String> progress) {
        return tune(selector, null, ks, elements, reps, store, progress);
    }

    /**
     * As {@link #tune(String, int[], long, int, boolean, Consumer)} over the given layouts (null:
     * the device's candidates). One backend times them all ({@link OpenClBackend#forceLayout}: one
     * context, one set of device buffers), and each shape's batch is made once and run by every
     * layout in turn, so the layouts of one K are timed seconds apart, not a whole sweep apart.
     *
     * @throws IllegalArgumentException when a layout does not parse (the message names it)
     */
    public static Result tune(String selector, List<String> only, int[] ks, long elements, int reps, boolean store,
                              Consumer<String> progress) {
        if (only != null) {
            only.forEach(Tuner::checkLayout);
        }
        List<Measurement> all = new ArrayList<>();
        DeviceInfo device;
        try (OpenClBackend b = OpenClBackend.open(selector, null, "tune")) {
            device = b.device();
            List<String> layouts = only != null ? only : candidates(device);
            // The one-row layouts some listed layout walks several rows of: only their gradients are kept.
            java.util.Set<String> bases = new java.util.HashSet<>();
            for (String layout : layouts) {
                String base = oneRowForm(KernelLayout.parse(layout));
                if (base != null) {
                    bases.add(base);
                }
            }
            for (int k : ks) {
                int rows = (int) Math.max(1, Math.min(elements / k, Integer.MAX_VALUE / k));
                XentTask task = SampleBatches.hardTargets(rows, k, k,
                        XentOptions.builder().nonFinite(NonFinitePolicy.PROPAGATE).build());
                float[] first = null;
                double[] ref = null;
                java.util.Map<String, float[]> oneRow = new java.util.HashMap<>();
                for (String layout : layouts) {
                    b.forceLayout(layout);
                    double ms;
                    try {
                        ms = time(b, task, reps);
                    } catch (RuntimeException e) {
                        progress.accept(layout + " K=" + k + ": skipped (" + e.getMessage() + ")");
                        continue;
                    }
                    Measurement m = new Measurement(k, rows, layout, ms, (double) rows * k / ms / 1e6);
                    all.add(m);
                    // Each gradient against the same layout's with one row per group where that
                    // was measured (it must give the same bits), else against the first layout's.
                    float[] grad = task.grad().toArray();
                    KernelLayout parsed = KernelLayout.parse(layout);
                    String base = oneRowForm(parsed);
                    String versus = base != null && oneRow.containsKey(base) ? "vs " + base + ": " + difference(oneRow.get(base), grad)
                            : first == null ? "first" : "vs first: " + difference(first, grad);
                    if (first == null) {
                        first = grad;
                        ref = referenceGradient(task);
                    }
                    versus += ", " + errorVsReference(ref, grad, k);
                    if (bases.contains(parsed.toString())) {
                        oneRow.put(parsed.toString(), grad);
                    }
                    progress.accept(String.format(java.util.Locale.ROOT, "%-10s K=%-7d N=%-8d kernel %9.3f ms  %7.3f Gelem/s  grad %s",
                            layout, k, rows, ms, m.gelemPerS(), versus));
                }
            }
        }
        List<TuningDatabase.CutOver> cuts = cutOvers(ks, all);
        Path file = store ? TuningDatabase.store(device, cuts) : null;
        return new Result(device, all, TuningDatabase.format(cuts), file);
    }

    /**
     * Checks one layout name as {@code --layouts} takes it.
     *
     * @throws IllegalArgumentException naming the layout when it does not parse
     */
    public static void checkLayout(String layout) {
        if (KernelLayout.parse(layout) == null) {
            throw new IllegalArgumentException("empty layout name");
        }
    }

    /** For each K the fastest layout; a cut wherever the winner changes; the last winner covers max. */
    static List<TuningDatabase.CutOver> cutOvers(int[] ks, List<Measurement> all) {
        List<TuningDatabase.CutOver> cuts = new ArrayList<>();
        String prev = null;
        int prevK = 0;
        for (int k : ks) {
            String best = all.stream().filter(m -> m.k() == k).min((a, b) -> Double.compare(a.kernelMs(), b.kernelMs()))
                    .map(Measurement::layout).orElseThrow();
            if (prev != null && !best.equals(prev)) {
                cuts.add(new TuningDatabase.CutOver(prevK, KernelLayout.parse(prev)));
            }
            prev = best;
            prevK = k;
        }
        cuts.add(new TuningDatabase.CutOver(Integer.MAX_VALUE, KernelLayout.parse(prev)));
        return cuts;
    }

    /** The layout's one-row-per-group form when it walks several rows per work-group (V1, V2), else null. */
    private static String oneRowForm(KernelLayout l) {
        return l.wgPerRow() && l.rpw() > 1 ? new KernelLayout(true, l.wgs(), l.vecw(), 0, 1).toString() : null;
    }

    /**
     * How a layout's gradient compares with the first layout's of the same K: {@code same bits},
     * or the largest absolute difference (layouts that reduce in another order differ in the last
     * bits; a layout that only changes how rows are walked must give the same bits).
     */
    static String difference(float[] a, float[] b) {
        double max = 0;
        boolean same = true;
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                same = false;
                max = Math.max(max, Math.abs((double) a[i] - b[i]));
            }
        }
        return same ? "same bits" : String.format(java.util.Locale.ROOT, "max |diff| %.3g", max);
    }

    /** The task's gradient in float64 ({@link Reference64}), from the same float32 logits. */
    static double[] referenceGradient(XentTask task) {
        float[] xf = task.logits().toArray();
        double[] x = new double[xf.length];
        for (int i = 0; i < xf.length; i++) {
            x[i] = xf[i];
        }
        return Reference64.xent(x, task.rows(), task.cols(), task.targets().classes(), null, task.opts(), true).grad();
    }

    /**
     * A gradient's error against the float64 one, row by row in units of u = 2^-24 of the row's
     * largest entry (max over rows of max_j |g_j - g64_j| / (u max_j |g64_j|)): the float32
     * rounding of one result is at most 1 such unit, a kernel's few roundings a handful.
     */
    static String errorVsReference(double[] ref, float[] g, int k) {
        double worst = 0;
        for (int r = 0; r * (long) k < ref.length; r++) {
            double big = 0;
            double err = 0;
            for (int j = r * k; j < (r + 1) * k; j++) {
                big = Math.max(big, Math.abs(ref[j]));
                err = Math.max(err, Math.abs(g[j] - ref[j]));
            }
            if (big > 0) {
                worst = Math.max(worst, err / (big * 0x1p-24));
            }
        }
        return String.format(java.util.Locale.ROOT, "vs float64 %.2f u", worst);
    }

    private static double time(OpenClBackend b, XentTask task, int reps) {
        int rows = task.rows();
        long[] ns = new long[reps];
        b.crossEntropy(task, new RowOutputs(rows, false));
        for (int i = 0; i < reps; i++) {
            b.crossEntropy(task, new RowOutputs(rows, false));
            ns[i] = b.lastKernelNanos();
        }
        Arrays.sort(ns);
        return ns[reps / 2] / 1e6;
    }
}
