package org.softmaxcl.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Reduction;
import org.softmaxcl.RowStats;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;
import org.softmaxcl.reference.Reference64;

/**
 * One cross-entropy problem (logits, hard or soft targets, options), run on an engine and held
 * against {@link Reference64}.
 *
 * <p>Tolerances (float32 engine against the float64 reference), from an error model of a float32
 * code that rounds each step correctly (unit roundoff u = 2⁻²⁴ ≈ 6e-8):
 * <ul>
 *   <li>gradient: each element is a difference of terms whose size {@link
 *       Reference64#gradTermScale} gives (A·p + a, the z-loss term, the upstream scale, 1/T).
 *       Rounding costs a few u times that; we allow {@value #GRAD_TOL} (≈ 170 u) times it. When z
 *       itself is rounded (x/T with T not a power of two, or a soft-cap), p_j carries a relative
 *       error ≈ 2u·|z|, so the bound grows by {@value #Z_TOL}·|z|max. A floor of 1e-12 times the
 *       row's largest term covers float32 underflow of tiny p.</li>
 *   <li>row loss: a sum of non-negative terms (a_j·(m − z_j), A·log d, ζ·lse²), so relative
 *       {@value #LOSS_TOL}, plus the cost of rounding z (A·|z|max·{@value #Z_TOL}) and of lse = m +
 *       log d when m and log d cancel (2ζ·|z|max²·{@value #Z_TOL}).</li>
 *   <li>reduced loss: relative {@value #LOSS_TOL} (the engine reduces in float64) plus the
 *       reduction of the row allowances.</li>
 *   <li>statistics: max, argmax and hit exactly; lse, target probability and entropy relative
 *       {@value #LOSS_TOL} plus the z-rounding allowance.</li>
 * </ul>
 */
public final class XentCase {
    public static final double GRAD_TOL = 1e-5;
    public static final double LOSS_TOL = 1e-5;
    public static final double Z_TOL = 1e-6;

    public final String name;
    public final int n;
    public final int k;
    public final float[] x;
    public final int[] hard;
    public final float[] soft;
    public final XentOptions opts;

    public XentCase(String name, int n, int k, float[] x, int[] hard, float[] soft, XentOptions opts) {
        if ((hard == null) == (soft == null) || x.length != n * k) {
            throw new IllegalArgumentException("bad case " + name);
        }
        this.name = name;
        this.n = n;
        this.k = k;
        this.x = x;
        this.hard = hard;
        this.soft = soft;
        this.opts = opts;
    }

    public XentCase with(XentOptions o) {
        return new XentCase(name, n, k, x, hard, soft, o);
    }

    @Override
    public String toString() {
        return name + " " + n + "x" + k + (hard != null ? " hard " : " soft ") + opts;
    }

    /** What an engine returned: the result and the gradient as a dense N×K array (or null). */
    public record Outcome(XentResult result, float[] grad) {
    }

    public Targets targets(Views layout) {
        return hard != null ? Targets.hard(hard) : Targets.soft(layout.of(soft, n, k));
    }

    /**
     * Runs the case (gradient into a fresh view of {@code layout} filled with NaN, so an element
     * the engine forgets shows), and checks that the inputs and every padding float are untouched.
     */
    public Outcome run(Engine e, Views layout, boolean withGrad) {
        FloatMatrix xm = layout.of(x, n, k);
        Targets t = targets(layout);
        int[] hardCopy = hard == null ? null : hard.clone();
        XentResult r;
        float[] g = null;
        if (withGrad) {
            FloatMatrix gm = layout.filled(n, k, Float.NaN);
            r = e.crossEntropyWithGradient(xm, t, opts, gm);
            g = gm.toArray();
            assertThat(Views.paddingIntact(gm)).as("%s: padding of grad untouched", this).isTrue();
        } else {
            r = e.crossEntropy(xm, t, opts);
        }
        assertThat(xm.toArray()).as("%s: logits unchanged", this).isEqualTo(x);
        assertThat(Views.paddingIntact(xm)).as("%s: padding of logits untouched", this).isTrue();
        if (hard != null) {
            assertThat(hard).as("targets unchanged").isEqualTo(hardCopy);
        } else {
            assertThat(t.distribution().toArray()).as("soft targets unchanged").isEqualTo(soft);
        }
        if (xm.buffer() != null) {
            assertThat(xm.buffer().position()).as("buffer position unchanged").isEqualTo(layout == Views.DIRECT_STRIDED ? 2 : 0);
        }
        return new Outcome(r, g);
    }

    /** Runs on dense arrays with the gradient. */
    public Outcome run(Engine e) {
        return run(e, Views.DENSE, true);
    }

