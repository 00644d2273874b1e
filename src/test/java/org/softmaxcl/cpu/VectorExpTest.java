package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.FloatVector;

import org.junit.jupiter.api.Test;

/**
 * {@link VectorExp}: every lane gives the bits of the scalar version (row tails and vector bodies
 * agree), and both stay within 1 ulp of the correctly rounded exp over the whole range softmax
 * uses (z − max ≤ 0, down to where exp underflows to 0), subnormal results and the switch to the
 * subnormal path included, and up to the documented upper limit.
 */
class VectorExpTest {
    private static final int L = VectorExp.S.length();

    /** Checks the floats whose bit patterns run from {@code from} to {@code to} by {@code step}. */
    private static long check(float from, float to, int step) {
        int a = Float.floatToRawIntBits(from);
        int b = Float.floatToRawIntBits(to);
        int lo = Math.min(a, b);
        int hi = Math.max(a, b);
        float[] in = new float[L * 1024];
        float[] out = new float[in.length];
        long checked = 0;
        long bits = lo;
        while (bits <= hi) {
            int c = 0;
            for (; c < in.length; c++, bits += step) {
                in[c] = Float.intBitsToFloat((int) Math.min(bits, hi));
            }
            for (int j = 0; j < c; j += L) {
                VectorExp.exp(FloatVector.fromArray(VectorExp.S, in, j)).intoArray(out, j);
            }
            for (int j = 0; j < c; j++) {
                float x = in[j];
                float scalar = VectorExp.exp(x);
                if (Float.floatToRawIntBits(scalar) != Float.floatToRawIntBits(out[j])) {
                    assertThat(out[j]).as("vector lane against scalar at x = %s", x).isEqualTo(scalar);
                }
                double exact = StrictMath.exp(x);
                double ulp = Math.ulp((float) exact);   // the spacing of floats there, subnormals included
                if (Math.abs(out[j] - exact) > ulp) {
                    assertThat(Math.abs(out[j] - exact) / ulp).as("error in ulps at x = %s", x).isLessThanOrEqualTo(1.0);
                }
                checked++;
            }
        }
        return checked;
    }

    @Test
    void nonPositiveRangeEveryThirteenthFloat() {
        // From -0 down to -104 (below it exp rounds to 0): 1.1e9 floats, every 13th of them.
        assertThat(check(-0f, -104f, 13)).isGreaterThan(80_000_000L);
    }

    @Test
    void aroundTheSubnormalSwitchEveryFloat() {
        assertThat(check(-86.5f, -88.5f, 1)).isGreaterThan(100_000L);
        assertThat(check(-102f, -104.5f, 1)).isGreaterThan(100_000L);
    }

    @Test
    void positiveArgumentsUpToTheLimit() {
        assertThat(check(0f, 88.72f, 101)).isGreaterThan(5_000_000L);
    }

    @Test
    void specialValues() {
        assertThat(VectorExp.exp(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
        assertThat(VectorExp.exp(Float.NaN)).isNaN();
        assertThat(VectorExp.exp(-0f)).isEqualTo(1f);
        assertThat(VectorExp.exp(0f)).isEqualTo(1f);
        assertThat(VectorExp.exp(-1000f)).isEqualTo(0f);
        float[] in = new float[L];
        java.util.Arrays.fill(in, Float.NEGATIVE_INFINITY);
        in[0] = Float.NaN;
        in[L - 1] = 0f;
        float[] out = new float[L];
        VectorExp.exp(FloatVector.fromArray(VectorExp.S, in, 0)).intoArray(out, 0);
        assertThat(out[0]).isNaN();
        assertThat(out[1]).isEqualTo(0f);
        assertThat(out[L - 1]).isEqualTo(1f);
    }
}
