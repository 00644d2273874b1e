package org.softmaxcl.testing;

import java.util.Arrays;

import org.softmaxcl.EmptyMeanPolicy;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.Reduction;
import org.softmaxcl.XentOptions;

/**
 * Seeded random cross-entropy and softmax problems for the fuzz tests, case {@code i} of seed
 * {@code s} always the same: mostly small shapes (N = 0, 1, up to 64; K = 1 up to 600), every
 * storage layout, values from Gaussians to ±1e4, 1e8-scale rows, ties, −∞ masks and −1e30, every
 * option alone or combined, and, in about one case in six, something the library must refuse (a
 * NaN or +∞ logit, a counted row of −∞, a target out of range, a bad soft target, an option
 * array of the wrong length, an empty mean under THROW); a third of the bad logit rows come under
 * PROPAGATE instead, where nothing is refused and the row comes out NaN. {@link #makeLarge}
 * draws the large shapes the multi-threaded paths take. Logits stay below 1e9 and T ≥ 0.25, so
 * x/T never overflows float32 (that refusal is tested on its own); 1e8-scale rows come with
 * exact scales only (see {@link #values}).
 */
public final class FuzzCases {
    private FuzzCases() {
    }

    /** One generated problem: a cross-entropy case, or a softmax one ({@code xent == null}). */
    public record Case(int index, XentCase xent, Views layout, boolean withGrad, float[] x, int n, int k,
                       float[] rowTemperatures, boolean log, NonFinitePolicy softmaxPolicy) {
        @Override
        public String toString() {
            return "case " + index + " " + layout + " " + (xent != null ? xent + (withGrad ? " +grad" : "")
                    : (log ? "logSoftmax " : "softmax ") + n + "x" + k + (rowTemperatures != null ? " rowT" : "")
                    + " " + softmaxPolicy);
        }
    }

    /**
     * The kernel feature combinations the OpenCL fuzz draws from (each one a program variant, a
     * kernel build of a few seconds on PoCL when not in its binary cache): none, or every feature
     * (class weights, smoothing, soft-cap, per-row temperatures, per-row scales, row statistics)
     * with hard or with soft targets. The options that are kernel arguments (reduction,
     * temperature, z-loss, gradient scale, ignore index, policies) vary freely.
     */
    private static final String[] PALETTE = {"", "weights smooth softcap rowtemp rowscale stats",
            "weights smooth softcap rowtemp rowscale stats soft"};

    /**
     * Case {@code index} of {@code seed}.
     *
     * @param palette true to draw the options' kernel features from {@link #PALETTE} only, always
     *                with the gradient, and softmax with per-row temperatures (few OpenCL kernel
     *                variants); false to switch each feature on at random
     */
    public static Case make(long seed, int index, boolean palette) {
        Data d = new Data(seed * 1_000_003L + index);
        int n = pick(d, new int[][] {{0, 0}, {1, 1}, {2, 8}, {9, 64}}, new double[] {0.04, 0.16, 0.6, 0.2});
        int k = pick(d, new int[][] {{1, 1}, {2, 8}, {9, 64}, {65, 600}}, new double[] {0.1, 0.4, 0.35, 0.15});
        return make(d, index, palette, n, k);
    }

    /**
     * Case {@code index} of {@code seed} among the large ones: K from 600 to 70 000 (past the
     * CPU kernels' block, segment and backward-walk lengths), N up to 300 with N·K at most 2^20,
     * so that calls split rows over threads and long rows into segments, which the small cases
     * never reach (their N·K stays below the CPU backend's parallel threshold). Options and
     * values are drawn as {@link #make} draws them.
     */
    public static Case makeLarge(long seed, int index) {
        Data d = new Data(seed * 1_000_003L + index + 0x5EED_0000_0000L);
        int k = pick(d, new int[][] {{600, 4096}, {4097, 70_000}}, new double[] {0.5, 0.5});
        int n = Math.max(1, Math.min(pick(d, new int[][] {{1, 8}, {9, 300}}, new double[] {0.3, 0.7}), (1 << 20) / k));
        return make(d, index, false, n, k);
    }

