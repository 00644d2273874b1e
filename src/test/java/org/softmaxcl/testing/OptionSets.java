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
        SAMPLE_WEIGHTS, GRAD_SCALE, ROW_GRAD_SCALES, ROW_STATS
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
     * (N in [1, maxN], K in [1, maxK]) and random option values; the ignore index is only set for
     * hard targets. With {@code masks}, about one logit in ten that is not a hard target is −∞
     * (soft targets are 0 there).
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
                    cases.add(randomCase(d, fs, red, hard, maxN, maxK, masks));
                }
            }
        }
        return cases;
    }

    /** The same with the default shape limits (N ≤ 24, K ≤ 300) and masks. */
    public static List<XentCase> pairCases(long seed, boolean masks) {
        return pairCases(seed, 24, 300, masks);
    }

    public static XentCase randomCase(Data d, Set<Feature> fs, Reduction red, boolean hard, int maxN, int maxK,
                                      boolean masks) {
        int n = d.nextInt(1, maxN);
        // Mostly small K, sometimes above the V1 work-group size.
        int k = d.coin(0.25) ? d.nextInt(Math.min(65, maxK), maxK) : d.nextInt(1, Math.min(40, maxK));
        double sigma = new double[] {0.5, 2, 5}[d.nextInt(0, 2)];
        float[] x = d.logits(n, k, sigma);
        XentOptions.Builder b = XentOptions.builder().reduction(red);
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
        if (masks && k > 1) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) {
                    if ((t == null || t[i] != j) && d.coin(0.1)) {
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
                case ROW_STATS -> b.rowStats(true);
            }
        }
        String name = fs.isEmpty() ? "plain" : fs.toString();
        return new XentCase(name, n, k, x, t, y, b.build());
    }
}
