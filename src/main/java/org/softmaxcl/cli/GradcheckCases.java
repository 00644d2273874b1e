package org.softmaxcl.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

import org.softmaxcl.Reduction;
import org.softmaxcl.XentOptions;

/**
 * The seeded batch of {@code gradcheck} and its option sets: one set per option the library has,
 * alone, plus combinations (see {@link #NAMES}).
 *
 * <p>The batch: N×K float32 logits, noise of standard deviation 2 plus a per-class offset; hard
 * targets uniform over the classes; soft targets random rows with some zeros (not normalised); a
 * second hard-target vector with rows 1 and N−2 set to the ignore index −100 (for the
 * weights + ignore set).
 */
final class GradcheckCases {
    /** The option sets in order, with a word on each. */
    static final Map<String, String> NAMES = names();

    final int n;
    final int k;
    final float[] logits;
    final int[] hard;
    final int[] hardIgnored;
    final float[] soft;
    final float[] classWeights;
    final float[] rowValues;
    final float[] rowScales;

    /**
     * One option set.
     *
     * @param targets "hard", "ignored" (hard with two rows at the ignore index) or "soft"
     */
    record Case(String name, XentOptions options, String targets) {
    }

    private static Map<String, String> names() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("defaults", "mean, no options (PyTorch's defaults)");
        m.put("smoothing", "label smoothing 0.1");
        m.put("weights-ignore", "class weights, two rows at the ignore index -100");
        m.put("temperature", "temperature 2.5");
        m.put("row-temperature", "one temperature per row in [0.5, 2]");
        m.put("softcap", "soft-cap 5");
        m.put("z-loss", "z-loss 0.01");
        m.put("sample-weights", "per-row sample weights in [0, 2]");
        m.put("grad-scale", "upstream gradient scale -0.75");
        m.put("row-grad-scale", "one upstream gradient scale per row");
        m.put("soft", "soft targets");
        m.put("soft-smoothing-weights", "soft targets, label smoothing 0.2, class weights, z-loss 0.01");
        m.put("sum", "reduction sum, label smoothing 0.05");
        m.put("none", "reduction none (gradient of the sum of row losses), z-loss 0.01");
        m.put("everything", "class weights, ignore index, smoothing, per-row temperatures, soft-cap, z-loss, "
                + "sample weights, per-row gradient scales");
        return m;
    }

    GradcheckCases(int n, int k, long seed) {
        this.n = n;
        this.k = k;
        SplittableRandom r = new SplittableRandom(seed);
        logits = new float[n * k];
        float[] offset = new float[k];
        for (int j = 0; j < k; j++) {
            offset[j] = (float) (r.nextDouble() * 2 - 1);
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                logits[i * k + j] = offset[j] + (float) (2 * r.nextGaussian());
            }
        }
        hard = new int[n];
        soft = new float[n * k];
        for (int i = 0; i < n; i++) {
            hard[i] = r.nextInt(k);
            for (int j = 0; j < k; j++) {
                soft[i * k + j] = r.nextInt(4) == 0 ? 0f : (float) r.nextDouble();
            }
        }
        hardIgnored = hard.clone();
        if (n > 2) {
            hardIgnored[1] = XentOptions.DEFAULT_IGNORE_INDEX;
            hardIgnored[n - 2] = XentOptions.DEFAULT_IGNORE_INDEX;
        }
        classWeights = new float[k];
        for (int j = 0; j < k; j++) {
            classWeights[j] = (float) (0.25 + 1.5 * r.nextDouble());
        }
        rowValues = new float[n];
        rowScales = new float[n];
        for (int i = 0; i < n; i++) {
            rowValues[i] = (float) (0.5 + 1.5 * r.nextDouble());
            rowScales[i] = (float) (r.nextDouble() * 4 - 2);
        }
    }

    /** The cases named in {@code selected} (all when empty), in {@link #NAMES} order. */
    List<Case> cases(List<String> selected) {
        Map<String, Function<XentOptions.Builder, Case>> all = new LinkedHashMap<>();
        all.put("defaults", b -> new Case("defaults", b.build(), "hard"));
        all.put("smoothing", b -> new Case("smoothing", b.labelSmoothing(0.1f).build(), "hard"));
        all.put("weights-ignore", b -> new Case("weights-ignore", b.classWeights(classWeights).build(), "ignored"));
        all.put("temperature", b -> new Case("temperature", b.temperature(2.5f).build(), "hard"));
        all.put("row-temperature", b -> new Case("row-temperature", b.rowTemperatures(rowValues).build(), "hard"));
        all.put("softcap", b -> new Case("softcap", b.softcap(5f).build(), "hard"));
        all.put("z-loss", b -> new Case("z-loss", b.zLoss(0.01f).build(), "hard"));
        all.put("sample-weights", b -> new Case("sample-weights", b.sampleWeights(sampleWeights()).build(), "hard"));
        all.put("grad-scale", b -> new Case("grad-scale", b.gradScale(-0.75f).build(), "hard"));
        all.put("row-grad-scale", b -> new Case("row-grad-scale", b.rowGradScales(rowScales).build(), "hard"));
        all.put("soft", b -> new Case("soft", b.build(), "soft"));
        all.put("soft-smoothing-weights", b -> new Case("soft-smoothing-weights",
                b.labelSmoothing(0.2f).classWeights(classWeights).zLoss(0.01f).build(), "soft"));
        all.put("sum", b -> new Case("sum", b.reduction(Reduction.SUM).labelSmoothing(0.05f).build(), "hard"));
        all.put("none", b -> new Case("none", b.reduction(Reduction.NONE).zLoss(0.01f).build(), "hard"));
        all.put("everything", b -> new Case("everything", b.classWeights(classWeights).labelSmoothing(0.1f)
                .rowTemperatures(rowValues).softcap(8f).zLoss(0.01f).sampleWeights(sampleWeights())
                .rowGradScales(rowScales).build(), "ignored"));
        List<Case> out = new ArrayList<>();
        for (Map.Entry<String, Function<XentOptions.Builder, Case>> e : all.entrySet()) {
            if (selected.isEmpty() || selected.contains(e.getKey())) {
                out.add(e.getValue().apply(XentOptions.builder()));
            }
        }
        return out;
    }

    /** Sample weights in [0, 2]: the per-row values shifted, with row 0 weighted 0. */
    private float[] sampleWeights() {
        float[] s = rowValues.clone();
        for (int i = 0; i < n; i++) {
            s[i] = s[i] - 0.5f;
        }
        s[0] = 0f;
        return s;
    }

    int[] hardTargets(Case c) {
        return c.targets().equals("ignored") ? hardIgnored : c.targets().equals("hard") ? hard : null;
    }
}
