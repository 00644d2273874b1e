package org.softmaxcl.reference;

import java.util.Objects;

import org.softmaxcl.EmptyMeanPolicy;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.Reduction;
import org.softmaxcl.XentOptions;

/**
 * A float64 reference ("oracle") for softmax, log-softmax and cross-entropy, written straight from
 * the semantics in DESIGN.md, deliberately simple: one row at a time, every intermediate in a
 * {@code double[]}, no fused passes, no cancellation tricks beyond the max shift and a log1p for
 * log d (so a row where one class dominates keeps its tiny loss). It exists to check the float32
 * backends (tests) and the {@code gradcheck} command; it is not fast.
 *
 * <p>For logits x (N×K, row-major) and the options o (every value read as the float the engines
 * read, widened exactly to double):
 * <pre>
 *   z_ij   = c·tanh(x_ij / (T_i·c))  with a soft-cap c > 0,  else  x_ij / T_i
 *   m_i    = max_j z_ij,   log d_i = log Σ_j exp(z_ij − m_i),   lse_i = m_i + log d_i
 *   log p_ij = (z_ij − m_i) − log d_i      (log d_i as log1p of the terms other than the max's own 1)
 *   a_ij   = (1−ε)·w[t_i]·δ(j, t_i) + (ε/K)·w_j        (hard target t_i)
 *   a_ij   = w_j·((1−ε)·y_ij + ε/K)                     (soft target row y_i)
 *   ce_i   = Σ_j a_ij·(−log p_ij)      (a term with a_ij = 0 counts 0, also where p_ij = 0)
 *   loss_i = s_i·(ce_i + ζ·lse_i²)     (0 for a row whose hard target is the ignore index)
 * </pre>
 * Reduction: {@code NONE} and {@code SUM} give Σ_i loss_i; {@code MEAN} gives
 * Σ_i s_i·ce_i / D + Σ_i s_i·ζ·lse_i² / D_z over the counted rows, with PyTorch's weighted
 * denominator D = Σ_counted s_i·w[t_i] (hard) or Σ_i s_i (soft; N without sample weights), and
 * D_z = Σ_counted s_i (the counted-row count without sample weights). When D = 0 the mean is
 * empty: {@link EmptyMeanPolicy#ZERO} gives loss 0, {@link EmptyMeanPolicy#NAN} loss NaN, both
 * with a zero gradient (as {@link EmptyMeanPolicy} documents), and {@link EmptyMeanPolicy#THROW}
 * an {@link IllegalArgumentException}, as the engine does.
 *
 * <p>The gradient is the analytic derivative of the reduced loss (what autograd gives), times
 * the upstream scale g_i (scalar or per row), which multiplies the gradient only:
 * <pre>
 *   A_i           = Σ_j a_ij
 *   ∂L/∂z_ij      = s_i·[ (A_i·p_ij − a_ij)/D' + 2ζ·lse_i·p_ij/D_z' ]     D' = D, D_z' = D_z under mean, else 1
 *   ∂z_ij/∂x_ij   = 1/T_i,  or (1 − tanh²(x_ij/(T_i·c)))/T_i with a soft-cap
 *   grad_ij       = g_i · ∂L/∂z_ij · ∂z_ij/∂x_ij
 * </pre>
 * A −∞ logit is a legal mask (p = 0). Under {@link NonFinitePolicy#REFUSE} NaN or +∞ logits
 * anywhere, and a counted row with only −∞ logits, throw {@link IllegalArgumentException}; under
 * {@link NonFinitePolicy#PROPAGATE} such rows come out NaN (loss, lse and gradient), as PyTorch
 * gives; ignored rows stay 0.
 */
public final class Reference64 {

    private Reference64() {
    }

    /**
     * A cross-entropy result in float64.
     *
     * @param loss    the reduced loss (the sum of {@code rowLoss} for {@link Reduction#NONE})
     * @param rowLoss per-row loss before reduction, s_i·(ce_i + ζ·lse_i²); 0 for ignored rows
     * @param grad    N×K row-major dL/dx times the upstream scale, or null when not wanted
     */
    public record Result(double loss, double[] rowLoss, double[] grad) {
    }

