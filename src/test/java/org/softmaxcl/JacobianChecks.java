package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.reference.Reference64;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.Views;

/**
 * The explicit softmax Jacobian J[i·K + k] = ∂s_i/∂x_k = s_i(δ_ik − s_k)/T (float64 on the CPU,
 * rounded to float32) against the fused and backward passes of each backend:
 * <ul>
 *   <li>the chain rule J^T(−y/s) for a one-hot y equals the fused cross-entropy gradient (p − y)/T;</li>
 *   <li>each row and each column of J sums to 0 (Σ_k ∂s_i/∂x_k = 0 by shift invariance, Σ_i s_i = 1);</li>
 *   <li>softmaxBackward(s, g) = J^T g and logSoftmaxBackward(log s, g) = J_log^T g, J_log[i, k] = J[i, k]/s_i,
 *       and both equal {@link Reference64#softmaxBackward}.</li>
 * </ul>
 * Tolerances: J's entries are float32 roundings (relative 2⁻²⁴) of float64 values, so a sum Σ_k of
 * them is exact to 2⁻²³·Σ_k |J_ik|; products with g are checked to 1e-5 of the size of their terms.
 */
abstract class JacobianChecks extends BackendTest {

    static List<Integer> ks() {
        return List.of(1, 2, 5, 17, 200);
    }

    Stream<Arguments> rows() {
        return cross(ks());
    }

    /** Gaussian logits without outliers: every s_i·s_k stays a normal float, so J keeps its digits. */
    private static float[] row(int k, long seed) {
        java.util.Random r = new Data(seed + k).random();
        float[] x = new float[k];
        for (int j = 0; j < k; j++) {
            x[j] = (float) (1.5 * r.nextGaussian());
        }
        return x;
    }

    @ParameterizedTest(name = "{0} K={1}")
    @MethodSource("rows")
    void chainRuleThroughTheJacobianEqualsTheFusedGradient(Backends backend, int k) {
        Engine e = backend.engine();
        for (float t : new float[] {1f, 0.7f}) {
            float[] x = row(k, 1);
            int target = k / 2;
            float[] jac = e.jacobian(x, t);
            double[] s = Reference64.softmax(Data.d(x), 1, k, new double[] {t}, false);
            // dL/ds for L = −log s_t: −y/s, non-zero only at the target.
            double[] chain = new double[k];
            for (int c = 0; c < k; c++) {
                chain[c] = jac[target * k + c] * (-1.0 / s[target]);
            }
            float[] fused = new float[k];
            e.crossEntropyWithGradient(FloatMatrix.of(x, 1, k), Targets.hard(new int[] {target}),
                    XentOptions.builder().temperature(t).reduction(Reduction.SUM).build(), FloatMatrix.of(fused, 1, k));
            Compare.check(backend + " T=" + t + " J^T(-y/s) vs fused", chain, Data.d(fused),
                    c -> 1e-5 * (s[c] + (c == target ? 1 : 0)) / t + 1e-30, 1e-5);
        }
    }

    @ParameterizedTest(name = "{0} K={1}")
    @MethodSource("rows")
    void everyRowAndColumnOfTheJacobianSumsToZero(Backends backend, int k) {
        float[] jac = backend.engine().jacobian(row(k, 2), 1.3f);
        assertThat(jac).hasSize(k * k);
        for (int i = 0; i < k; i++) {
            double rowSum = 0;
            double rowAbs = 0;
            double colSum = 0;
            double colAbs = 0;
            for (int c = 0; c < k; c++) {
                rowSum += jac[i * k + c];
                rowAbs += Math.abs(jac[i * k + c]);
                colSum += jac[c * k + i];
                colAbs += Math.abs(jac[c * k + i]);
            }
            assertThat(Math.abs(rowSum)).as("row %d sum", i).isLessThanOrEqualTo(Math.scalb(rowAbs, -23));
            assertThat(Math.abs(colSum)).as("column %d sum", i).isLessThanOrEqualTo(Math.scalb(colAbs, -23));
        }
    }

    @ParameterizedTest(name = "{0} K={1}")
    @MethodSource("rows")
    void backwardPassesAreJacobianTransposeProducts(Backends backend, int k) {
        Engine e = backend.engine();
        int n = 4;
        Data d = new Data(3 + k);
        float[] x = d.logits(n, k, 1.5);
        float[] g = d.logits(n, k, 1);
        float[] s = new float[n * k];
        float[] ls = new float[n * k];
        e.softmax(FloatMatrix.of(x, n, k), FloatMatrix.of(s, n, k));
        e.logSoftmax(FloatMatrix.of(x, n, k), FloatMatrix.of(ls, n, k));
        for (Views layout : Views.values()) {
            FloatMatrix gradIn = layout.filled(n, k, Float.NaN);
            e.softmaxBackward(layout.of(s, n, k), layout.of(g, n, k), gradIn);
            FloatMatrix logGradIn = layout.filled(n, k, Float.NaN);
            e.logSoftmaxBackward(layout.of(ls, n, k), layout.of(g, n, k), logGradIn);
            double[] jtg = new double[n * k];
            double[] jlogtg = new double[n * k];
            double[] size = new double[n * k];
            double[] logSize = new double[n * k];
            for (int r = 0; r < n; r++) {
                float[] xr = java.util.Arrays.copyOfRange(x, r * k, (r + 1) * k);
                float[] jac = e.jacobian(xr, 1f);
                double[] sr = Reference64.softmax(Data.d(xr), 1, k, null, false);
                double gs = 0;
                double gAbs = 0;
                for (int i = 0; i < k; i++) {
                    gs += Math.abs(g[r * k + i]) * s[r * k + i];
                    gAbs += Math.abs(g[r * k + i]);
                }
                for (int c = 0; c < k; c++) {
                    double a = 0;
                    double b = 0;
                    for (int i = 0; i < k; i++) {
                        a += jac[i * k + c] * (double) g[r * k + i];
                        b += jac[i * k + c] / sr[i] * g[r * k + i];
                    }
                    jtg[r * k + c] = a;
                    jlogtg[r * k + c] = b;
                    size[r * k + c] = s[r * k + c] * (Math.abs(g[r * k + c]) + gs);
                    logSize[r * k + c] = Math.abs(g[r * k + c]) + s[r * k + c] * gAbs;
                }
            }
            String what = backend + " " + layout;
            Compare.check(what + " softmaxBackward vs J^T g", jtg, Data.d(gradIn.toArray()), i -> 1e-5 * size[i], 1e-5);
            Compare.check(what + " logSoftmaxBackward vs J_log^T g", jlogtg, Data.d(logGradIn.toArray()),
                    i -> 1e-5 * logSize[i], 1e-5);
            Compare.check(what + " softmaxBackward vs Reference64", Reference64.softmaxBackward(Data.d(s), Data.d(g), n, k, false),
                    Data.d(gradIn.toArray()), i -> 1e-5 * size[i], 1e-5);
            Compare.check(what + " logSoftmaxBackward vs Reference64", Reference64.softmaxBackward(Data.d(ls), Data.d(g), n, k, true),
                    Data.d(logGradIn.toArray()), i -> 1e-5 * logSize[i], 1e-5);
            assertThat(Views.paddingIntact(gradIn) && Views.paddingIntact(logGradIn)).as(what + " padding").isTrue();
        }
    }
}
