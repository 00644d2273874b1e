package org.softmaxcl.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.reference.Reference64;

/**
 * A softmax / log-softmax problem held against {@link Reference64#softmax}. Tolerances: p has a
 * relative error of a few u (2⁻²⁴) when z = x/T is exact, so we allow 1e-5·p, plus 1e-6·|z|max·p
 * when z is rounded (T not a power of two), plus the smallest normal float (2⁻¹²⁶ ≈ 1.2e-38): a p
 * below it may be flushed to 0 (the Vector API's exp does, as GPUs do); log p = (z − m) −
 * log d has an absolute error of a few u·(|z − m| + log d), so 1e-5·|log p| + 1e-6·(1 + |z|max if
 * rounded).
 */
public final class SoftmaxCase {
    public final String name;
    public final int n;
    public final int k;
    public final float[] x;
    /** One temperature per row, or null for the scalar {@link #temperature}. */
    public final float[] rowTemperatures;
    public final float temperature;

    public SoftmaxCase(String name, int n, int k, float[] x, float temperature, float[] rowTemperatures) {
        this.name = name;
        this.n = n;
        this.k = k;
        this.x = x;
        this.temperature = temperature;
        this.rowTemperatures = rowTemperatures;
    }

    public SoftmaxOptions options() {
        return rowTemperatures != null ? SoftmaxOptions.DEFAULTS.withRowTemperatures(rowTemperatures)
                : SoftmaxOptions.temperature(temperature);
    }

    public double temperature(int row) {
        return rowTemperatures != null ? rowTemperatures[row] : temperature;
    }

    @Override
    public String toString() {
        return name + " " + n + "x" + k + (rowTemperatures != null ? " rowT" : " T=" + temperature);
    }

    /** Runs softmax (or log-softmax) on {@code layout} views and returns the dense result. */
    public float[] run(Engine e, Views layout, boolean log) {
        FloatMatrix in = layout.of(x, n, k);
        FloatMatrix out = layout.filled(n, k, Float.NaN);
        if (log) {
            e.logSoftmax(in, out, options());
        } else {
            e.softmax(in, out, options());
        }
        assertThat(in.toArray()).as("%s: input unchanged", this).isEqualTo(x);
        assertThat(Views.paddingIntact(in) && Views.paddingIntact(out)).as("%s: padding untouched", this).isTrue();
        return out.toArray();
    }

    public double[] reference(boolean log) {
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = temperature(i);
        }
        return Reference64.softmax(Data.d(x), n, k, t, log);
    }

    /** Checks a result of {@link #run}. */
    public void check(String label, float[] got, boolean log) {
        double[] ref = reference(log);
        double[] zr = new double[n];
        for (int i = 0; i < n; i++) {
            double t = temperature(i);
            if (t != Math.scalb(1.0, Math.getExponent(t))) {
                double zm = 0;
                for (int j = 0; j < k; j++) {
                    double z = x[i * k + j] / t;
                    if (Double.isFinite(z)) {
                        zm = Math.max(zm, Math.abs(z));
                    }
                }
                zr[i] = zm + Math.log(k) + 1;
            }
        }
        String what = label + " " + this + (log ? " log-softmax" : " softmax");
        if (log) {
            Compare.check(what, ref, Data.d(got), i -> 1e-6 * (1 + zr[i / k]), 1e-5);
        } else {
            Compare.check(what, ref, Data.d(got), i -> 1e-6 * zr[i / k] * Math.abs(ref[i]) + Float.MIN_NORMAL, 1e-5);
        }
    }
}
