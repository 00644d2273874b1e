package org.softmaxcl;

import java.util.Objects;

/**
 * Immutable options of a softmax or log-softmax call: {@code p = softmax(x / T)} row-wise, with
 * one temperature T for all rows or one per row. {@link #DEFAULTS} is T = 1 with
 * {@link NonFinitePolicy#REFUSE}.
 *
 * <p>Factories throw {@link IllegalArgumentException} naming the option and value for T ≤ 0, NaN
 * or infinite.
 */
public final class SoftmaxOptions {
    /** T = 1, non-finite logits refused. */
    public static final SoftmaxOptions DEFAULTS = new SoftmaxOptions(1f, null, NonFinitePolicy.REFUSE);

    private final float temperature;
    private final float[] rowTemperatures;
    private final NonFinitePolicy nonFinite;

    private SoftmaxOptions(float temperature, float[] rowTemperatures, NonFinitePolicy nonFinite) {
        this.temperature = temperature;
        this.rowTemperatures = rowTemperatures;
        this.nonFinite = nonFinite;
    }

    /** One temperature T > 0 for every row. */
    public static SoftmaxOptions temperature(float t) {
        return DEFAULTS.withTemperature(t);
    }

    /** A copy with temperature T > 0 for every row. */
    public SoftmaxOptions withTemperature(float t) {
        if (!(t > 0f) || Float.isInfinite(t)) {
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + t);
        }
        return new SoftmaxOptions(t, null, nonFinite);
    }

    /** A copy with one temperature per row (N values, each finite and > 0; copied). */
    public SoftmaxOptions withRowTemperatures(float[] t) {
        Objects.requireNonNull(t, "rowTemperatures");
        float[] c = t.clone();
        for (int i = 0; i < c.length; i++) {
            if (!(c[i] > 0f) || Float.isInfinite(c[i])) {
                throw new IllegalArgumentException("rowTemperatures[" + i + "] must be finite and > 0, got " + c[i]);
            }
        }
        return new SoftmaxOptions(1f, c, nonFinite);
    }

    /** A copy with the given non-finite policy. */
    public SoftmaxOptions withNonFinite(NonFinitePolicy p) {
        return new SoftmaxOptions(temperature, rowTemperatures, Objects.requireNonNull(p, "nonFinite"));
    }

    /** The scalar temperature. */
    public float temperature() { return temperature; }

    /** True when one temperature per row is set. */
    public boolean hasRowTemperatures() { return rowTemperatures != null; }

    /** Temperature of row i. */
    public float temperature(int row) { return rowTemperatures == null ? temperature : rowTemperatures[row]; }

    /** A copy of the per-row temperatures, or null. */
    public float[] rowTemperatures() { return rowTemperatures == null ? null : rowTemperatures.clone(); }

    public NonFinitePolicy nonFinite() { return nonFinite; }

    @Override
    public String toString() {
        return "SoftmaxOptions{" + (rowTemperatures != null ? "rowTemperatures[" + rowTemperatures.length + "]"
                : "temperature=" + temperature) + (nonFinite != NonFinitePolicy.REFUSE ? ", nonFinite=" + nonFinite : "") + "}";
    }
}