    public Reference64.Result reference(boolean withGrad) {
        return Reference64.xent(Data.d(x), n, k, hard, soft == null ? null : Data.d(soft), opts, withGrad);
    }

    public Reference64.Stats referenceStats() {
        return Reference64.stats(Data.d(x), n, k, hard, soft == null ? null : Data.d(soft), opts);
    }

    /**
     * Checks loss, per-row losses (when returned), gradient (when computed) and statistics (when
     * requested); every check runs, and the failure lists all that failed.
     */
    public void check(String label, Outcome out) {
        String what = label + " " + this;
        Reference64.Result ref = reference(out.grad != null);
        Allowance al = allowance();
        java.util.List<String> failed = new java.util.ArrayList<>();
        attempt(failed, () -> Compare.check(what + ": loss", new double[] {ref.loss()},
                new double[] {out.result().loss()}, al.loss, LOSS_TOL));
        if (opts.reduction() == Reduction.NONE || opts.rowStats()) {
            attempt(failed, () -> {
                assertThat(out.result().rowLosses()).as(what + ": row losses").isNotNull();
                Compare.check(what + ": row losses", ref.rowLoss(), Data.d(out.result().rowLosses()), al.rowLoss, LOSS_TOL);
            });
        }
        if (out.grad != null) {
            attempt(failed, () -> Compare.check(what + ": grad", ref.grad(), Data.d(out.grad), al.grad, 1e-6));
        }
        if (opts.rowStats()) {
            attempt(failed, () -> checkStats(what, out.result().stats(), al));
        }
        if (!failed.isEmpty()) {
            throw new AssertionError(String.join("\n", failed));
        }
    }

    /**
     * Checks two backends' outcomes against each other: each is within the allowance of the
     * reference, so they are within twice that of each other (loss, row losses, gradient, lse,
     * target probability, entropy); max, argmax and hit must agree exactly.
     */
    public void checkAgreement(String what, Outcome a, Outcome b) {
        String w = what + " " + this;
        Allowance al = allowance();
        java.util.List<String> failed = new java.util.ArrayList<>();
        attempt(failed, () -> Compare.check(w + ": loss", new double[] {a.result().loss()},
                new double[] {b.result().loss()}, 2 * al.loss, 2 * LOSS_TOL));
        if (a.result().rowLosses() != null) {
            attempt(failed, () -> Compare.check(w + ": row losses", Data.d(a.result().rowLosses()),
                    Data.d(b.result().rowLosses()), i -> 2 * al.rowLoss[i], 2 * LOSS_TOL));
        }
        if (a.grad() != null) {
            attempt(failed, () -> Compare.check(w + ": grad", Data.d(a.grad()), Data.d(b.grad()), i -> 2 * al.grad[i], 2e-6));
        }
        RowStats sa = a.result().stats();
        RowStats sb = b.result().stats();
        if (sa != null) {
            attempt(failed, () -> Compare.check(w + ": stats.lse", Data.d(sa.lse()), Data.d(sb.lse()),
                    i -> 4 * Z_TOL * al.zMax[i], 2 * LOSS_TOL));
            attempt(failed, () -> Compare.check(w + ": stats.targetProb", Data.d(sa.targetProb()), Data.d(sb.targetProb()),
                    i -> 2 * Z_TOL * al.zRound[i] * Math.abs(sa.targetProb()[i]) + 1e-37, 2 * LOSS_TOL));
            attempt(failed, () -> Compare.check(w + ": stats.entropy", Data.d(sa.entropy()), Data.d(sb.entropy()),
                    i -> 2 * Z_TOL * (1 + al.zRound[i]), 2 * LOSS_TOL));
            attempt(failed, () -> Compare.check(w + ": stats.max", Data.d(sa.max()), Data.d(sb.max()), 0, 0));
            attempt(failed, () -> assertThat(sb.argmax()).as(w + ": stats.argmax").isEqualTo(sa.argmax()));
            attempt(failed, () -> assertThat(sb.hit()).as(w + ": stats.hit").isEqualTo(sa.hit()));
        }
        if (!failed.isEmpty()) {
            throw new AssertionError(String.join("\n", failed));
        }
    }

    private static void attempt(java.util.List<String> failed, Runnable check) {
        try {
            check.run();
        } catch (AssertionError e) {
            failed.add(e.getMessage());
        }
    }

