package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;

/**
 * pytorch#11752: with logits near 1e8, lse rounds to the max logit and "lse − z_t" gives 0 for
 * every target. The stable form (m − z_t) + log d gives, exactly in float32: 0 for the correct
 * class (the others are e^−1000 below it) and the margin for a wrong one. Rows
 * [1e8, 1e8 − 1000, 1e8 − 2000, …] (all exact floats: their spacing near 1e8 is 8).
 */
abstract class StableLossForm extends BackendTest {

    Stream<Arguments> widths() {
        return cross(List.of(2, 5, 300));
    }

    private static float[] row(int k) {
        float[] x = new float[k];
        for (int j = 0; j < k; j++) {
            x[j] = 1e8f - 1000f * j;
        }
        return x;
    }

    @ParameterizedTest(name = "{0} K={1}")
    @MethodSource("widths")
    void lossIsExactlyZeroOrTheMargin(Backends backend, int k) {
        float[] x = row(k);
        // Row r has target r: row 0 is a correct prediction, row 1 misses by 1000.
        int n = 2;
        float[] xs = new float[n * k];
        System.arraycopy(x, 0, xs, 0, k);
        System.arraycopy(x, 0, xs, k, k);
        for (float t : new float[] {1f, 2f}) {
            float[] grad = new float[n * k];
            XentResult r = backend.engine().crossEntropyWithGradient(FloatMatrix.of(xs, n, k), Targets.hard(new int[] {0, 1}),
                    XentOptions.builder().reduction(Reduction.NONE).temperature(t).build(), FloatMatrix.of(grad, n, k));
            assertThat(r.rowLosses()[0]).as("T=%s correct class", t).isEqualTo(0f);
            assertThat(r.rowLosses()[1]).as("T=%s wrong class: the margin", t).isEqualTo(1000f / t);
            assertThat(r.loss()).isEqualTo(1000.0 / t);
            // Gradient p − y, also exact: row 0 all zero; row 1 is +1/T at the max, −1/T at the target.
            float[] expected = new float[n * k];
            expected[k] = 1f / t;
            expected[k + 1] = -1f / t;
            // Exact: compared with zero tolerance (and −0 = +0).
            Compare.check(backend + " T=" + t + " gradient", Data.d(expected), Data.d(grad), 0, 0);
        }
    }

    @ParameterizedTest(name = "{0} K={1}")
    @MethodSource("widths")
    void softmaxAndLogSoftmaxAreExact(Backends backend, int k) {
        float[] x = row(k);
        float[] p = new float[k];
        float[] lp = new float[k];
        backend.engine().softmax(FloatMatrix.of(x, 1, k), FloatMatrix.of(p, 1, k));
        backend.engine().logSoftmax(FloatMatrix.of(x, 1, k), FloatMatrix.of(lp, 1, k));
        float[] p0 = new float[k];
        float[] lp0 = new float[k];
        p0[0] = 1f;
        for (int j = 0; j < k; j++) {
            lp0[j] = -1000f * j;
        }
        Compare.check(backend + " softmax", Data.d(p0), Data.d(p), 0, 0);
        Compare.check(backend + " log-softmax", Data.d(lp0), Data.d(lp), 0, 0);
    }
}
