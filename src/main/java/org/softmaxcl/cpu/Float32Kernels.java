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
 * order the sums are added in), at several times the reference's speed. Rows of up to
 * {@value #GROUP_MAX_K} elements run pass 2's vectorized part several rows at a time
 * ({@link #groupPass}), with the bits of row-by-row calls.
 *
 * <p>Rows whose largest logit is NaN or ±∞ (or that hold only −∞) go to the
 * {@link ScalarKernels reference kernels}, whose semantics they keep. A soft-capped row runs on
 * z = c·tanh(x/(T·c)) rounded to float ({@link FloatExp#tanh}), as the vector and OpenCL kernels
 * do (the reference keeps z in float64). Stateless apart from
 * that reference, so thread-safe.
 */
final class Float32Kernels implements CpuKernels {
    private final ScalarKernels reference = new ScalarKernels();

    @Override
    public String name() {
        return "scalar-float32";
    }

    /**
     * max of x[xo..xo+k) with NaN propagated, as {@link Math#max} gives it. From
     * {@value #BRANCH_MAX_K} elements on, one compare and a branch per element, taken only at a
     * new maximum or a NaN (C2 does not vectorize Math.max, whose every call is several dependent
     * instructions: 0.62 against 0.46 ns per element at K = 1000 in a loop of its own), and
     * {@link #maxExact} where the maximum is a zero, whose sign the first zero met would otherwise
     * set. Shorter rows take {@link #maxExact}: a row of random logits has about ln K new maxima,
     * each a mispredicted branch, and at K = 10 the branches took softmax 1.15–1.38× the time.
     */
    @Override
    public float rowMax(float[] x, int xo, int k) {
        if (k < BRANCH_MAX_K) {
            return maxExact(x, xo, k);
        }
        float m = Float.NEGATIVE_INFINITY;
        for (int j = xo; j < xo + k; j++) {
            float v = x[j];
            if (!(v <= m)) {
                if (v != v) {
                    return Float.NaN;
                }
                m = v;
            }
        }
        return m == 0f ? maxExact(x, xo, k) : m;
    }

    /** Rows of at least this many elements find their max by branches ({@link #rowMax}). */
    static final int BRANCH_MAX_K = 256;

    /** {@link #rowMax} by Math.max (+0 above −0), in four independent chains. */
    static float maxExact(float[] x, int xo, int k) {
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
    static final int CHUNK = 512;

    /**
     * The two scratch rows (zs and p) of a {@link RowWork} for rows of k: a group's elements for
     * {@link #grouped} rows, else a chunk's. Alone for {@link Float32Backward}.
     */
    static float[][] scratch(int k) {
        int n = grouped(k) ? CHUNK / k * k : Math.min(k, CHUNK);
        return new float[][] {new float[n], new float[n]};
    }

    /** A row's {@link RowSums} and the scratch rows of {@link #expPass}: one per range of rows. */
    private static final class RowWork extends RowSums {
        final float[] zs;
        final float[] p;
        /** Per row of a group ({@link #grouped}): its raw max and its 1/T; else null. */
        final float[] maxes;
        final float[] invTs;
        /** A soft-capped row's z and ∂z/∂x ({@link #capped}); empty until a row needs them. */
        float[] z = new float[0];
        float[] dz = z;

        /** {@link #z} at least k long (and {@link #dz}). */
        float[] capped(int k) {
            if (z.length < k) {
                z = new float[k];
                dz = new float[k];
            }
            return z;
        }

        /** What {@link #terms} summed. */
        double chunkLess;
        int chunkTies;

        RowWork(int k) {
            boolean groups = grouped(k);
            float[][] rows = scratch(k);
            zs = rows[0];
            p = rows[1];
            maxes = groups ? new float[CHUNK / k] : null;
            invTs = groups ? new float[CHUNK / k] : null;
        }
    }

    /**
     * Whether rows of k go through pass 2 several at a time: below this many elements a row's
     * {@link FloatExp#reducedRun} is too short to run in vector instructions, and its call and
     * copy cost more than the row (at K = 10, pass 2 row by row took 42 % of the cross-entropy's
     * samples in `perf`).
     */
    static boolean grouped(int k) {
        return k > 0 && k <= GROUP_MAX_K;
    }

    /** T = 1 for every row: soft-capped groups run pass 2 on z. */
    private static final java.util.function.IntToDoubleFunction UNIT_T = i -> 1.0;

    /** {@link #grouped} rows hold at most this many elements: a chunk takes four or more of them. */
    static final int GROUP_MAX_K = CHUNK / 4;

    /**
     * Pass 2's first half for the rows [a, b) of a group (small K, {@link #grouped}): each row's
     * raw max and 1/T into r's arrays, its zs = x·invT − m into r.zs at (i − a)·k, then
     * {@link FloatExp#reducedRun} over all of them at once (vector instructions). Row i's zs and
     * e^r then lie at (i − a)·k in r.zs and r.p for {@link #terms}. A row whose max is not finite
     * gets its max and garbage zs: the caller sends it to the reference.
     */
    private void groupPass(int a, int b, float[] x, int xo, int ldx, int k, float[] maxima,
                           java.util.function.IntToDoubleFunction temperatures, RowWork r) {
        final float[] zs = r.zs;
        for (int i = a; i < b; i++) {
            final int o = xo + i * ldx;
            final float xmax = maxima != null ? maxima[i] : rowMax(x, o, k);
            final float invT = (float) (1.0 / temperatures.applyAsDouble(i));
            final float m = xmax * invT;
            r.maxes[i - a] = xmax;
            r.invTs[i - a] = invT;
            final int zo = (i - a) * k;
            for (int j = 0; j < k; j++) {
                zs[zo + j] = x[o + j] * invT - m;
            }
        }
        FloatExp.reducedRun(zs, (b - a) * k, 1f, 0f, r.p);
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
        expPass(null, x, xo, null, 0, e, eo, k, invT, m, r);
    }

    /**
     * {@link #expPass}, and for a cross-entropy row with smoothing, soft targets or statistics
     * ({@code s} not null) also the sums of {@link RowSums#extra} (y_j read when y is not null),
     * chunk by chunk after the e_j (the chunk's e_j kept in the scratch row when e is null).
     */
    private static void expPass(XentSpec s, float[] x, int xo, float[] y, int yo, float[] e, int eo, int k,
                                float invT, float m, RowWork r) {
        final float[] zs = r.zs;
        final float[] p = r.p;
        final boolean extra = s != null && (s.needSum || s.stats);
        double less = 0;
        long ties = 0;
        for (int c = 0; c < k; c += CHUNK) {
            final int n = Math.min(CHUNK, k - c);
            System.arraycopy(x, xo + c, zs, 0, n);
            FloatExp.reducedRun(zs, n, invT, m, p);
            final float[] ec = e != null || !extra ? e : p;
            final int eco = e != null ? eo + c : 0;
            terms(zs, p, 0, n, ec, eco, r);
            less += r.chunkLess;
            ties += r.chunkTies;
            if (extra) {
                extraTerms(s, zs, 0, ec, eco, y, yo + c, c, n, r);
            }
        }
        r.less += less;
        r.ties += ties;
    }

    /**
     * {@link RowSums#extra} over the n elements of a chunk that starts at column j0: zs_j in zs
     * from zo, e_j in e from eo, y_j in y from yo (unless y is null). (Sums kept in locals instead
     * of r's fields measured the same.)
     */
    private static void extraTerms(XentSpec s, float[] zs, int zo, float[] e, int eo, float[] y, int yo, int j0, int n,
                                   RowWork r) {
        for (int i = 0; i < n; i++) {
            RowSums.extra(s, r, zs[zo + i], e[eo + i], y != null ? y[yo + i] : 0f, j0 + i);
        }
    }

    /**
     * e_j for the n elements of zs and p from zo (zs_j and e^r of it, {@link FloatExp#reducedRun}):
     * 2^n·e^r ({@link FloatExp#scaled}; below {@value FloatExp#MIN_ARG}, {@link FloatExp#exp}), the
     * same bits as FloatExp.exp, into e from eo (unless null); their terms of d − 1 into
     * r.chunkLess and r.chunkTies. The sums are locals of this method: a sum live across the
     * caller's vector loop was kept on the stack, each addition waiting on the one before through
     * memory.
     */
    private static void terms(float[] zs, float[] p, int zo, int n, float[] e, int eo, RowWork r) {
        double lc = 0;
        int tc = 0;
        for (int i = 0; i < n; i++) {
            float z = zs[zo + i];
            float ej = FloatExp.fromReduced(p[zo + i], z);
            if (e != null) {
                e[eo + i] = ej;
            }
            if (z < 0f) {
                lc += ej;
            } else {
                tc++;
            }
        }
        r.chunkLess = lc;
        r.chunkTies = tc;
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
        if (grouped(k)) {
            final int per = CHUNK / k;
            for (int a = r0; a < r1; a += per) {
                final int b = Math.min(r1, a + per);
                groupPass(a, b, x, xo, ldx, k, maxima, temperatures, r);
                for (int i = a; i < b; i++) {
                    final float xmax = r.maxes[i - a];
                    if (!Float.isFinite(xmax)) {
                        reference.softmaxRow(x, xo + i * ldx, out, oo + i * ldo, k,
                                (float) temperatures.applyAsDouble(i), log);
                    } else {
                        softmaxFinish(r, (i - a) * k, out, oo + i * ldo, k, log);
                    }
                }
            }
            return Float.NaN;
        }
        for (int i = r0; i < r1; i++) {
            r.reset();
            softmaxRow(x, xo + i * ldx, out, oo + i * ldo, k, (float) temperatures.applyAsDouble(i), log, r);
        }
        return Float.NaN;
    }

    /**
     * A {@link #grouped} row's softmax from its zs and e^r at zo in r ({@link #groupPass}): e_j
     * into out (not for log), d − 1, then out scaled by 1/d, or log-softmax's zs_j − log d.
     */
    private static void softmaxFinish(RowWork r, int zo, float[] out, int oo, int k, boolean log) {
        terms(r.zs, r.p, zo, k, log ? null : out, oo, r);
        softmaxOut(r.chunkLess + (r.chunkTies - 1), r.zs, zo, 1f, 0f, out, oo, k, log);
    }

    /**
     * A row's output from its d − 1: out (holding e_j) scaled by 1/d, or log-softmax's
     * (x_j·invT − m) − log d from x at xo (zs itself at invT = 1, m = 0: the same bits).
     */
    private static void softmaxOut(double dm1, float[] x, int xo, float invT, float m, float[] out, int oo, int k,
                                   boolean log) {
        if (log) {
            float logd = (float) log1p(dm1);
            for (int j = 0; j < k; j++) {
                out[oo + j] = (x[xo + j] * invT - m) - logd;
            }
        } else {
            scale(out, oo, k, (float) (1.0 / (1.0 + dm1)));
        }
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
        softmaxOut(r.less + (r.ties - 1), x, xo, invT, m, out, oo, k, log);
    }

    @Override
    public void backwardRow(float[] y, int yo, float[] g, int go, float[] dx, int dxo, int k, boolean log) {
        backwardRows(0, 1, y, yo, 0, g, go, 0, dx, dxo, 0, k, log);
    }

    /** Rows [r0, r1) of softmax's or log-softmax's backward: {@link Float32Backward#rows}. */
    @Override
    public void backwardRows(int r0, int r1, float[] y, int yo, int ldy, float[] g, int go, int ldg, float[] dx, int dxo,
                             int lddx, int k, boolean log) {
        Float32Backward.rows(r0, r1, y, yo, ldy, g, go, ldg, dx, dxo, lddx, k, log);
    }

    @Override
    public void xentRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go, RowOutputs out) {
        xentRow(s, i, x, xo, y, yo, g, go, out, new RowWork(s.k));
    }

    /** Rows [r0, r1) as {@link #xentRow}, one {@link RowWork} for all of them (none made per row). */
    @Override
    public float xentRows(XentSpec s, int r0, int r1, float[] x, int xo, int ldx, float[] y, int yo, int ldy,
                          float[] g, int go, int ldg, RowOutputs out, float firstMax, int ahead) {
        final int k = s.k;
        RowWork r = new RowWork(k);
        final boolean capped = s.softcap > 0;
        if (grouped(k)) {
            final int per = CHUNK / k;
            for (int a = r0; a < r1; a += per) {
                final int b = Math.min(r1, a + per);
                if (capped) {   // the group's rows capped at once, then pass 2 on z at T = 1
                    capGroup(s, a, b, x, xo, ldx, r);
                    groupPass(a, b, r.z, -a * k, k, k, null, UNIT_T, r);
                } else {
                    groupPass(a, b, x, xo, ldx, k, s.rowMax, s::temperature, r);
                }
                for (int i = a; i < b; i++) {
                    final int rx = xo + i * ldx;
                    final int ry = y == null ? 0 : yo + i * ldy;
                    final int rg = g == null ? 0 : go + i * ldg;
                    final int zo = (i - a) * k;
                    final float xmax = !capped ? r.maxes[i - a] : s.rowMax != null ? s.rowMax[i] : rowMax(x, rx, k);
                    r.reset();
                    if (!Float.isFinite(xmax)) {
                        reference.xentRow(s, i, x, rx, y, ry, g, rg, out);
                    } else if (capped) {
                        cappedRow(s, i, x, rx, y, ry, g, rg, out, r, xmax, zo, r.maxes[i - a], zo);
                    } else {
                        xentRow(s, i, x, rx, y, ry, g, rg, out, r, xmax, r.invTs[i - a], zo);
                    }
                }
            }
            return Float.NaN;
        }
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
        if (!Float.isFinite(xmax)) {
            reference.xentRow(s, i, x, xo, y, yo, g, go, out);
        } else if (s.softcap > 0) {
            softcapRow(s, i, x, xo, y, yo, g, go, out, r, xmax);
        } else {
            xentRow(s, i, x, xo, y, yo, g, go, out, r, xmax, (float) (1.0 / s.temperature(i)));
        }
    }

    /**
     * A row with a soft-cap c and a finite raw max {@code xmax}: z_j = c·tanh(x_j/(T·c))
     * ({@link FloatExp#tanh}, the bits of the vector kernels' z) and ∂z_j/∂x_j = (1 − tanh²)/T into
     * r's scratch rows, the cross-entropy of z at T = 1 as any other row's, and its gradient times
     * ∂z/∂x. The statistics' max, argmax and hit follow the raw logits, as the other kernels'.
     */
    private void softcapRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go,
                            RowOutputs out, RowWork r, float xmax) {
        final int k = s.k;
        final float[] z = r.capped(k);
        System.arraycopy(x, xo, z, 0, k);
        capRow(z, r.dz, k, (float) (1.0 / s.temperature(i)), (float) s.softcap);
        cappedRow(s, i, x, xo, y, yo, g, go, out, r, xmax, 0, rowMax(z, 0, k), -1);
    }

    /**
     * The cross-entropy of a soft-capped row whose z and ∂z/∂x lie at {@code zo} in r.z and r.dz
     * ({@link #capRow}) and whose raw logits (finite max {@code xmax}) are at xo in x: the pass on
     * z at T = 1 ({@code groupZo}: as {@link #xentRow}'s zo), the statistics' max, argmax and hit
     * from the raw logits, then the gradient times ∂z/∂x.
     */
    private void cappedRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go,
                           RowOutputs out, RowWork r, float xmax, int zo, float zmax, int groupZo) {
        final int k = s.k;
        final int rawArg = s.stats ? indexOf(x, xo, k, xmax) : 0;   // before the pass: g may be x
        final int tcol = !s.stats ? -1 : s.hard ? s.targets[i] : indexOf(y, yo, k, reference.rowMax(y, yo, k));
        final float[] dz = r.dz;
        xentRow(s, i, r.z, zo, y, yo, g, go, out, r, zmax, 1f, groupZo);
        if (s.stats) {
            RowSums.rawStats(s, i, out, xmax, rawArg, tcol);
        }
        if (g != null && (!s.hard || s.targets[i] != s.ignore)) {
            for (int j = 0; j < k; j++) {
                g[go + j] *= dz[zo + j];
            }
        }
    }

    /**
     * {@link #capRow} of the rows [a, b) of a group, each at its own temperature, into r.z and
     * r.dz from 0: each row's x·(1/T) copied in, all of them capped at once at 1/T = 1, then each
     * row's ∂z/∂x times its 1/T (none at T = 1). The bits of capRow row by row: capRow takes
     * (x·invT)·(1/c) and ((1 − th)(1 + th))·invT in that order, and a product by 1 is exact.
     */
    private static void capGroup(XentSpec s, int a, int b, float[] x, int xo, int ldx, RowWork r) {
        final int k = s.k;
        final float[] z = r.capped(r.zs.length);
        final float[] dz = r.dz;
        for (int i = a; i < b; i++) {
            final float invT = (float) (1.0 / s.temperature(i));
            final int o = xo + i * ldx;
            final int zo = (i - a) * k;
            r.invTs[i - a] = invT;
            for (int j = 0; j < k; j++) {
                z[zo + j] = x[o + j] * invT;
            }
        }
        capRow(z, dz, (b - a) * k, 1f, (float) s.softcap);
        for (int i = a; i < b; i++) {
            final float invT = r.invTs[i - a];
            if (invT != 1f) {
                final int zo = (i - a) * k;
                for (int j = 0; j < k; j++) {
                    dz[zo + j] *= invT;
                }
            }
        }
    }

    /**
     * In place over z[0..k) (the row's logits on entry): z_j = c·tanh(x_j·invT/c) and dz_j =
     * (1 − tanh)(1 + tanh)·invT, the bits of the vector kernels' soft-cap. Three loops over arrays
     * indexed from 0, two of which C2 vectorizes: the series form of tanh for every element
     * ({@link FloatExp#tanhSeries}, u kept in dz), the exponential form for those with |u| ≥
     * {@value FloatExp#TANH_SERIES} (and NaN) one at a time, then z and dz.
     */
    static void capRow(float[] z, float[] dz, int k, float invT, float c) {
        final float invC = 1f / c;
        for (int j = 0; j < k; j++) {
            float u = z[j] * invT * invC;
            dz[j] = u;
            z[j] = FloatExp.tanhSeries(u);
        }
        for (int j = 0; j < k; j++) {
            float u = dz[j];
            if (!(Math.abs(u) < FloatExp.TANH_SERIES)) {
                z[j] = FloatExp.tanhLarge(u);
            }
        }
        for (int j = 0; j < k; j++) {
            float th = z[j];
            z[j] = th * c;
            dz[j] = (1f - th) * (th + 1f) * invT;
        }
    }

    /** {@link #xentRow} of a row whose max {@code xmax} is finite, at the given 1/T. */
    private void xentRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go, RowOutputs out,
                         RowWork r, float xmax, float invTRow) {
        xentRow(s, i, x, xo, y, yo, g, go, out, r, xmax, invTRow, -1);
    }

    /**
     * {@link #xentRow} of a row whose max {@code xmax} is finite, at the given 1/T; its zs and
     * e^r at {@code zo} in r.zs and r.p when a {@link #groupPass} made them (else zo is −1 and
     * {@link #expPass} makes them by chunks).
     */
    private void xentRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go, RowOutputs out,
                         RowWork r, float xmax, float invTRow, int zo) {
        final int k = s.k;
        final int t = s.hard ? s.targets[i] : -1;
        final boolean counted = !s.hard || t != s.ignore;
        r.start(s, t, counted, x, xo, xmax, invTRow, s.stats ? indexOf(x, xo, k, xmax) : 0,
                s.stats && !s.hard ? indexOf(y, yo, k, reference.rowMax(y, yo, k)) : -1);

        // Pass 2: e_j = exp(z_j − m) into g, and the sums.
        final float[] e = g != null && counted ? g : null;
        if (zo < 0) {
            expPass(s, x, xo, y, yo, e, go, k, r.invT, r.m, r);
        } else {
            final boolean extra = s.needSum || s.stats;
            final float[] ec = e != null || !extra ? e : r.p;   // e_j over their e^r when not stored
            final int eco = e != null ? go : zo;
            terms(r.zs, r.p, zo, k, ec, eco, r);
            r.less = r.chunkLess;
            r.ties = r.chunkTies;
            if (extra) {
                extraTerms(s, r.zs, zo, ec, eco, y, yo, 0, k, r);
            }
        }
        gradient(s, i, t, counted, r, out, g, go, y, yo);
    }

    /**
     * A row's finish after pass 2 ({@link RowSums#finishRow}), then pass 3 from the e_j stored in
     * g: g_j = alpha·e_j − beta·a_j, the target's entry apart.
     */
    private static void gradient(XentSpec s, int i, int t, boolean counted, RowWork r, RowOutputs out, float[] g,
                                 int go, float[] y, int yo) {
        final int k = s.k;
        if (!finishRow(s, i, t, counted, r, out, g, go)) {
            return;
        }
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
