package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.RowSums.finishRow;
import static org.softmaxcl.cpu.RowSums.log1p;
import static org.softmaxcl.cpu.RowSums.targetGrad;

import org.softmaxcl.backend.RowOutputs;

/**
 * The CPU kernels of a JVM without the Vector API module: the Vector API kernels' formulas one
 * element at a time in plain Java. Float32 storage and arithmetic, e^(z − m) on {@link FloatExp}
 * stored into the output and then scaled (one exponential per element where the
 * {@link ScalarKernels reference} takes two in float64 through library calls), the sums in
 * float64, and each row finished by {@link RowSums}, the code the vector kernels finish theirs
 * with. So the results agree with the vector path's to float32 rounding (they differ only in the
 * order the sums are added in), at several times the reference's speed.
 *
 * <p>Rows whose largest logit is NaN or ±∞ (or that hold only −∞), and soft-capped rows, go to
 * the {@link ScalarKernels reference kernels}, whose semantics they keep. Stateless apart from
 * that reference, so thread-safe.
 */
final class Float32Kernels implements CpuKernels {
    private final ScalarKernels reference = new ScalarKernels();

    @Override
    public String name() {
        return "scalar-float32";
    }

    /**
     * max of x[xo..xo+k) with NaN propagated, as {@link Math#max} gives it, in four independent
     * chains (one chain waits on each max's several instructions in turn).
     */
    @Override
    public float rowMax(float[] x, int xo, int k) {
        float m0 = Float.NEGATIVE_INFINITY, m1 = m0, m2 = m0, m3 = m0;
        int j = 0;
        for (; j + 4 <= k; j += 4) {
            m0 = Math.max(m0, x[xo + j]);
            m1 = Math.max(m1, x[xo + j + 1]);
            m2 = Math.max(m2, x[xo + j + 2]);
            m3 = Math.max(m3, x[xo + j + 3]);
        }
        for (; j < k; j++) {
            m0 = Math.max(m0, x[xo + j]);
        }
        return Math.max(Math.max(m0, m1), Math.max(m2, m3));
    }

    @Override
    public float rowMin(float[] x, int xo, int k) {
        return reference.rowMin(x, xo, k);
    }

    /** Elements per chunk of {@link #expPass}: its two scratch rows stay in L1. */
    private static final int CHUNK = 512;

    /** A row's {@link RowSums} and the scratch rows of {@link #expPass}: one per range of rows. */
    private static final class RowWork extends RowSums {
        final float[] zs;
        final float[] p;

        RowWork(int k) {
            zs = new float[Math.min(k, CHUNK)];
            p = new float[zs.length];
        }
    }

    /**
     * Pass 2 of softmax and the plain cross-entropy over the k elements of a row: e_j =
     * exp(x_j·invT − m) into {@code e} (unless null), and d − 1's terms into r (as
     * {@link RowSums#term} adds them). By chunks: the logits copied into a scratch row,
     * {@link FloatExp#reducedRun} over it (vector instructions), then each element scaled by 2^n
     * ({@link FloatExp#scaled}; below {@value FloatExp#MIN_ARG}, {@link FloatExp#exp}), the same
     * bits as FloatExp.exp.
     */
    private static void expPass(float[] x, int xo, float[] e, int eo, int k, float invT, float m, RowWork r) {
        final float[] zs = r.zs;
        final float[] p = r.p;
        double less = 0;
        long ties = 0;
        for (int c = 0; c < k; c += CHUNK) {
            final int n = Math.min(CHUNK, k - c);
            System.arraycopy(x, xo + c, zs, 0, n);
            FloatExp.reducedRun(zs, n, invT, m, p);
            // The chunk's sums in locals of their own: a sum live across the vector loop above
            // was kept on the stack, each addition waiting on the one before through memory.
            double lc = 0;
            int tc = 0;
            for (int i = 0; i < n; i++) {
                float z = zs[i];
                float ej = z < FloatExp.MIN_ARG ? FloatExp.exp(z) : FloatExp.scaled(p[i], z);
                if (e != null) {
                    e[eo + c + i] = ej;
                }
                if (z < 0f) {
                    lc += ej;
                } else {
                    tc++;
                }
            }
            less += lc;
            ties += tc;
        }
        r.less += less;
        r.ties += ties;
    }

    /** a[o..o+k) ·= f. */
    private static void scale(float[] a, int o, int k, float f) {
        for (int j = 0; j < k; j++) {
            a[o + j] *= f;
        }
    }

    /** The first j with x_j == v (−0 equal to +0), v a value of the row. */
    private static int indexOf(float[] x, int xo, int k, float v) {
        int j = 0;
        while (x[xo + j] != v) {
            j++;
        }
        return j;
    }

    @Override
    public void softmaxRow(float[] x, int xo, float[] out, int oo, int k, float temperature, boolean log) {
        softmaxRow(x, xo, out, oo, k, temperature, log, new RowWork(k));
    }