    /**
     * Per-row statistics in float64, defined as {@link org.softmaxcl.RowStats} documents them.
     *
     * @param loss       s_i·(ce_i + ζ·lse_i²), 0 for ignored rows
     * @param lse        log Σ_j exp(z_ij)
     * @param max        the largest raw logit x_ij of the row
     * @param argmax     the first column holding that largest raw logit
     * @param hit        argmax equals the target column (hard: t_i; soft: the first column of the
     *                   largest y_ij); false for ignored rows
     * @param targetProb p of that target column; NaN for ignored rows
     * @param entropy    −Σ_j p_ij·log p_ij (0·log 0 = 0)
     */
    public record Stats(double[] loss, double[] lse, double[] max, int[] argmax, boolean[] hit,
                        double[] targetProb, double[] entropy) {
    }

    /**
     * Cross-entropy loss, per-row losses and (optionally) the gradient, in float64.
     *
     * @param x        logits, N×K row-major. Not modified
     * @param n        rows N ≥ 0
     * @param k        classes K ≥ 1
     * @param hard     N class indices, or null for soft targets. Not modified
     * @param soft     N×K target rows (≥ 0, finite), or null for hard targets. Not modified
     * @param o        the options (array options must have N or K entries)
     * @param wantGrad whether to compute the gradient
     * @throws IllegalArgumentException for bad shapes, targets, logits (under REFUSE) and an empty
     *                                  mean under {@link EmptyMeanPolicy#THROW}
     */
    public static Result xent(double[] x, int n, int k, int[] hard, double[] soft, XentOptions o, boolean wantGrad) {
        Core c = compute(x, n, k, hard, soft, o, wantGrad, false);
        return new Result(c.loss, c.rowLoss, c.grad);
    }

    /**
     * The size of the terms that make up each gradient element, for error bounds: with
     * D', D_z' as in the class comment and T_i the row's temperature,
     * <pre>
     *   scale_ij = |g_i|·s_i·( (A_i·p_ij + a_ij)/D' + 2ζ·|lse_i|·p_ij/D_z' ) / T_i
     * </pre>
     * (the gradient is a difference of such terms; 1/T_i bounds ∂z/∂x, also with a soft-cap). A
     * float32 code that rounds every step correctly gets grad_ij within a small multiple of
     * 2⁻²⁴·scale_ij, plus what the rounding of z itself costs (≈ 2⁻²⁴·|z|·scale_ij when x/T or
     * the soft-cap is not exact in float32). Zero for ignored rows and for an empty mean.
     *
     * @return a new N×K array
     */
    public static double[] gradTermScale(double[] x, int n, int k, int[] hard, double[] soft, XentOptions o) {
        return compute(x, n, k, hard, soft, o, true, true).scale;
    }

    /** Everything {@link #xent} and {@link #gradTermScale} need. */
    private static final class Core {
        double loss;
        double[] rowLoss;
        double[] grad;
        double[] scale;
    }

    private static Core compute(double[] x, int n, int k, int[] hard, double[] soft, XentOptions o,
                                boolean wantGrad, boolean wantScale) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(o, "options");
        checkShape(x, n, k, "x");
        if ((hard == null) == (soft == null)) {
            throw new IllegalArgumentException("exactly one of hard and soft targets must be given");
        }
        if (hard != null && hard.length != n) {
            throw new IllegalArgumentException("targets: " + hard.length + " values, but N = " + n);
        }
        if (soft != null) {
            checkShape(soft, n, k, "targets");
        }
        checkOptionLengths(o, n, k);

        double eps = o.labelSmoothing();
        double zeta = o.zLoss();
        double[] w = new double[k];
        for (int j = 0; j < k; j++) {
            w[j] = o.classWeight(j);
        }

