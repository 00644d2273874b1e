package org.softmaxcl.cpu;

import org.softmaxcl.backend.RowOutputs;

/**
 * One cross-entropy row's state between its exponential pass and its finish: the sums of pass 2
 * (d − 1 as the sum below the max plus the ties, and the sums that smoothing, soft targets and
 * the statistics need), and the constants that {@link #finish} derives from them for the
 * gradient pass (dx_j = alpha·e_j − beta·a_j off the target, {@link #targetGrad} on it). Float32
 * values as the row kernels compute them, sums in float64. Shared by the Vector API kernels
 * (whose row state extends it) and {@link Float32Kernels}, so both finish a row with the same
 * code. Mutable, one per row and thread.
 */
class RowSums {
    float invT;
    float m;
    float xmax;
    int argmax;
    /** z_t − m for a counted hard target; z − m at the soft target's largest value (stats). */
    float zsT;
    int ty = -1;
    double less;
    long ties;
    double sumA;
    double totalA;
    double sumE;
    // derived by finish()
    double dm1;
    double logd;
    double invd;
    double nlpT;
    double h;
    double coefA;
    double coefZ;
    float alpha;
    float beta;

    /**
     * The row's set-up before pass 2: its 1/T, raw max and m = max·(1/T), and what the finish
     * reads from x, read now because pass 2 may overwrite x (in place): z_t − m of a counted hard
     * target; with statistics, the raw argmax and a soft target's column {@code ty} (both found by
     * the caller; ignored without statistics) and z − m there.
     */
    void start(XentSpec s, int t, boolean counted, float[] x, int xo, float xmax, float rowInvT, int rawArgmax,
               int softColumn) {
        invT = rowInvT;
        this.xmax = xmax;
        m = xmax * rowInvT;
        if (s.hard && counted) {
            zsT = x[xo + t] * invT - m;
        }
        if (s.stats) {
            argmax = rawArgmax;
            if (!s.hard) {
                ty = softColumn;
                zsT = x[xo + ty] * invT - m;
            }
        }
    }

    /** Clears what pass 2 and the row's set-up add to or may leave unset, for the next row. */
    void reset() {
        argmax = 0;
        zsT = 0f;
        ty = -1;
        less = 0;
        ties = 0;
        sumA = 0;
        totalA = 0;
        sumE = 0;
    }

    /**
     * One element's term of d − 1 (tails and small K, element by element): e where zs is
     * below 0, else a tie with the max (e = 1).
     */
    void term(float zs, float e) {
        if (zs < 0f) {
            less += e;
        } else {
            ties++;
        }
    }

    /**
     * Pass 2 element by element over [from, to) of a row: e_j = exp(x_j·invT − m) on
     * {@link FloatExp#exp} (the bits of a vector lane's) into {@code e} (unless null), and each
     * element's terms ({@link #accumulate}; y_j read when {@code y} is not null). Uses this row's
     * invT and m.
     */
    void elementPass(XentSpec s, float[] x, int xo, float[] y, int yo, float[] e, int eo, int from, int to) {
        for (int j = from; j < to; j++) {
            float zs = x[xo + j] * invT - m;
            float ej = FloatExp.exp(zs);
            if (e != null) {
                e[eo + j] = ej;
            }
            accumulate(s, this, zs, ej, y != null ? y[yo + j] : 0f, j);
        }
    }

    /** Pass-2 bookkeeping of one element done one at a time (tails and small K). */
    static void accumulate(XentSpec s, RowSums r, float zs, float e, float yj, int j) {
        r.term(zs, e);
        extra(s, r, zs, e, yj, j);
    }

    /**
     * The sums beyond d − 1 of one element (smoothing and soft targets: Σ a_j·(m − z_j), and
     * Σ a_j for soft targets; statistics: Σ e_j·(m − z_j)), added to r's ({@code Float32Kernels}
     * calls it after its exponentials of a chunk).
     */
    static void extra(XentSpec s, RowSums r, float zs, float e, float yj, int j) {
        if (s.needSum) {
            float a;
            if (s.hard) {
                a = s.w != null ? s.w[j] : 1f;
            } else {
                a = softCoef(s, yj, j);
                r.totalA += a;
            }
            if (a != 0f) {
                r.sumA += a * -zs;
            }
        }
        if (s.stats && e != 0f) {
            r.sumE += e * -zs;
        }
    }

