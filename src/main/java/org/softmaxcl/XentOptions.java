package org.softmaxcl;

import java.util.Arrays;
import java.util.Objects;

/**
 * Immutable options of a cross-entropy call; build with {@link #builder()}. {@link #DEFAULTS} is
 * PyTorch's {@code F.cross_entropy} with no optional argument (mean reduction, ignore index −100).
 *
 * <p>With logits x (N×K), the scaled logits are {@code z = x/T}, or {@code c·tanh(x/(T·c))} with a
 * soft-cap c; {@code p = softmax(z)} row-wise and {@code lse = log Σ exp z}. The target distribution
 * is {@code q = (1−ε)·onehot(t) + ε/K} (hard) or {@code (1−ε)·y + ε/K} (soft), and
 * <pre>
 *   loss_i = s_i · ( −Σ_j a_ij · log p_ij  +  ζ · lse_i² )
 *   a_ij   = (1−ε)·w[t_i]·δ(j, t_i) + (ε/K)·w_j     (hard; PyTorch's weighted smoothing)
 *   a_ij   = w_j · q_ij                             (soft)
 * </pre>
 * with class weights w (default 1), sample weights s (default 1) and z-loss coefficient ζ. The
 * gradient written is {@code g_i · ∂L/∂x_i} with the upstream scale g (default 1), L the reduced
 * loss. Every per-row array has N entries and every per-class array K; their lengths are checked
 * at the call. Arrays are copied when set, so an options object never changes.
 *
 * <p>Every setter throws {@link IllegalArgumentException} naming the option and value when the
 * value is out of range, and {@link NullPointerException} for a null argument.
 */
public final class XentOptions {
    /** PyTorch's defaults: mean, no smoothing, no weights, ignore index −100, T = 1. */
    public static final XentOptions DEFAULTS = builder().build();

    /** PyTorch's default ignore index. */
    public static final int DEFAULT_IGNORE_INDEX = -100;

    private final Reduction reduction;
    private final float labelSmoothing;
    private final float[] classWeights;
    private final int ignoreIndex;
    private final float temperature;
    private final float[] rowTemperatures;
    private final float softcap;
    private final float zLoss;
    private final float[] sampleWeights;
    private final float gradScale;
    private final float[] rowGradScales;
    private final EmptyMeanPolicy emptyMean;
    private final NonFinitePolicy nonFinite;
    private final boolean rowStats;
    /** Σ_j w_j in float64, class order; NaN without class weights (then K of the call). */
    private final double classWeightSum;

    private XentOptions(Builder b) {
        reduction = b.reduction;
        labelSmoothing = b.labelSmoothing;
        classWeights = b.classWeights;
        ignoreIndex = b.ignoreIndex;
        temperature = b.temperature;
        rowTemperatures = b.rowTemperatures;
        softcap = b.softcap;
        zLoss = b.zLoss;
        sampleWeights = b.sampleWeights;
        gradScale = b.gradScale;
        rowGradScales = b.rowGradScales;
        emptyMean = b.emptyMean;
        double w = Double.NaN;
        if (classWeights != null) {
            w = 0;
            for (float c : classWeights) {
                w += c;
            }
        }
        classWeightSum = w;
        nonFinite = b.nonFinite;
        rowStats = b.rowStats;
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options, to derive a variant. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.reduction = reduction;
        b.labelSmoothing = labelSmoothing;
        b.classWeights = classWeights;
        b.ignoreIndex = ignoreIndex;
        b.temperature = temperature;
        b.rowTemperatures = rowTemperatures;
        b.softcap = softcap;
        b.zLoss = zLoss;
        b.sampleWeights = sampleWeights;
        b.gradScale = gradScale;
        b.rowGradScales = rowGradScales;
        b.emptyMean = emptyMean;
        b.nonFinite = nonFinite;
        b.rowStats = rowStats;
        return b;
    }

    public Reduction reduction() { return reduction; }

    /** Label smoothing ε in [0, 1]. */
    public float labelSmoothing() { return labelSmoothing; }

    /** True when class weights are set. */
    public boolean hasClassWeights() { return classWeights != null; }

    /**
     * W = Σ_j w_j over {@code k} classes, summed in float64 in class order once when the options
     * are built (a call with K = 262144 classes spent longer summing 262144 ones than on its pass);
     * without class weights, k.
     */
    public double classWeightSum(int k) {
        return classWeights == null ? k : classWeightSum;
    }

    /** Class weight of class j (1 when no weights are set). */
    public float classWeight(int j) { return classWeights == null ? 1f : classWeights[j]; }

    /** A copy of the class weights (K values), or null. */
    public float[] classWeights() { return classWeights == null ? null : classWeights.clone(); }