        // Per row: counted?, the coefficients a_ij, and the (unreduced) parts of the loss.
        boolean[] counted = new boolean[n];
        double[] ce = new double[n];
        double[] lse = new double[n];
        double[] rowLoss = new double[n];
        double[][] p = wantGrad ? new double[n][] : null;
        double[][] a = wantGrad ? new double[n][] : null;
        double denom = 0;       // D
        double denomZ = 0;      // D_z
        for (int i = 0; i < n; i++) {
            double s = o.sampleWeight(i);
            int t = -1;
            if (hard != null) {
                t = hard[i];
                if (t == o.ignoreIndex()) {
                    checkLogitRow(x, i, k, o.nonFinite(), false);
                    continue;
                }
                if (t < 0 || t >= k) {
                    throw new IllegalArgumentException("targets[" + i + "] = " + t + " is outside [0, " + k
                            + ") and is not the ignore index " + o.ignoreIndex());
                }
            } else {
                for (int j = 0; j < k; j++) {
                    double y = soft[i * k + j];
                    if (!(y >= 0) || Double.isInfinite(y)) {
                        throw new IllegalArgumentException("targets[" + i + ", " + j + "] = " + y
                                + ": soft targets must be finite and >= 0");
                    }
                }
            }
            checkLogitRow(x, i, k, o.nonFinite(), true);
            counted[i] = true;

            double[] logp = logSoftmaxRow(x, i, k, o);
            lse[i] = lseOfRow(x, i, k, o);
            double[] ai = new double[k];
            for (int j = 0; j < k; j++) {
                double q = hard != null ? (1 - eps) * (j == t ? 1 : 0) + eps / k
                        : (1 - eps) * soft[i * k + j] + eps / k;
                // PyTorch's weighted smoothing for hard targets: (1−ε)·w[t]·δ + (ε/K)·w_j = w_j·q_j.
                ai[j] = w[j] * q;
            }
            double c = 0;
            for (int j = 0; j < k; j++) {
                if (ai[j] != 0) {
                    c += ai[j] * -logp[j];
                }
            }
            ce[i] = c;
            rowLoss[i] = s * (c + zTerm(zeta, lse[i]));
            denom += hard != null ? s * w[t] : s;
            denomZ += s;
            if (wantGrad) {
                double[] pi = new double[k];
                for (int j = 0; j < k; j++) {
                    pi[j] = Math.exp(logp[j]);
                }
                p[i] = pi;
                a[i] = ai;
            }
        }

        // Reduction.
        Reduction red = o.reduction();
        boolean emptyMean = red == Reduction.MEAN && denom == 0;
        if (emptyMean && o.emptyMean() == EmptyMeanPolicy.THROW) {
            throw new IllegalArgumentException("targets: mean over an empty set (weighted count 0) and emptyMean is THROW");
        }
        double loss;
        if (red == Reduction.MEAN) {
            if (emptyMean) {
                loss = o.emptyMean() == EmptyMeanPolicy.NAN ? Double.NaN : 0;
            } else {
                double ceSum = 0;
                double zSum = 0;
                for (int i = 0; i < n; i++) {
                    if (counted[i]) {
                        ceSum += o.sampleWeight(i) * ce[i];
                        zSum += o.sampleWeight(i) * zTerm(zeta, lse[i]);
                    }
                }
                loss = ceSum / denom + (denomZ > 0 ? zSum / denomZ : 0);
            }
        } else {
            loss = 0;
            for (int i = 0; i < n; i++) {
                loss += rowLoss[i];
            }
        }