    private static Case make(Data d, int index, boolean palette, int n, int k) {
        Views layout = Views.values()[d.nextInt(0, Views.values().length - 1)];
        if (d.coin(0.12)) {
            return softmaxCase(index, d, layout, n, k, palette);
        }
        String features = palette ? PALETTE[d.nextInt(0, PALETTE.length - 1)] : randomFeatures(d);
        boolean soft = palette ? features.contains("soft") : d.coin(0.3);
        XentOptions.Builder b = XentOptions.builder().reduction(Reduction.values()[d.nextInt(0, 2)])
                .rowStats(features.contains("stats"))
                .emptyMean(EmptyMeanPolicy.values()[d.nextInt(0, 2)]);
        boolean exactScale = setOptions(d, b, features, n, k);
        float[] x = values(d, n, k, exactScale);
        int ignore = XentOptions.DEFAULT_IGNORE_INDEX;
        if (!soft && d.coin(0.3)) {
            ignore = new int[] {-1, 0, k, -100}[d.nextInt(0, 3)];
            b.ignoreIndex(ignore);
        }
        int[] hard = soft ? null : d.targets(n, k, d.coin(0.3) ? 0.3 : 0, ignore);
        float[] y = soft ? d.softTargets(n, k) : null;
        if (soft && y != null) {
            for (int e = 0; e < x.length; e++) {
                if (x[e] == Float.NEGATIVE_INFINITY && d.coin(0.8)) {
                    y[e] = 0;      // mostly no mass on masked classes (the loss is +inf where there is)
                }
            }
        }
        if (d.coin(0.1)) {
            b.nonFinite(NonFinitePolicy.PROPAGATE).rowStats(false);
        }
        String bad = "";
        if (d.coin(0.17) && n > 0) {
            bad = breakSomething(d, b, x, hard, y, n, k, ignore);
        }
        XentCase c = new XentCase("fuzz" + bad, n, k, x, hard, y, b.build());
        return new Case(index, c, layout, palette || d.coin(0.8), x, n, k, null, false, null);
    }

    /** A value from range {@code ranges[b]} (inclusive), the range drawn with probability {@code p[b]}. */
    private static int pick(Data d, int[][] ranges, double[] p) {
        double u = d.random().nextDouble();
        int b = 0;
        while (b < p.length - 1 && u >= p[b]) {
            u -= p[b];
            b++;
        }
        return d.nextInt(ranges[b][0], ranges[b][1]);
    }

    /**
     * n·k logits of one of several kinds, row by row. 1e8-scale rows only with {@code exactScale}
     * (every temperature a power of two): float32 rounds x/T ≈ 1e8 to a multiple of 8 or 16,
     * which moves p by factors up to e^8, beyond any first-order error model (and beyond what
     * float32 can do; the stable form is checked at T = 1 and exact scales).
     */
    static float[] values(Data d, int n, int k, boolean exactScale) {
        float[] x = new float[n * k];
        for (int i = 0; i < n; i++) {
            int kind = d.nextInt(0, 7);
            if (!exactScale && (kind == 3 || kind == 7)) {
                kind = 2;
            }
            for (int j = 0; j < k; j++) {
                double g = d.random().nextGaussian();
                double v = switch (kind) {
                    case 0 -> g * 0.5;
                    case 1 -> g * 3 + (d.coin(0.02) ? 60 : 0);
                    case 2 -> d.uniform(-1e4, 1e4);
                    case 3 -> 1e8 + 8 * d.nextInt(-100, 100);            // 1e8-scale, float spacing 8
                    case 4 -> 2.5;                                         // ties
                    case 5 -> d.coin(0.3) ? Double.NEGATIVE_INFINITY : 3 * g;  // −∞ masks
                    case 6 -> d.coin(0.3) ? -1e30 : 3 * g;
                    default -> d.uniform(-1e8, 1e8);
                };
                x[i * k + j] = (float) v;
            }
            x[i * k + d.nextInt(0, k - 1)] = (float) (kind == 3 ? 1e8 : 1.0);   // a finite logit in every row
        }
        return x;
    }

    private static String randomFeatures(Data d) {
        StringBuilder s = new StringBuilder();
        for (String f : new String[] {"weights", "smooth", "softcap", "rowtemp", "temp", "rowscale", "zloss", "scale", "stats"}) {
            if (d.coin(0.3)) {
                s.append(f).append(' ');
            }
        }
        return s.toString();
    }

