package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.FloatVector;

import org.junit.jupiter.api.Test;

/**
 * {@link VectorExp#tanh} (the soft-cap's tanh on the Vector API kernels): within 2 ulp of tanh
 * computed in float64 and rounded, over every float in [−12, 12] taken with a stride of bit
 * patterns (both sides of the switch from the series to the exponential form, and of the clamp
 * to ±1), plus the special values: NaN, ±∞, ±0, subnormals, odd symmetry.
 */
class VectorTanhTest {
    private static final int L = VectorExp.S.length();

    private static float[] tanh(float[] in) {
        float[] out = new float[in.length];
        for (int j = 0; j < in.length; j += L) {
            VectorExp.tanh(FloatVector.fromArray(VectorExp.S, in, j)).intoArray(out, j);
        }
        return out;
    }

    @Test
    void within2UlpOverTheRange() {
        int lo = Float.floatToRawIntBits(Float.MIN_VALUE);
        int hi = Float.floatToRawIntBits(12f);
        float[] in = new float[L * 4096];
        double worst = 0;
        float worstAt = 0;
        long checked = 0;
        for (long bits = lo; bits <= hi; ) {
            for (int c = 0; c < in.length; c++, bits += 97) {
                float u = Float.intBitsToFloat((int) Math.min(bits, hi));
                in[c] = (c & 1) == 0 ? u : -u;
            }
            float[] out = tanh(in);
            for (int c = 0; c < in.length; c++) {
                double ref = Math.tanh(in[c]);
                double err = Math.abs(out[c] - ref) / Math.ulp((float) ref);
                if (err > worst) {
                    worst = err;
                    worstAt = in[c];
                }
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(10_000_000L);
        assertThat(worst).as("largest error in ulp, at u = %s", worstAt).isLessThanOrEqualTo(2.0);
    }

    /** {@link FloatExp#tanh} (the float32 kernels' soft-cap) gives a lane's bits, special values included. */
    @Test
    void scalarTwinGivesTheSameBits() {
        int hi = Float.floatToRawIntBits(12f);
        float[] in = new float[L * 4096];
        long checked = 0;
        for (long bits = 0; bits <= hi; ) {
            for (int c = 0; c < in.length; c++, bits += 389) {
                float u = Float.intBitsToFloat((int) Math.min(bits, hi));
                in[c] = (c & 1) == 0 ? u : -u;
            }
            in[0] = Float.NaN;
            in[1] = Float.POSITIVE_INFINITY;
            in[2] = Float.NEGATIVE_INFINITY;
            in[3] = 0.5f;
            in[4] = -Math.nextDown(0.5f);
            in[5] = 10f;
            in[6] = -30f;
            float[] out = tanh(in);
            for (int c = 0; c < in.length; c++, checked++) {
                int got = Float.floatToRawIntBits(FloatExp.tanh(in[c]));
                if (got != Float.floatToRawIntBits(out[c])) {
                    assertThat(Float.intBitsToFloat(got)).as("tanh(%s): scalar against lane", in[c]).isEqualTo(out[c]);
                    assertThat(got).as("tanh(%s): bits", in[c]).isEqualTo(Float.floatToRawIntBits(out[c]));
                }
            }
        }
        assertThat(checked).isGreaterThan(2_000_000L);
    }

    @Test
    void specialValuesAndSymmetry() {
        float[] in = new float[L * 2];
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE,
            -Float.MIN_VALUE, 0.5f, Math.nextDown(0.5f), 10f, 1e-20f, 30f};
        System.arraycopy(special, 0, in, 0, special.length);
        for (int j = 0; j < L; j++) {
            in[L + j] = -in[j];
        }
        float[] out = tanh(in);
        assertThat(out[0]).isNaN();
        assertThat(out[1]).isEqualTo(1f);
        assertThat(out[2]).isEqualTo(-1f);
        assertThat(Float.floatToRawIntBits(out[3])).isEqualTo(Float.floatToRawIntBits(0f));
        assertThat(Float.floatToRawIntBits(out[4])).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(out[5]).isEqualTo(Float.MIN_VALUE);
        assertThat(out[9]).isEqualTo(1f);
        assertThat(out[10]).isEqualTo(1e-20f);
        assertThat(out[11]).isEqualTo(1f);
        for (int j = 1; j < L; j++) {
            assertThat(out[L + j]).as("tanh(−u) = −tanh(u) at u = %s", in[j]).isEqualTo(-out[j]);
        }
    }
}