    /** Ignore index for hard targets (default −100). */
    public int ignoreIndex() { return ignoreIndex; }

    /** The scalar temperature T (used when no per-row temperatures are set). */
    public float temperature() { return temperature; }

    /** True when one temperature per row is set. */
    public boolean hasRowTemperatures() { return rowTemperatures != null; }

    /** The temperature of row i. */
    public float temperature(int row) { return rowTemperatures == null ? temperature : rowTemperatures[row]; }

    /** A copy of the per-row temperatures, or null. */
    public float[] rowTemperatures() { return rowTemperatures == null ? null : rowTemperatures.clone(); }

    /** Soft-cap c (> 0), or 0 when no soft-cap is applied. */
    public float softcap() { return softcap; }

    /** z-loss coefficient ζ ≥ 0. */
    public float zLoss() { return zLoss; }

    /** True when per-row sample weights are set. */
    public boolean hasSampleWeights() { return sampleWeights != null; }

    /** Sample weight of row i (1 when none are set). */
    public float sampleWeight(int row) { return sampleWeights == null ? 1f : sampleWeights[row]; }

    /** A copy of the sample weights, or null. */
    public float[] sampleWeights() { return sampleWeights == null ? null : sampleWeights.clone(); }

    /** The scalar upstream gradient scale (used when no per-row scales are set). */
    public float gradScale() { return gradScale; }

    /** True when one upstream gradient scale per row is set. */
    public boolean hasRowGradScales() { return rowGradScales != null; }

    /** The upstream gradient scale of row i. */
    public float gradScale(int row) { return rowGradScales == null ? gradScale : rowGradScales[row]; }

    /** A copy of the per-row upstream gradient scales, or null. */
    public float[] rowGradScales() { return rowGradScales == null ? null : rowGradScales.clone(); }

    public EmptyMeanPolicy emptyMean() { return emptyMean; }

    public NonFinitePolicy nonFinite() { return nonFinite; }