    /** Sets the options {@code f} names; returns whether every temperature is a power of two. */
    private static boolean setOptions(Data d, XentOptions.Builder b, String f, int n, int k) {
        boolean exactScale = true;
        if (f.contains("weights")) {
            float[] w = d.uniforms(k, 0, 3);
            for (int j = 0; j < k; j++) {
                if (d.coin(0.15)) {
                    w[j] = 0;
                }
            }
            b.classWeights(w);
        }
        if (f.contains("smooth")) {
            b.labelSmoothing(d.coin(0.1) ? 1f : (float) d.uniform(0.01, 0.5));
        }
        if (f.contains("softcap")) {
            b.softcap((float) d.uniform(1, 50));
        }
        if (f.contains("rowtemp")) {
            b.rowTemperatures(d.uniforms(n, 0.25, 4));
            exactScale = n == 0;
        } else if (f.contains("temp") || d.coin(0.2)) {
            float t = new float[] {0.25f, 0.5f, 0.7f, 1.3f, 2f, 4f}[d.nextInt(0, 5)];
            b.temperature(t);
            exactScale = t == Math.scalb(1f, Math.getExponent(t));
        }
        if (f.contains("rowscale")) {
            float[] s = d.uniforms(n, 0, 2);
            if (n > 0 && d.coin(0.3)) {
                s[d.nextInt(0, n - 1)] = 0;
            }
            if (d.coin(0.5)) {
                b.sampleWeights(s);
            } else {
                b.rowGradScales(d.uniforms(n, -2, 2));
            }
        }
        if (f.contains("zloss") || d.coin(0.15)) {
            b.zLoss((float) d.uniform(0, 0.1));
        }
        if (f.contains("scale")) {
            b.gradScale((float) d.uniform(-4, 4));
        }
        return exactScale;
    }

    /** Makes the case one the library must refuse; returns what was broken, for the name. */
    private static String breakSomething(Data d, XentOptions.Builder b, float[] x, int[] hard, float[] y, int n, int k,
                                         int ignore) {
        int row = d.nextInt(0, n - 1);
        int col = d.nextInt(0, k - 1);
        int what = d.nextInt(0, 6);
        switch (what) {
            case 0:
                x[row * k + col] = Float.NaN;
                return " NaN logit" + nonFinite(d, b);
            case 1:
                x[row * k + col] = Float.POSITIVE_INFINITY;
                return " +inf logit" + nonFinite(d, b);
            case 2:
                Arrays.fill(x, row * k, (row + 1) * k, Float.NEGATIVE_INFINITY);
                if (hard != null) {
                    hard[row] = col;       // counted (unless col is the ignore index)
                }
                return " -inf row" + nonFinite(d, b);
            case 3:
                if (hard != null) {
                    hard[row] = d.coin(0.5) ? k + d.nextInt(0, 3) : -1 - d.nextInt(0, 3);
                    if (hard[row] == ignore) {
                        hard[row] = Integer.MIN_VALUE;
                    }
                    return " target out of range";
                }
                y[row * k + col] = new float[] {-0.5f, Float.NaN, Float.POSITIVE_INFINITY}[d.nextInt(0, 2)];
                return " bad soft target";
            case 4:
                b.classWeights(new float[k + 1]);
                return " classWeights length";
            case 5:
                b.sampleWeights(new float[n + 1]);
                return " sampleWeights length";
            default:
                if (hard != null) {
                    Arrays.fill(hard, ignore);
                }
                b.reduction(Reduction.MEAN).emptyMean(EmptyMeanPolicy.THROW).sampleWeights(new float[n]);
                return " empty mean THROW";
        }
    }

    /**
     * The policy for a case given a bad logit row: REFUSE (refused), or in a third of them
     * PROPAGATE, under which the oracle and the engines give the row NaN (and the other rows their
     * values); returns what to add to the case's name.
     */
    private static String nonFinite(Data d, XentOptions.Builder b) {
        if (d.coin(1.0 / 3)) {
            b.nonFinite(NonFinitePolicy.PROPAGATE);
            return " (propagated)";
        }
        b.nonFinite(NonFinitePolicy.REFUSE);
        return "";
    }

    private static Case softmaxCase(int index, Data d, Views layout, int n, int k, boolean palette) {
        float[] rowT = palette || d.coin(0.5) ? d.uniforms(n, 0.25, 4) : null;
        float[] x = values(d, n, k, rowT == null || n == 0);
        NonFinitePolicy policy = d.coin(0.2) ? NonFinitePolicy.PROPAGATE : NonFinitePolicy.REFUSE;
        if (n > 0 && d.coin(0.15)) {
            x[d.nextInt(0, n * k - 1)] = d.coin(0.5) ? Float.NaN : Float.POSITIVE_INFINITY;
        }
        return new Case(index, null, layout, false, x, n, k, rowT, d.coin(0.5), policy);
    }
}