        Core out = new Core();
        out.loss = loss;
        out.rowLoss = rowLoss;
        if (wantGrad) {
            double[] grad = new double[n * k];
            double[] scale = wantScale ? new double[n * k] : null;
            if (!emptyMean) {
                double ceDiv = red == Reduction.MEAN ? denom : 1;
                double zDiv = red == Reduction.MEAN ? denomZ : 1;
                for (int i = 0; i < n; i++) {
                    if (!counted[i]) {
                        continue;
                    }
                    double s = o.sampleWeight(i);
                    double up = o.gradScale(i);
                    double t = o.temperature(i);
                    double bigA = 0;
                    for (int j = 0; j < k; j++) {
                        bigA += a[i][j];
                    }
                    for (int j = 0; j < k; j++) {
                        double pij = p[i][j];
                        double dLdz = s * ((bigA * pij - a[i][j]) / ceDiv + 2 * zeta * lse[i] * pij / zDiv);
                        grad[i * k + j] = up * dLdz * dzdx(x[i * k + j], t, o.softcap());
                        if (scale != null) {
                            scale[i * k + j] = Math.abs(up) * s
                                    * ((bigA * pij + a[i][j]) / ceDiv + 2 * zeta * Math.abs(lse[i]) * pij / zDiv) / t;
                        }
                    }
                }
            }
            out.grad = grad;
            out.scale = scale;
        }
        return out;
    }

    /**
     * Per-row statistics (see {@link Stats}) for the same inputs as {@link #xent}; every row's
     * values are given, ignored rows included (their loss is 0, their hit false, their targetProb
     * NaN).
     */
    public static Stats stats(double[] x, int n, int k, int[] hard, double[] soft, XentOptions o) {
        XentOptions noThrow = o.toBuilder().reduction(Reduction.NONE).build();
        Result r = xent(x, n, k, hard, soft, noThrow, false);
        double[] lse = new double[n];
        double[] max = new double[n];
        int[] argmax = new int[n];
        boolean[] hit = new boolean[n];
        double[] targetProb = new double[n];
        double[] entropy = new double[n];
        for (int i = 0; i < n; i++) {
            lse[i] = lseOfRow(x, i, k, o);
            int jm = 0;
            for (int j = 1; j < k; j++) {
                if (x[i * k + j] > x[i * k + jm]) {
                    jm = j;
                }
            }
            max[i] = x[i * k + jm];
            argmax[i] = jm;
            double[] logp = logSoftmaxRow(x, i, k, o);
            double h = 0;
            for (int j = 0; j < k; j++) {
                double pj = Math.exp(logp[j]);
                if (pj != 0) {
                    h -= pj * logp[j];
                }
            }
            entropy[i] = h;
            int tcol;
            if (hard != null) {
                tcol = hard[i] == o.ignoreIndex() ? -1 : hard[i];
            } else {
                tcol = 0;
                for (int j = 1; j < k; j++) {
                    if (soft[i * k + j] > soft[i * k + tcol]) {
                        tcol = j;
                    }
                }
            }
            hit[i] = tcol >= 0 && tcol == jm;
            targetProb[i] = tcol >= 0 ? Math.exp(logp[tcol]) : Double.NaN;
        }
        return new Stats(r.rowLoss(), lse, max, argmax, hit, targetProb, entropy);
    }

    /**
     * Row-wise softmax (or log-softmax) of x/T_i in float64. A row holding NaN or +∞, or only
     * −∞, comes out NaN (what the engines give under {@link NonFinitePolicy#PROPAGATE}).
     *
     * @param x              logits, N×K row-major. Not modified
     * @param rowTemperature N temperatures > 0, or null for T = 1
     * @param log            true for log-softmax
     * @return a new N×K array
     */
    public static double[] softmax(double[] x, int n, int k, double[] rowTemperature, boolean log) {
        Objects.requireNonNull(x, "x");
        checkShape(x, n, k, "x");
        if (rowTemperature != null && rowTemperature.length != n) {
            throw new IllegalArgumentException("rowTemperature: " + rowTemperature.length + " values, but N = " + n);
        }
        double[] out = new double[n * k];
        for (int i = 0; i < n; i++) {
            if (nonFiniteRow(x, i, k)) {
                // NaN, +∞ or only −∞: the whole row is NaN, as the cross-entropy path and PyTorch give.
                java.util.Arrays.fill(out, i * k, (i + 1) * k, Double.NaN);
                continue;
            }
            double t = rowTemperature == null ? 1 : rowTemperature[i];
            double[] z = new double[k];
            for (int j = 0; j < k; j++) {
                z[j] = x[i * k + j] / t;
            }
            double m = maxOf(z);
            double logd = logD(z);
            for (int j = 0; j < k; j++) {
                double lp = (z[j] - m) - logd;
                out[i * k + j] = log ? lp : Math.exp(lp);
            }
        }
        return out;
    }

    /**
     * Softmax backward (log == false: y = softmax, dx = y ⊙ (g − ⟨g, y⟩)) or log-softmax backward
     * (y = log-softmax, dx = g − exp(y)·Σ_j g_j), row-wise in float64.
     */
    public static double[] softmaxBackward(double[] y, double[] g, int n, int k, boolean log) {
        checkShape(y, n, k, "y");
        checkShape(g, n, k, "g");
        double[] dx = new double[n * k];
        for (int i = 0; i < n; i++) {
            double acc = 0;
            for (int j = 0; j < k; j++) {
                acc += log ? g[i * k + j] : g[i * k + j] * y[i * k + j];
            }
            for (int j = 0; j < k; j++) {
                int e = i * k + j;
                dx[e] = log ? g[e] - Math.exp(y[e]) * acc : y[e] * (g[e] - acc);
            }
        }
        return dx;
    }

    // ------------------------------------------------------------------ helpers

    /**
     * ζ·lse², and 0 without a z-loss (ζ = 0) even where lse is NaN: without one, a row whose
     * coefficients are all 0 has loss 0 whatever its logits, as the cross-entropy part counts
     * 0·log p as 0.
     */
    private static double zTerm(double zeta, double lse) {
        return zeta == 0 ? 0 : zeta * lse * lse;
    }

    /** z = c·tanh(x/(T·c)), or x/T. */
    static double scaled(double x, double t, double c) {
        return c > 0 ? c * Math.tanh(x / (t * c)) : x / t;
    }

    /** ∂z/∂x. */
    static double dzdx(double x, double t, double c) {
        if (c > 0) {
            double th = Math.tanh(x / (t * c));
            return (1 - th * th) / t;
        }
        return 1 / t;
    }

    private static double[] scaledRow(double[] x, int i, int k, XentOptions o) {
        double[] z = new double[k];
        for (int j = 0; j < k; j++) {
            z[j] = scaled(x[i * k + j], o.temperature(i), o.softcap());
        }
        return z;
    }

    private static double lseOfRow(double[] x, int i, int k, XentOptions o) {
        if (nonFiniteRow(x, i, k)) {
            return Double.NaN;
        }
        double[] z = scaledRow(x, i, k, o);
        return maxOf(z) + logD(z);
    }

    /** True when the raw row holds NaN or +∞, or only −∞ (refused under REFUSE, NaN under PROPAGATE). */
    private static boolean nonFiniteRow(double[] x, int i, int k) {
        boolean alive = false;
        for (int j = 0; j < k; j++) {
            double v = x[i * k + j];
            if (Double.isNaN(v) || v == Double.POSITIVE_INFINITY) {
                return true;
            }
            alive |= v != Double.NEGATIVE_INFINITY;
        }
        return !alive;
    }

    private static double maxOf(double[] z) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            m = Math.max(m, v);
        }
        return m;
    }

    /**
     * log d = log Σ_j exp(z_j − m), as log1p of the sum without the (first) max's own 1, so a row
     * where one class dominates keeps its tiny loss (log(1 + 1e-24) would round to 0).
     */
    private static double logD(double[] z) {
        double m = maxOf(z);
        int jm = 0;
        while (jm < z.length - 1 && !(z[jm] == m)) {
            jm++;
        }
        double rest = 0;
        for (int j = 0; j < z.length; j++) {
            if (j != jm) {
                rest += Math.exp(z[j] - m);
            }
        }
        return Double.isNaN(m) ? Double.NaN : Math.log1p(rest);
    }

    private static double[] logSoftmaxRow(double[] x, int i, int k, XentOptions o) {
        double[] z = scaledRow(x, i, k, o);
        double[] lp = new double[k];
        if (nonFiniteRow(x, i, k)) {
            // NaN, +∞ or only −∞ (PROPAGATE): the whole row is NaN, as PyTorch gives.
            java.util.Arrays.fill(lp, Double.NaN);
            return lp;
        }
        double m = maxOf(z);
        double logd = logD(z);
        for (int j = 0; j < k; j++) {
            // (z − m) − log d: the stable form, exact for the max's own class when d ≈ 1.
            lp[j] = (z[j] - m) - logd;
        }
        return lp;
    }

    private static void checkLogitRow(double[] x, int i, int k, NonFinitePolicy policy, boolean counted) {
        if (policy != NonFinitePolicy.REFUSE) {
            return;
        }
        boolean alive = false;
        for (int j = 0; j < k; j++) {
            double v = x[i * k + j];
            if (Double.isNaN(v) || v == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logits[" + i + ", " + j + "] = " + v + ": NaN and +Infinity are refused");
            }
            alive |= v != Double.NEGATIVE_INFINITY;
        }
        if (counted && !alive) {
            throw new IllegalArgumentException("logits row " + i + ": every value is -Infinity");
        }
    }

    private static void checkShape(double[] a, int n, int k, String name) {
        if (n < 0 || k < 1) {
            throw new IllegalArgumentException(name + ": bad shape " + n + "x" + k);
        }
        if (a.length != (long) n * k) {
            throw new IllegalArgumentException(name + ": " + a.length + " values, but N×K = " + n + "×" + k);
        }
    }

    private static void checkOptionLengths(XentOptions o, int n, int k) {
        if (o.hasClassWeights() && o.classWeights().length != k) {
            throw new IllegalArgumentException("classWeights: " + o.classWeights().length + " values, but K = " + k);
        }
        if (o.hasRowTemperatures() && o.rowTemperatures().length != n) {
            throw new IllegalArgumentException("rowTemperatures: " + o.rowTemperatures().length + " values, but N = " + n);
        }
        if (o.hasSampleWeights() && o.sampleWeights().length != n) {
            throw new IllegalArgumentException("sampleWeights: " + o.sampleWeights().length + " values, but N = " + n);
        }
        if (o.hasRowGradScales() && o.rowGradScales().length != n) {
            throw new IllegalArgumentException("rowGradScales: " + o.rowGradScales().length + " values, but N = " + n);
        }
    }
}