    /** True when per-row statistics are requested ({@link XentResult#stats()}). */
    public boolean rowStats() { return rowStats; }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("XentOptions{reduction=").append(reduction);
        if (labelSmoothing != 0) s.append(", labelSmoothing=").append(labelSmoothing);
        if (classWeights != null) s.append(", classWeights[").append(classWeights.length).append(']');
        if (ignoreIndex != DEFAULT_IGNORE_INDEX) s.append(", ignoreIndex=").append(ignoreIndex);
        if (rowTemperatures != null) s.append(", rowTemperatures[").append(rowTemperatures.length).append(']');
        else if (temperature != 1) s.append(", temperature=").append(temperature);
        if (softcap != 0) s.append(", softcap=").append(softcap);
        if (zLoss != 0) s.append(", zLoss=").append(zLoss);
        if (sampleWeights != null) s.append(", sampleWeights[").append(sampleWeights.length).append(']');
        if (rowGradScales != null) s.append(", rowGradScales[").append(rowGradScales.length).append(']');
        else if (gradScale != 1) s.append(", gradScale=").append(gradScale);
        if (emptyMean != EmptyMeanPolicy.ZERO) s.append(", emptyMean=").append(emptyMean);
        if (nonFinite != NonFinitePolicy.REFUSE) s.append(", nonFinite=").append(nonFinite);
        if (rowStats) s.append(", rowStats");
        return s.append('}').toString();
    }

    /** Mutable builder of {@link XentOptions}; every setter checks its value at once. */
    public static final class Builder {
        private Reduction reduction = Reduction.MEAN;
        private float labelSmoothing;
        private float[] classWeights;
        private int ignoreIndex = DEFAULT_IGNORE_INDEX;
        private float temperature = 1f;
        private float[] rowTemperatures;
        private float softcap;
        private float zLoss;
        private float[] sampleWeights;
        private float gradScale = 1f;
        private float[] rowGradScales;
        private EmptyMeanPolicy emptyMean = EmptyMeanPolicy.ZERO;
        private NonFinitePolicy nonFinite = NonFinitePolicy.REFUSE;
        private boolean rowStats;

        private Builder() {
        }

        public Builder reduction(Reduction r) {
            reduction = Objects.requireNonNull(r, "reduction");
            return this;
        }

        /** Label smoothing ε in [0, 1]. */
        public Builder labelSmoothing(float eps) {
            if (!(eps >= 0f && eps <= 1f)) {
                throw new IllegalArgumentException("labelSmoothing must be in [0, 1], got " + eps);
            }
            labelSmoothing = eps;
            return this;
        }

        /** Class weights w (K values, each finite and ≥ 0), or null for none. Copied. */
        public Builder classWeights(float[] w) {
            classWeights = w == null ? null : checkedCopy("classWeights", w, true);
            return this;
        }

        /** The hard-target value whose rows are ignored (default −100). Any value outside [0, K) is allowed. */
        public Builder ignoreIndex(int index) {
            ignoreIndex = index;
            return this;
        }

        /** One temperature T > 0 (finite) for every row; clears per-row temperatures. */
        public Builder temperature(float t) {
            if (!(t > 0f) || Float.isInfinite(t)) {
                throw new IllegalArgumentException("temperature must be finite and > 0, got " + t);
            }
            temperature = t;
            rowTemperatures = null;
            return this;
        }

        /** One temperature per row (N values, each finite and > 0). Copied. */
        public Builder rowTemperatures(float[] t) {
            Objects.requireNonNull(t, "rowTemperatures");
            float[] c = t.clone();
            for (int i = 0; i < c.length; i++) {
                if (!(c[i] > 0f) || Float.isInfinite(c[i])) {
                    throw new IllegalArgumentException("rowTemperatures[" + i + "] must be finite and > 0, got " + c[i]);
                }
            }
            rowTemperatures = c;
            return this;
        }

        /** Logit soft-cap c > 0 (finite): z = c·tanh(x/(T·c)). */
        public Builder softcap(float c) {
            if (!(c > 0f) || Float.isInfinite(c)) {
                throw new IllegalArgumentException("softcap must be finite and > 0, got " + c);
            }
            softcap = c;
            return this;
        }

        /** Removes the soft-cap. */
        public Builder noSoftcap() {
            softcap = 0f;
            return this;
        }

        /** z-loss coefficient ζ ≥ 0 (finite): adds ζ·lse² per counted row. */
        public Builder zLoss(float zeta) {
            if (!(zeta >= 0f) || Float.isInfinite(zeta)) {
                throw new IllegalArgumentException("zLoss must be finite and >= 0, got " + zeta);
            }
            zLoss = zeta;
            return this;
        }

        /** Per-row sample weights (N values, each finite and ≥ 0), or null for none. Copied. */
        public Builder sampleWeights(float[] s) {
            sampleWeights = s == null ? null : checkedCopy("sampleWeights", s, true);
            return this;
        }

        /** Upstream gradient scale (finite), applied to every row; clears per-row scales. */
        public Builder gradScale(float g) {
            if (!Float.isFinite(g)) {
                throw new IllegalArgumentException("gradScale must be finite, got " + g);
            }
            gradScale = g;
            rowGradScales = null;
            return this;
        }

        /** One upstream gradient scale per row (N finite values). Copied. */
        public Builder rowGradScales(float[] g) {
            Objects.requireNonNull(g, "rowGradScales");
            rowGradScales = checkedCopy("rowGradScales", g, false);
            return this;
        }

        public Builder emptyMean(EmptyMeanPolicy p) {
            emptyMean = Objects.requireNonNull(p, "emptyMean");
            return this;
        }

        public Builder nonFinite(NonFinitePolicy p) {
            nonFinite = Objects.requireNonNull(p, "nonFinite");
            return this;
        }

        /** Requests per-row statistics from the same pass. */
        public Builder rowStats(boolean on) {
            rowStats = on;
            return this;
        }

        public XentOptions build() {
            return new XentOptions(this);
        }

        private static float[] checkedCopy(String name, float[] v, boolean nonNegative) {
            float[] c = v.clone();
            for (int i = 0; i < c.length; i++) {
                if (!Float.isFinite(c[i]) || (nonNegative && c[i] < 0f)) {
                    throw new IllegalArgumentException(name + "[" + i + "] must be finite"
                            + (nonNegative ? " and >= 0" : "") + ", got " + c[i]);
                }
            }
            return c;
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof XentOptions)) {
            return false;
        }
        XentOptions x = (XentOptions) o;
        return reduction == x.reduction && labelSmoothing == x.labelSmoothing && ignoreIndex == x.ignoreIndex
                && temperature == x.temperature && softcap == x.softcap && zLoss == x.zLoss
                && gradScale == x.gradScale && emptyMean == x.emptyMean && nonFinite == x.nonFinite
                && rowStats == x.rowStats && Arrays.equals(classWeights, x.classWeights)
                && Arrays.equals(rowTemperatures, x.rowTemperatures) && Arrays.equals(sampleWeights, x.sampleWeights)
                && Arrays.equals(rowGradScales, x.rowGradScales);
    }

    @Override
    public int hashCode() {
        return Objects.hash(reduction, labelSmoothing, ignoreIndex, temperature, softcap, zLoss, gradScale,
                emptyMean, nonFinite, rowStats, Arrays.hashCode(classWeights), Arrays.hashCode(rowTemperatures),
                Arrays.hashCode(sampleWeights), Arrays.hashCode(rowGradScales));
    }
}
