package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Log-softmax's backward, dx = g − e^y·Σg, on the float kernels (Vector API row and lane kernels,
 * float32) for any y the caller passes, not only log-probabilities: their exponential scales by
 * 2^n in the exponent bits, which for y from {@link FloatExp#OVERFLOW_ARG} on would leave the
 * exponent's range and give garbage (e^100 came out as −2.3e-34); it must give +∞ there, as
 * float's exp does, so dx is −∞·sign(Σg). Just below, e^y is the largest finite floats (whose
 * product with Σg may still round to −∞, as in float64 rounded to float); NaN, whatever its
 * payload (the exponent-bit scale once turned 0x7FC001FF into a negative number),
 * stays NaN and −∞ gives dx = g. Rows of 3, 10 (lanes on rows), 40 and 1000 elements.
 */
class LogSoftmaxBackwardRangeTest {
    private static final float[] SPECIAL = {100f, FloatExp.OVERFLOW_ARG, Math.nextDown(FloatExp.OVERFLOW_ARG), 88f,
        Float.POSITIVE_INFINITY, Float.NaN, Float.NEGATIVE_INFINITY, 0f, -3f, Float.intBitsToFloat(0x7FC001FF),
        Float.intBitsToFloat(0xFF800101)};

    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {3, 10, 40, 1000})
    void overflowingExponentialsGiveInfinity(int k) {
        int n = 2 * LaneTile.L + 1;
        Random rnd = new Random(k);
        float[] y = new float[n * k];
        float[] g = new float[n * k];
        for (int i = 0; i < y.length; i++) {
            y[i] = -Math.abs((float) rnd.nextGaussian());
            g[i] = 0.25f + rnd.nextFloat();                 // Σg > 0 in every row
        }
        for (int i = 0; i < n; i++) {
            y[i * k + (i % k)] = SPECIAL[i % SPECIAL.length];
        }
        for (CpuKernels kernels : new CpuKernels[] {new VectorKernels(), new Float32Kernels()}) {
            float[] dx = new float[n * k];
            kernels.backwardRows(0, n, y, 0, k, g, 0, k, dx, 0, k, k, true);
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j < k; j++) {
                    s += g[i * k + j];
                }
                for (int j = 0; j < k; j++) {
                    int at = i * k + j;
                    float v = y[at];
                    String what = kernels.name() + ", K = " + k + ", y = " + v;
                    if (Float.isNaN(v)) {
                        assertThat(dx[at]).as(what).isNaN();
                    } else if (v >= FloatExp.OVERFLOW_ARG) {
                        assertThat(dx[at]).as(what).isEqualTo(Float.NEGATIVE_INFINITY);
                    } else {
                        double expect = g[at] - Math.exp(v) * s;
                        if (Float.isFinite((float) expect)) {
                            assertThat((double) dx[at]).as(what).isCloseTo(expect, within(2e-6 * Math.max(1, Math.abs(expect))));
                        } else {   // e^y finite, its product with Σg beyond float's range
                            assertThat(dx[at]).as(what).isEqualTo((float) expect);
                        }
                    }
                }
            }
        }
    }
}