    private void checkStats(String what, RowStats got, Allowance al) {
        assertThat(got).as(what + ": stats").isNotNull();
        Reference64.Stats ref = referenceStats();
        java.util.List<String> failed = new java.util.ArrayList<>();
        attempt(failed, () -> Compare.check(what + ": stats.loss", ref.loss(), Data.d(got.loss()), al.rowLoss, LOSS_TOL));
        attempt(failed, () -> Compare.check(what + ": stats.lse", ref.lse(), Data.d(got.lse()),
                i -> 2 * Z_TOL * al.zMax[i], LOSS_TOL));
        attempt(failed, () -> Compare.check(what + ": stats.max", ref.max(), Data.d(got.max()), 0, 0));
        attempt(failed, () -> assertThat(got.argmax()).as(what + ": stats.argmax").isEqualTo(ref.argmax()));
        attempt(failed, () -> assertThat(got.hit()).as(what + ": stats.hit").isEqualTo(ref.hit()));
        double[] tp = ref.targetProb();
        attempt(failed, () -> Compare.check(what + ": stats.targetProb", tp, Data.d(got.targetProb()),
                i -> Z_TOL * al.zRound[i] * Math.abs(tp[i]) + 1e-37, LOSS_TOL));
        attempt(failed, () -> Compare.check(what + ": stats.entropy", ref.entropy(), Data.d(got.entropy()),
                i -> Z_TOL * (1 + al.zRound[i]), LOSS_TOL));
        if (!failed.isEmpty()) {
            throw new AssertionError(String.join("\n", failed));
        }
    }

    /** Absolute allowances on top of the relative tolerances (see the class comment). */
    public static final class Allowance {
        public double[] grad;
        public double[] rowLoss;
        public double loss;
        /** Per row: max |z| over finite z, plus log K + 1 (bounds |m|, |lse|). */
        public double[] zMax;
        /** Per row: zMax when z = x/T or the soft-cap is rounded in float32, else 0. */
        public double[] zRound;
    }

    public Allowance allowance() {
        Allowance al = new Allowance();
        double c = opts.softcap();
        double eps = opts.labelSmoothing();
        double zeta = opts.zLoss();
        double wSum = 0;
        for (int j = 0; j < k; j++) {
            wSum += opts.classWeight(j);
        }
        al.zMax = new double[n];
        al.zRound = new double[n];
        al.rowLoss = new double[n];
        double ceAllow = 0;
        double zAllow = 0;
        double denom = 0;
        double denomZ = 0;
        for (int i = 0; i < n; i++) {
            double t = opts.temperature(i);
            double zm = 0;
            for (int j = 0; j < k; j++) {
                double z = c > 0 ? c * Math.tanh(x[i * k + j] / (t * c)) : x[i * k + j] / t;
                if (Double.isFinite(z)) {
                    zm = Math.max(zm, Math.abs(z));
                }
            }
            al.zMax[i] = zm + Math.log(k) + 1;
            boolean exact = c == 0 && t == Math.scalb(1.0, Math.getExponent(t));   // x/T exact in float32
            al.zRound[i] = exact ? 0 : al.zMax[i];
            boolean counted = hard == null || hard[i] != opts.ignoreIndex();
            if (!counted) {
                continue;
            }
            double bigA;
            if (hard != null) {
                bigA = (1 - eps) * opts.classWeight(hard[i]) + eps / k * wSum;
                denom += opts.sampleWeight(i) * opts.classWeight(hard[i]);
            } else {
                bigA = 0;
                for (int j = 0; j < k; j++) {
                    bigA += opts.classWeight(j) * ((1 - eps) * soft[i * k + j] + eps / k);
                }
                denom += opts.sampleWeight(i);
            }
            denomZ += opts.sampleWeight(i);
            double s = opts.sampleWeight(i);
            double ceA = Z_TOL * bigA * al.zRound[i];
            double zA = Z_TOL * 2 * zeta * al.zMax[i] * al.zMax[i];
            al.rowLoss[i] = s * (ceA + zA) + 1e-30;
            ceAllow += s * ceA;
            zAllow += s * zA;
        }
        boolean mean = opts.reduction() == Reduction.MEAN;
        al.loss = (mean ? (denom > 0 ? ceAllow / denom : 0) + (denomZ > 0 ? zAllow / denomZ : 0) : ceAllow + zAllow) + 1e-30;

        double[] scale = Reference64.gradTermScale(Data.d(x), n, k, hard, soft == null ? null : Data.d(soft), opts);
        al.grad = new double[n * k];
        for (int i = 0; i < n; i++) {
            double rowMax = 0;
            for (int j = 0; j < k; j++) {
                rowMax = Math.max(rowMax, scale[i * k + j]);
            }
            for (int j = 0; j < k; j++) {
                al.grad[i * k + j] = scale[i * k + j] * (GRAD_TOL + Z_TOL * al.zRound[i]) + 1e-12 * rowMax;
            }
        }
        return al;
    }

    /** A copy of {@code a}. */
    public static float[] copy(float[] a) {
        return Arrays.copyOf(a, a.length);
    }
}
