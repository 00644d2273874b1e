package org.softmaxcl.cli;

import java.util.SplittableRandom;

import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;
import org.softmaxcl.XentResult;
import org.softmaxcl.reference.Reference64;

/**
 * One finite-difference gradient check: the engine's fused float32 gradient against float64
 * central differences of {@link Reference64#xent}'s loss, on the same float32 inputs.
 *
 * <p>The derivative of element (i, j) is the five-point stencil
 * {@code (−L(x+2h) + 8L(x+h) − 8L(x−h) + L(x−2h)) / 12h} with h = {@value #H}·max(1, |x_ij|)
 * (truncation error O(h⁴)), times the row's upstream gradient scale (which scales the gradient,
 * not the loss). The error of an element is
 * <pre>
 *   err_ij = |g_ij − fd_ij| / max(|fd_ij|, floor),
 *   floor  = 1e-6 · max_ij |fd_ij|  +  1e-12 · max(1, |L|) / {@value #H}
 * </pre>
 * a relative error with a small absolute floor: a millionth of the largest gradient element, plus
 * about a thousand times the differences' own rounding noise (≈ 2⁻⁵²·|L|/h), so that elements that are
 * zero or tiny do not turn float32 rounding into huge relative numbers.
 */
final class Gradcheck {
    /** The relative step of the finite differences. */
    static final double H = 1e-3;

    private Gradcheck() {
    }

    /**
     * What one option set gave.
     *
     * @param worst        the largest err_ij of the engine's gradient against the differences
     * @param row          where it is
     * @param col          where it is
     * @param oracleWorst  the same error for Reference64's analytic gradient (checks the oracle)
     * @param lossRelError |L_engine − L_ref| / max(|L_ref|, 1e-30)
     * @param checked      elements checked
     */
    record Outcome(String name, double worst, int row, int col, double oracleWorst, double lossRelError,
                   int checked) {
    }

    static Outcome run(Engine engine, GradcheckCases data, GradcheckCases.Case c, int samples, long seed) {
        int n = data.n;
        int k = data.k;
        int[] hard = data.hardTargets(c);
        Targets targets = hard != null ? Targets.hard(hard) : Targets.soft(FloatMatrix.of(data.soft, n, k));
        float[] g = new float[n * k];
        XentResult res = engine.crossEntropyWithGradient(FloatMatrix.of(data.logits, n, k), targets, c.options(),
                FloatMatrix.of(g, n, k));

        double[] x = new double[n * k];
        for (int e = 0; e < x.length; e++) {
            x[e] = data.logits[e];
        }
        double[] soft = null;
        if (hard == null) {
            soft = new double[n * k];
            for (int e = 0; e < soft.length; e++) {
                soft[e] = data.soft[e];
            }
        }
        Reference64.Result ref = Reference64.xent(x, n, k, hard, soft, c.options(), true);

        int[] elements = pick(n, k, hard, samples, seed);
        double[] fd = new double[elements.length];
        double maxFd = 0;
        for (int s = 0; s < elements.length; s++) {
            int e = elements[s];
            double x0 = x[e];
            double h = H * Math.max(1, Math.abs(x0));
            double lp2 = lossAt(x, e, x0 + 2 * h, n, k, hard, soft, c);
            double lp1 = lossAt(x, e, x0 + h, n, k, hard, soft, c);
            double lm1 = lossAt(x, e, x0 - h, n, k, hard, soft, c);
            double lm2 = lossAt(x, e, x0 - 2 * h, n, k, hard, soft, c);
            x[e] = x0;
            fd[s] = (-lp2 + 8 * lp1 - 8 * lm1 + lm2) / (12 * h) * c.options().gradScale(e / k);
            maxFd = Math.max(maxFd, Math.abs(fd[s]));
        }
        double floor = 1e-6 * maxFd + 1e-12 * Math.max(1, Math.abs(ref.loss())) / H;
        floor = Math.max(floor, Double.MIN_NORMAL);
        double worst = 0;
        double oracleWorst = 0;
        int where = elements.length > 0 ? elements[0] : 0;
        for (int s = 0; s < elements.length; s++) {
            int e = elements[s];
            double denom = Math.max(Math.abs(fd[s]), floor);
            double err = Math.abs(g[e] - fd[s]) / denom;
            if (!(err <= worst)) { // NaN counts as the worst
                worst = err;
                where = e;
            }
            oracleWorst = Math.max(oracleWorst, Math.abs(ref.grad()[e] - fd[s]) / denom);
        }
        double lossErr = Math.abs(res.loss() - ref.loss()) / Math.max(Math.abs(ref.loss()), 1e-30);
        return new Outcome(c.name(), worst, where / k, where % k, oracleWorst, lossErr, elements.length);
    }

    private static double lossAt(double[] x, int e, double v, int n, int k, int[] hard, double[] soft,
                                 GradcheckCases.Case c) {
        x[e] = v;
        return Reference64.xent(x, n, k, hard, soft, c.options(), false).loss();
    }

    /** Every element when N·K ≤ samples; otherwise each row's hard target and random others, samples in all. */
    static int[] pick(int n, int k, int[] hard, int samples, long seed) {
        int total = n * k;
        if (total <= samples) {
            int[] all = new int[total];
            for (int e = 0; e < total; e++) {
                all[e] = e;
            }
            return all;
        }
        java.util.LinkedHashSet<Integer> set = new java.util.LinkedHashSet<>();
        if (hard != null) {
            for (int i = 0; i < n && set.size() < samples / 2; i++) {
                if (hard[i] >= 0 && hard[i] < k) {
                    set.add(i * k + hard[i]);
                }
            }
        }
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        while (set.size() < samples) {
            set.add(r.nextInt(total));
        }
        return set.stream().mapToInt(Integer::intValue).sorted().toArray();
    }
}
