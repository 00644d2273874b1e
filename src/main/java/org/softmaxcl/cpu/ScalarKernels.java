package org.softmaxcl.cpu;

import org.softmaxcl.backend.RowOutputs;

/**
 * The scalar reference kernels: plain loops in the shape of the formulas, float64 arithmetic and
 * accumulation (so they are more precise than float32 storage needs), three passes per row:
 * <ol>
 *   <li>m = max_j z_j and its first index j*;</li>
 *   <li>d − 1 = Σ_{j≠j*} exp(z_j − m) (kept apart from the max's own 1, so log d = log1p(d − 1)
 *       loses nothing when one class dominates), and the weighted sums the loss needs;</li>
 *   <li>the outputs, with p_j = exp(z_j − m − log d).</li>
 * </ol>
 * The target's loss is formed as (m − z_t) + log d and its gradient entry p_t − 1 as
 * expm1(−loss_t), never by subtracting rounded quantities. A row holding NaN, +∞ or only −∞ gives
 * NaN results (PyTorch's behaviour; under the default policy such rows are refused earlier).
 */
final class ScalarKernels implements CpuKernels {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public float rowMax(float[] x, int xo, int k) {
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            m = Math.max(m, x[xo + j]);
        }
        return m;
    }

    @Override
    public float rowMin(float[] x, int xo, int k) {
        float m = Float.POSITIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            m = Math.min(m, x[xo + j]);
        }
        return m;
    }

    /** z = x/T, or c·tanh(x/(T·c)) with a soft-cap c > 0. */
    private static double scaled(float x, double t, double c) {
        double z = t == 1.0 ? x : x / t;
        return c > 0 ? c * Math.tanh(z / c) : z;
    }

    /**
     * Per thread, tanh(x_j/(T·c)) of a soft-capped row, computed once for the three passes (a
     * {@link Math#tanh} is a native call of about 40–60 ns on JDK 17).
     */
    private static final ThreadLocal<double[]> TANH = ThreadLocal.withInitial(() -> new double[0]);

    /** tanh(x_j/(T·c)) for the row, as {@link #scaled} computes it, in a per-thread array. */
    private static double[] tanhRow(float[] x, int xo, int k, double t, double c) {
        double[] th = TANH.get();
        if (th.length < k) {
            th = new double[k];
            TANH.set(th);
        }
        for (int j = 0; j < k; j++) {
            double z = t == 1.0 ? x[xo + j] : x[xo + j] / t;
            th[j] = Math.tanh(z / c);
        }
        return th;
    }

    /** z_j: from the row's tanh when given (soft-cap c), else {@link #scaled}; the same value either way. */
    private static double z(float[] x, int xo, int j, double t, double c, double[] th) {
        return th != null ? c * th[j] : scaled(x[xo + j], t, c);
    }

    /**
     * Index of the first maximum of z over the row, or −1 when the row has no usable maximum: a NaN
     * or +∞ logit, a max of z that is not finite, or raw logits that are all −∞ (a soft-cap maps
     * −∞ to a finite −c, but such a row has no class, capped or not).
     */
    private static int argmax(float[] x, int xo, int k, double t, double c) {
        return argmax(x, xo, k, t, c, null);
    }

    /** {@link #argmax(float[], int, int, double, double)} with the row's tanh given (soft-cap) or null. */
    private static int argmax(float[] x, int xo, int k, double t, double c, double[] th) {
        double m = Double.NEGATIVE_INFINITY;
        int jm = 0;
        boolean nan = false;
        boolean alive = false;
        for (int j = 0; j < k; j++) {
            float xv = x[xo + j];
            double z = z(x, xo, j, t, c, th);
            if (z > m) {
                m = z;
                jm = j;
            }
            if (z != z || xv == Float.POSITIVE_INFINITY) {
                nan = true;
            }
            alive |= xv != Float.NEGATIVE_INFINITY;
        }
        return nan || !alive || !(m > Double.NEGATIVE_INFINITY && m < Double.POSITIVE_INFINITY) ? -1 : jm;
    }

    /** d − 1 = Σ_{j≠j*} exp(z_j − m): all terms below the max, plus 1 for each further tie. */
    private static double sumBelowMax(float[] x, int xo, int k, double t, double c, double m) {
        double less = 0;
        int ties = 0;
        for (int j = 0; j < k; j++) {
            double z = scaled(x[xo + j], t, c);
            if (z < m) {
                less += Math.exp(z - m);
            } else {
                ties++;
            }
        }
        return less + (ties - 1);
    }

    @Override
    public void softmaxRow(float[] x, int xo, float[] out, int oo, int k, float temperature, boolean log) {
        double t = temperature;
        int jm = argmax(x, xo, k, t, 0);
        double m = jm < 0 ? Double.NaN : scaled(x[xo + jm], t, 0);
        double logd = Math.log1p(sumBelowMax(x, xo, k, t, 0, m));
        for (int j = 0; j < k; j++) {
            double lp = (scaled(x[xo + j], t, 0) - m) - logd;
            out[oo + j] = (float) (log ? lp : Math.exp(lp));
        }
    }

    @Override
    public void backwardRow(float[] y, int yo, float[] g, int go, float[] dx, int dxo, int k, boolean log) {
        double acc = 0;
        if (log) {
            for (int j = 0; j < k; j++) {
                acc += g[go + j];
            }
            for (int j = 0; j < k; j++) {
                dx[dxo + j] = (float) (g[go + j] - Math.exp(y[yo + j]) * acc);
            }
        } else {
            for (int j = 0; j < k; j++) {
                acc += (double) g[go + j] * y[yo + j];
            }
            for (int j = 0; j < k; j++) {
                dx[dxo + j] = (float) (y[yo + j] * (g[go + j] - acc));
            }
        }
    }

    @Override
    public void xentRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go, RowOutputs out) {
        final int k = s.k;
        final double t = s.temperature(i);
        final double c = s.softcap;
        final int target = s.hard ? s.targets[i] : -1;
        final boolean counted = !s.hard || target != s.ignore;

        // Pass 1: the max and where it is.
        final double[] th = c > 0 ? tanhRow(x, xo, k, t, c) : null;
        final int jm = argmax(x, xo, k, t, c, th);
        final double m = jm < 0 ? Double.NaN : z(x, xo, jm, t, c, th);
        // Statistics follow the raw logits (a saturating soft-cap can tie scaled ones).
        int rawArg = 0;
        if (s.stats) {
            for (int j = 1; j < k; j++) {
                if (x[xo + j] > x[xo + rawArg]) {
                    rawArg = j;
                }
            }
        }
        final float xmax = x[xo + rawArg];

        // Pass 2: d − 1 and the sums the loss and statistics need.
        double less = 0;
        int ties = 0;
        double sumA = 0;      // Σ a_j (m − z_j)   (smoothing part for hard targets: Σ w_j (m − z_j))
        double totalA = 0;    // Σ a_j             (soft targets)
        double sumE = 0;      // Σ e_j (m − z_j)   (entropy)
        float ymax = Float.NEGATIVE_INFINITY;
        int ty = -1;
        for (int j = 0; j < k; j++) {
            double z = z(x, xo, j, t, c, th);
            double e = Math.exp(z - m);
            if (z < m) {
                less += e;
            } else {
                ties++;
            }
            if (s.needSum) {
                double a = s.hard ? s.weight(j) : softCoef(s, y[yo + j], j);
                if (a != 0) {
                    sumA += a * (m - z);
                    totalA += a;
                }
            }
            if (s.stats) {
                if (e != 0) {
                    sumE += e * (m - z);
                }
                if (!s.hard && y[yo + j] > ymax) {
                    ymax = y[yo + j];
                    ty = j;
                }
            }
        }
        final double dm1 = less + (ties - 1);
        final double logd = Math.log1p(dm1);
        final double lse = m + logd;

        // The loss of the row (unweighted by the sample weight, z-loss excluded).
        double ce = 0;
        double nlpT = 0;       // −log p_t (hard, counted)
        double h = 0;          // (1−ε)·w[t]
        double bigA;           // A = Σ_j a_j
        if (s.hard) {
            if (counted) {
                nlpT = (m - z(x, xo, target, t, c, th)) + logd;
                h = (1 - s.eps) * s.weight(target);
                // A zero coefficient counts 0 even when p_t = 0 (a masked target): 0·∞ would be NaN.
                ce = h != 0 ? h * nlpT : 0;
                if (s.eps != 0) {
                    ce += s.smooth * (sumA + s.wSum * logd);
                }
            }
            bigA = s.smooth * s.wSum + h;
        } else {
            ce = sumA + totalA * logd;
            bigA = totalA;
        }
        out.ce[i] = counted ? (float) ce : 0f;
        out.lse[i] = (float) lse;
        if (s.stats) {
            out.max[i] = xmax;
            out.argmax[i] = rawArg;
            out.entropy[i] = (float) (sumE / (1 + dm1) + logd);
            int tcol = s.hard ? target : ty;
            if (counted && tcol >= 0) {
                double lpT = s.hard ? -nlpT : (z(x, xo, tcol, t, c, th) - m) - logd;
                out.targetProb[i] = (float) Math.exp(lpT);
                out.hit[i] = rawArg == tcol;
            } else {
                out.targetProb[i] = Float.NaN;
                out.hit[i] = false;
            }
        }

        // Pass 3: the gradient.
        if (g == null) {
            return;
        }
        final double r = s.task.rowScale(i);
        if (!counted) {
            java.util.Arrays.fill(g, go, go + k, 0f);
            return;
        }
        final double coefA = r * s.ceScale;
        final double coefZ = r * s.zScale * 2 * s.zeta * lse;
        final double coefP = coefA * bigA + coefZ;
        final double invT = 1 / t;
        for (int j = 0; j < k; j++) {
            double zt = t == 1.0 ? x[xo + j] : x[xo + j] / t;
            double z;
            double dzdx;
            if (c > 0) {
                double tj = th[j];
                z = c * tj;
                dzdx = (1 - tj) * (1 + tj) * invT;
            } else {
                z = zt;
                dzdx = invT;
            }
            double p = Math.exp((z - m) - logd);
            double gz;
            if (j == target) {
                // A·p_t − a_t without cancellation: (ε/K)(W·p_t − w_t) + (1−ε)w_t·(p_t − 1) + z-term.
                gz = coefA * (s.smooth * (s.wSum * p - s.weight(j)) + h * Math.expm1(-nlpT)) + coefZ * p;
            } else {
                double a = s.hard ? s.smooth * s.weight(j) : softCoef(s, y[yo + j], j);
                gz = coefP * p - coefA * a;
            }
            g[go + j] = (float) (gz * dzdx);
        }
    }

    /** a_j = w_j·((1−ε)·y_j + ε/K) for soft targets. */
    private static double softCoef(XentSpec s, float yj, int j) {
        return s.weight(j) * ((1 - s.eps) * yj + s.smooth);
    }
}