    /**
     * From the sums of pass 2: the row's loss part, lse and statistics into {@code out} (unless
     * null), and the gradient constants: dx_j = alpha·e_j − beta·a_j off the target.
     */
    static void finish(XentSpec s, int i, int t, boolean counted, RowSums r, RowOutputs out) {
        final double dm1 = r.less + (r.ties - 1);
        r.dm1 = dm1;
        r.logd = log1p(dm1);
        r.invd = 1 / (1 + dm1);
        final double lse = r.m + r.logd;
        double ce = 0;
        double bigA;
        if (s.hard) {
            if (counted) {
                r.nlpT = -r.zsT + r.logd;
                r.h = (1 - s.eps) * s.weight(t);
                ce = r.h != 0 ? r.h * r.nlpT : 0;      // 0·∞ (a masked target) counts 0
                if (s.eps != 0) {
                    ce += s.smooth * (r.sumA + s.wSum * r.logd);
                }
            }
            bigA = s.smooth * s.wSum + r.h;
        } else {
            ce = r.sumA + r.totalA * r.logd;
            bigA = r.totalA;
        }
        if (out != null) {
            out.ce[i] = counted ? (float) ce : 0f;
            out.lse[i] = (float) lse;
        }
        if (s.stats && out != null) {
            out.max[i] = r.xmax;
            out.argmax[i] = r.argmax;
            out.entropy[i] = (float) (r.sumE * r.invd + r.logd);
            int tcol = s.hard ? t : r.ty;
            if (counted && tcol >= 0) {
                out.targetProb[i] = (float) Math.exp(s.hard ? -r.nlpT : r.zsT - r.logd);
                out.hit[i] = r.argmax == tcol;
            } else {
                out.targetProb[i] = Float.NaN;
                out.hit[i] = false;
            }
        }
        final double rs = s.task.rowScale(i);
        r.coefA = rs * s.ceScale;
        r.coefZ = rs * s.zScale * 2 * s.zeta * lse;
        r.alpha = (float) ((r.coefA * bigA + r.coefZ) * r.invd * r.invT);
        r.beta = (float) (r.coefA * r.invT);
    }

    /**
     * A soft-capped row's statistics after its pass on z: max, argmax and hit follow the raw
     * logits (a saturating cap ties z), as the reference kernels' do. {@code rawArg} is the raw
     * argmax, {@code tcol} the target's column (a soft target's largest; −1 for none).
     */
    static void rawStats(XentSpec s, int i, RowOutputs out, float xmax, int rawArg, int tcol) {
        out.max[i] = xmax;
        out.argmax[i] = rawArg;
        out.hit[i] = (!s.hard || tcol != s.ignore) && tcol >= 0 && rawArg == tcol;
    }

    /**
     * {@link #finish}, then whether the gradient pass is to run: false without a gradient
     * ({@code g} null) and for an ignored row, whose gradient row is zeroed here.
     */
    static boolean finishRow(XentSpec s, int i, int t, boolean counted, RowSums r, RowOutputs out, float[] g, int go) {
        finish(s, i, t, counted, r, out);
        if (g != null && !counted) {
            java.util.Arrays.fill(g, go, go + s.k, 0f);
        }
        return g != null && counted;
    }

    /**
     * Pass 3 for hard targets with smoothing over [from, to) of a row, element by element:
     * g_j = alpha·e_j − bs·w_j (bs = beta·ε/K; w null: every w_j 1), e_j the value in g.
     */
    static void smoothGrad(float[] g, int go, int from, int to, float alpha, float bs, float[] w) {
        for (int j = from; j < to; j++) {
            g[go + j] = Math.fma(g[go + j], alpha, (w != null ? w[j] : 1f) * -bs);
        }
    }

    /**
     * Pass 3 for soft targets over [from, to) of a row, element by element: g_j = alpha·e_j −
     * beta·a_j ({@link #softCoef}), e_j the value in g.
     */
    static void softGrad(XentSpec s, float[] g, int go, float[] y, int yo, int from, int to, float alpha, float beta) {
        for (int j = from; j < to; j++) {
            g[go + j] = Math.fma(g[go + j], alpha, softCoef(s, y[yo + j], j) * -beta);
        }
    }

    /**
     * The target's gradient entry without cancellation: p_t = e_t/d, and p_t − 1 = −(Σ_{j≠t} e_j)/d,
     * where that sum is d − 1 when t is a max (z_t − m = 0) and d − e_t ≥ 1 otherwise (the
     * scalar kernel takes expm1 of −loss_t; this needs one exp, which the JIT inlines, and no
     * expm1, a library call of about 40 ns).
     */
    static float targetGrad(XentSpec s, int t, RowSums r) {
        double eT = Math.exp(r.zsT);
        double pT = eT * r.invd;
        double others = r.zsT == 0f ? r.dm1 : (1 + r.dm1) - eT;
        double gz = r.coefA * (s.smooth * (s.wSum * pT - s.weight(t)) - r.h * others * r.invd) + r.coefZ * pT;
        return (float) (gz * r.invT);
    }

    /**
     * log(1 + x) for 0 ≤ x < 2^53 (d − 1 of a row): log(u)·x/(u − 1) with u = 1 + x rounded, which
     * cancels u's rounding error (Goldberg, "What every computer scientist should know about
     * floating-point arithmetic", theorem 4), on the JIT's log intrinsic: within 2 ulp of
     * {@link Math#log1p} over 20 million arguments (4 allowed in {@code RowLog1pTest}), where
     * Math.log1p is a library call several times slower. A row's finish takes one; at K = 128
     * that call was a fifth of the row's time.
     */
    static double log1p(double x) {
        double u = 1 + x;
        return u == 1 ? x : Math.log(u) * (x / (u - 1));
    }

    /** a_j of a soft target: w_j·((1−ε)·y_j + ε/K). */
    static float softCoef(XentSpec s, float yj, int j) {
        return Math.fma(yj, (float) (1 - s.eps), (float) s.smooth) * (s.w != null ? s.w[j] : 1f);
    }

}
