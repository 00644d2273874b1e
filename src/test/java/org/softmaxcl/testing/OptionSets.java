package org.softmaxcl.testing;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.softmaxcl.Reduction;
import org.softmaxcl.XentOptions;

/**
 * Seeded cross-entropy cases covering every option alone and every pair of options, for each
 * reduction and for hard and soft targets (property tests as plain seeded parameterised tests).
 */
public final class OptionSets {
    private OptionSets() {
    }

    /** The options that can be switched on, one at a time or in pairs. */
    public enum Feature {
        SMOOTHING, CLASS_WEIGHTS, IGNORE_INDEX, TEMPERATURE, ROW_TEMPERATURES, SOFTCAP, Z_LOSS,
        SAMPLE_WEIGHTS, GRAD_SCALE, ROW_GRAD_SCALES
    }

    /** Every set of zero, one or two features. */
    public static List<Set<Feature>> singlesAndPairs() {
        List<Set<Feature>> sets = new ArrayList<>();
        sets.add(EnumSet.noneOf(Feature.class));
        Feature[] f = Feature.values();
        for (int a = 0; a < f.length; a++) {
            sets.add(EnumSet.of(f[a]));
        }
        for (int a = 0; a < f.length; a++) {
            for (int b = a + 1; b < f.length; b++) {
                sets.add(EnumSet.of(f[a], f[b]));
            }
        }
        return sets;
    }

    /**
     * One case per (feature set of size ≤ 2) × reduction × target kind, with a random shape
     * (N in [1, maxN], K ≤ maxK, see {@link #kRange}) and random option values; the ignore index is
     * only set for hard targets. Row statistics are requested in every case (so they are checked
     * with every option and pair). With {@code masks} (and no smoothing), about one logit in ten
     * that is not a hard target is −∞ (soft targets are 0 there); a counted row keeps a finite
     * logit.
     */
    public static List<XentCase> pairCases(long seed, int maxN, int maxK, boolean masks) {
        Data d = new Data(seed);
        List<XentCase> cases = new ArrayList<>();
        for (Set<Feature> fs : singlesAndPairs()) {
            for (Reduction red : Reduction.values()) {
                for (boolean hard : new boolean[] {true, false}) {
                    if (!hard && fs.contains(Feature.IGNORE_INDEX)) {
                        continue;
                    }
                    int[] kr = kRange(fs, hard, maxK);
                    cases.add(randomCase(d, fs, red, hard, d.nextInt(1, maxN), d.nextInt(kr[0], kr[1]), masks));
                }
            }
        }
        return cases;
    }

    /**
     * The range K is drawn from: [4, 7], [16, 31] or [64, maxK], chosen by the OpenCL kernel
     * variant the options select (its build flags: smoothing, class weights, per-row temperatures,
     * soft-cap, per-row scales, soft targets). The V1 layout's work-group size follows K (4, 16 or
     * 64 here), and each (flags, work-group size) is a program PoCL compiles in about 1.5 s: tying
     * the range to the flags keeps the suite's cold start short, while hard and soft targets of
     * one flag set land in different ranges, and every range meets every option. Capped at maxK.
     */
    public static int[] kRange(Set<Feature> fs, boolean hard, int maxK) {
        int flags = (fs.contains(Feature.SMOOTHING) ? 1 : 0) | (fs.contains(Feature.CLASS_WEIGHTS) ? 2 : 0)
                | (fs.contains(Feature.ROW_TEMPERATURES) ? 4 : 0) | (fs.contains(Feature.SOFTCAP) ? 8 : 0)
                | (fs.contains(Feature.SAMPLE_WEIGHTS) || fs.contains(Feature.ROW_GRAD_SCALES) ? 16 : 0);
        int[][] ranges = {{4, 7}, {16, 31}, {64, Math.max(64, maxK)}};
        int[] r = ranges[(Integer.bitCount(flags) + Integer.numberOfTrailingZeros(flags | 32) + (hard ? 0 : 1)) % 3];
        return new int[] {Math.min(r[0], maxK), Math.min(r[1], maxK)};
    }

    /** The same with the default shape limits (N ≤ 24, K ≤ 300) and masks. */
    public static List<XentCase> pairCases(long seed, boolean masks) {
        return pairCases(seed, 24, 300, masks);
    }

    /** A case of shape n × k with the features {@code fs} set to random values, and row statistics on. */
    public static XentCase randomCase(Data d, Set<Feature> fs, Reduction red, boolean hard, int n, int k,
                                      boolean masks) {
        double sigma = new double[] {0.5, 2, 5}[d.nextInt(0, 2)];
        float[] x = d.logits(n, k, sigma);
        XentOptions.Builder b = XentOptions.builder().reduction(red).rowStats(true);
        int ignore = XentOptions.DEFAULT_IGNORE_INDEX;
        if (fs.contains(Feature.IGNORE_INDEX)) {
            // PyTorch allows any ignore index, a valid class included.
            ignore = new int[] {-100, -1, 0, k + 3}[d.nextInt(0, 3)];
            b.ignoreIndex(ignore);
        }
        int[] t = null;
        float[] y = null;
        if (hard) {
            t = d.targets(n, k, fs.contains(Feature.IGNORE_INDEX) ? 0.3 : 0, ignore);
        } else {
            y = d.softTargets(n, k);
        }
        // No masks with label smoothing: a masked class then has a non-zero target coefficient and
        // the loss is +inf (covered by its own test), which would hide every other check of the case.
        if (masks && k > 1 && !fs.contains(Feature.SMOOTHING)) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) {
                    if (j != (t == null ? i % k : t[i]) && d.coin(0.1)) {
                        x[i * k + j] = Float.NEGATIVE_INFINITY;
                        if (y != null) {
                            y[i * k + j] = 0;
                        }
                    }
                }
            }
        }
        for (Feature f : fs) {
            switch (f) {
                case SMOOTHING -> b.labelSmoothing(d.coin(0.1) ? 1f : (float) d.uniform(0.01, 0.5));
                case CLASS_WEIGHTS -> {
                    float[] w = d.uniforms(k, 0.1, 3);
                    for (int j = 0; j < k; j++) {
                        if (d.coin(0.1)) {
                            w[j] = 0;
                        }
                    }
                    b.classWeights(w);
                }
                case IGNORE_INDEX -> { }
                case TEMPERATURE -> b.temperature(new float[] {0.5f, 0.7f, 1.3f, 2f, 3.3f}[d.nextInt(0, 4)]);
                case ROW_TEMPERATURES -> b.rowTemperatures(d.uniforms(n, 0.3, 3));
                case SOFTCAP -> b.softcap((float) d.uniform(2, 30));
                case Z_LOSS -> b.zLoss((float) d.uniform(1e-4, 0.1));
                case SAMPLE_WEIGHTS -> {
                    float[] s = d.uniforms(n, 0, 2);
                    if (n > 1) {
                        s[d.nextInt(0, n - 1)] = 0;
                    }
                    b.sampleWeights(s);
                }
                case GRAD_SCALE -> b.gradScale((float) d.uniform(-3, 3));
                case ROW_GRAD_SCALES -> b.rowGradScales(d.uniforms(n, -2, 2));
            }
        }
        String name = fs.isEmpty() ? "plain" : fs.toString();
        return new XentCase(name, n, k, x, t, y, b.build());
    }
}
