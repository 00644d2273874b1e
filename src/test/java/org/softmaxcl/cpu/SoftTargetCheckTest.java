package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The soft-target check's first look ({@link CpuKernels#allValidTargets}: one sweep of integer
 * min and max over the raw bits) against its definition, a value at a time: not NaN, not below 0
 * (−0 counts as 0) and not +∞. Every special value is put at every position of a short range
 * (the vector body and the scalar tail) on the scalar and the vector kernels.
 */
class SoftTargetCheckTest {
    private static final float[] VALID = {0f, -0f, Float.MIN_VALUE, Float.MIN_NORMAL, 0.25f, 1f, Float.MAX_VALUE};
    private static final float[] INVALID = {Float.NaN, Float.intBitsToFloat(0xFFC00001), Float.intBitsToFloat(0x7F800001),
        Float.intBitsToFloat(0xFFFFFFFF), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -Float.MIN_VALUE, -1f,
        -Float.MAX_VALUE};

    private static boolean definition(float v) {
        return v >= 0f && v != Float.POSITIVE_INFINITY;
    }

    @ParameterizedTest(name = "vector {0}")
    @ValueSource(booleans = {false, true})
    void agreesWithItsDefinitionValueByValueAndPlace(boolean vector) {
        CpuKernels kernels = vector ? new VectorKernels() : new ScalarKernels();
        int len = 3 * VectorKernels.L + 5;
        Random rnd = new Random(7);
        float[] base = new float[len + 4];
        for (int j = 0; j < base.length; j++) {
            base[j] = rnd.nextFloat();
        }
        assertThat(kernels.allValidTargets(base, 2, len)).as("uniform values").isTrue();
        for (float[] values : new float[][] {VALID, INVALID}) {
            for (float v : values) {
                for (int at = 0; at < len; at++) {
                    float[] a = base.clone();
                    a[2 + at] = v;
                    assertThat(kernels.allValidTargets(a, 2, len)).as("%s (bits %08x) at %d", v, Float.floatToRawIntBits(v), at)
                            .isEqualTo(definition(v));
                }
            }
        }
        // Outside the range nothing counts.
        float[] a = base.clone();
        a[1] = Float.NaN;
        a[2 + len] = -1f;
        assertThat(kernels.allValidTargets(a, 2, len)).as("bad values just outside the range").isTrue();
        assertThat(kernels.allValidTargets(a, 2, 0)).as("an empty range").isTrue();
    }
}
