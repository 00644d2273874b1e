package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@link FloatExp}'s two-step form, which {@link Float32Kernels}' pass 2 runs: {@link FloatExp#reducedRun}
 * over a run of logits (warm, so that C2 compiles it into vector instructions), then
 * {@link FloatExp#scaled} per element, gives the bits of {@link FloatExp#exp} for every argument
 * from {@value FloatExp#MIN_ARG} to 0, and zs = x·invT − m rounded as the row kernels round it.
 * ({@code VectorExpTest} holds {@link FloatExp#exp} itself to 1 ulp and to the vector lanes.)
 */
class FloatExpTest {
    @Test
    void reducedRunThenScaledGivesExpsBits() {
        final int n = 4096;
        float[] x = new float[n];
        float[] zs = new float[n];
        float[] p = new float[n];
        int lo = Float.floatToRawIntBits(-0f);
        int hi = Float.floatToRawIntBits(FloatExp.MIN_ARG);
        long step = (hi - (long) lo) / 40_000_000L + 1;   // about 40 million arguments over [MIN_ARG, 0]
        float invT = 0.75f;
        float m = 1.5f;
        long checked = 0;
        for (long bits = lo; bits <= hi; ) {
            for (int i = 0; i < n; i++, bits += step) {
                // x such that x·invT − m lands near the target argument (rounding may move it a little)
                float target = Float.intBitsToFloat((int) Math.min(bits, hi));
                x[i] = (target + m) / invT;
            }
            System.arraycopy(x, 0, zs, 0, n);
            FloatExp.reducedRun(zs, n, invT, m, p);
            for (int i = 0; i < n; i++) {
                float z = x[i] * invT - m;
                if (Float.floatToRawIntBits(zs[i]) != Float.floatToRawIntBits(z)) {
                    assertThat(zs[i]).as("zs of x = %s", x[i]).isEqualTo(z);
                }
                if (z < FloatExp.MIN_ARG || z > 0f) {
                    continue;
                }
                float e = FloatExp.scaled(p[i], z);
                if (Float.floatToRawIntBits(e) != Float.floatToRawIntBits(FloatExp.exp(z))) {
                    assertThat(e).as("two-step exp at zs = %s", z).isEqualTo(FloatExp.exp(z));
                }
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(30_000_000L);
    }
}