    /** Rows [r0, r1) as {@link #softmaxRow}, one {@link RowWork} for all of them (none made per row). */
    @Override
    public float softmaxRows(int r0, int r1, float[] x, int xo, int ldx, float[] out, int oo, int ldo, int k,
                             java.util.function.IntToDoubleFunction temperatures, boolean log, float[] maxima,
                             float firstMax, int ahead) {
        RowWork r = new RowWork(k);
        for (int i = r0; i < r1; i++) {
            r.reset();
            softmaxRow(x, xo + i * ldx, out, oo + i * ldo, k, (float) temperatures.applyAsDouble(i), log, r);
        }
        return Float.NaN;
    }

    /** {@link #softmaxRow} with a cleared {@link RowWork} to work in. */
    private void softmaxRow(float[] x, int xo, float[] out, int oo, int k, float temperature, boolean log, RowWork r) {
        float xmax = rowMax(x, xo, k);
        if (!Float.isFinite(xmax)) {
            reference.softmaxRow(x, xo, out, oo, k, temperature, log);
            return;
        }
        float invT = (float) (1.0 / temperature);
        float m = xmax * invT;
        expPass(x, xo, log ? null : out, oo, k, invT, m, r);
        double dm1 = r.less + (r.ties - 1);
        if (log) {
            float logd = (float) log1p(dm1);
            for (int j = 0; j < k; j++) {
                out[oo + j] = (x[xo + j] * invT - m) - logd;
            }
        } else {
            scale(out, oo, k, (float) (1.0 / (1.0 + dm1)));
        }
    }

    @Override
    public void backwardRow(float[] y, int yo, float[] g, int go, float[] dx, int dxo, int k, boolean log) {
        double acc = 0;
        for (int j = 0; j < k; j++) {
            acc += log ? g[go + j] : (double) g[go + j] * y[yo + j];
        }
        float s = (float) acc;
        for (int j = 0; j < k; j++) {
            dx[dxo + j] = log ? Math.fma(FloatExp.exp(y[yo + j]), -s, g[go + j]) : y[yo + j] * (g[go + j] - s);
        }
    }

    @Override
    public void xentRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go, RowOutputs out) {
        xentRow(s, i, x, xo, y, yo, g, go, out, new RowWork(s.k));
    }

    /** Rows [r0, r1) as {@link #xentRow}, one {@link RowWork} for all of them (none made per row). */
    @Override
    public float xentRows(XentSpec s, int r0, int r1, float[] x, int xo, int ldx, float[] y, int yo, int ldy,
                          float[] g, int go, int ldg, RowOutputs out, float firstMax, int ahead) {
        RowWork r = new RowWork(s.k);
        for (int i = r0; i < r1; i++) {
            r.reset();
            xentRow(s, i, x, xo + i * ldx, y, y == null ? 0 : yo + i * ldy, g, g == null ? 0 : go + i * ldg, out, r);
        }
        return Float.NaN;
    }

    /** {@link #xentRow} with a cleared {@link RowWork} to work in. */
    private void xentRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go, RowOutputs out,
                         RowWork r) {
        final int k = s.k;
        final float xmax = s.rowMax != null ? s.rowMax[i] : rowMax(x, xo, k);
        if (s.softcap > 0 || !Float.isFinite(xmax)) {
            reference.xentRow(s, i, x, xo, y, yo, g, go, out);
            return;
        }
        final int t = s.hard ? s.targets[i] : -1;
        final boolean counted = !s.hard || t != s.ignore;
        r.start(s, t, counted, x, xo, xmax, (float) (1.0 / s.temperature(i)), s.stats ? indexOf(x, xo, k, xmax) : 0,
                s.stats && !s.hard ? indexOf(y, yo, k, reference.rowMax(y, yo, k)) : -1);
        final float invT = r.invT;
        final float m = r.m;

        // Pass 2: e_j = exp(z_j − m) into g, and the sums.
        final float[] e = g != null && counted ? g : null;
        if (!s.needSum && !s.stats) {
            expPass(x, xo, e, go, k, invT, m, r);
        } else {
            r.elementPass(s, x, xo, y, yo, e, go, 0, k);
        }
        if (!finishRow(s, i, t, counted, r, out, g, go)) {
            return;
        }

        // Pass 3, from the e_j stored in g: g_j = alpha·e_j − beta·a_j, the target's entry apart.
        final float alpha = r.alpha;
        if (!s.needSum) {
            scale(g, go, k, alpha);
        } else if (s.hard) {
            RowSums.smoothGrad(g, go, 0, k, alpha, r.beta * (float) s.smooth, s.w);
        } else {
            RowSums.softGrad(s, g, go, y, yo, 0, k, alpha, r.beta);
        }
        if (s.hard) {
            g[go + t] = targetGrad(s, t, r);
        }
    }
}
