package org.softmaxcl;

import java.util.Objects;

/** The explicit softmax Jacobian of one row, in float64 (see {@link Engine#jacobian}). */
final class Jacobian {
    static final int MAX_K = 4096;

    private Jacobian() {
    }

    static float[] of(float[] row, float temperature) {
        Objects.requireNonNull(row, "row");
        int k = row.length;
        if (k < 1 || k > MAX_K) {
            throw new IllegalArgumentException("row: K must be in [1, " + MAX_K + "], got " + k);
        }
        if (!(temperature > 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
        }
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            if (!Float.isFinite(row[j])) {
                throw new IllegalArgumentException("row[" + j + "] = " + row[j] + " must be finite");
            }
            m = Math.max(m, row[j] / (double) temperature);
        }
        double[] s = new double[k];
        double d = 0;
        for (int j = 0; j < k; j++) {
            s[j] = Math.exp(row[j] / (double) temperature - m);
            d += s[j];
        }
        for (int j = 0; j < k; j++) {
            s[j] /= d;
        }
        float[] jac = new float[k * k];
        for (int i = 0; i < k; i++) {
            for (int c = 0; c < k; c++) {
                jac[i * k + c] = (float) (s[i] * ((i == c ? 1 : 0) - s[c]) / temperature);
            }
        }
        return jac;
    }
}
