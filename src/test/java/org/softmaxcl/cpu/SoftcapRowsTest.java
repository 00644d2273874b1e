package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.softmaxcl.Engine;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.Reduction;
import org.softmaxcl.XentOptions;
import org.softmaxcl.testing.Views;
import org.softmaxcl.testing.XentCase;

/**
 * Soft-capped rows on the Vector API kernels ({@code VectorKernels#softcapRow}, and below
 * {@link VectorKernels#XENT_LANES_K} {@link SmallRowsKernel}'s tiles: z = c·tanh(x/(T·c))
 * in float lanes, the cross-entropy on z, the gradient times ∂z/∂x) against the float64
 * reference within {@link XentCase}'s allowance (which counts z's rounding to float), and against
 * the scalar kernels (z in float64) within twice it: hard and soft targets, smoothing, class
 * weights, a temperature and row temperatures, z-loss, an ignored row, saturated logits (|x|
 * far beyond c), in place, strided, loss only, PROPAGATE and REFUSE, 1 and 2 threads, K from 2
 * up, with and without a tail, row statistics (which follow the raw logits, and whose asking
 * changes no bit of the loss or gradient); the first group of rows holds ±∞ logits (small K: the group goes
 * to the scalar kernel), the second a saturated row and an ignored one; every third row has only
 * logits small against c (every vector on tanh's series, without its exponential form). Fails if no gradient entry differs from the scalar
 * kernels' bits, which would mean the rows did not take the vector path.
 */
class SoftcapRowsTest {
    /** Two whole groups of lanes and a tail (the rows of the second group are all finite). */
    private static final int N = 2 * LaneTile.L + 3;
    private static final int SECOND = LaneTile.L;

    private static XentCase[] cases(int k) {
        Random rnd = new Random(131L * k);
        float[] x = new float[N * k];
        for (int j = 0; j < x.length; j++) {
            x[j] = (float) (rnd.nextGaussian() * 8);
        }
        for (int i = 1; i < N; i += 3) {   // rows whose every |x/(T·c)| is below tanh's series bound
            for (int j = 0; j < k; j++) {
                x[i * k + j] *= 0.05f;
            }
        }
        for (int j = 0; j < k; j += 7) {
            x[2 * k + j] = (j & 1) == 0 ? 400f : -400f;      // saturated: tanh = ±1
            x[(SECOND + 2) * k + j] = (j & 1) == 0 ? -400f : 400f;
        }
        if (k > 7) {   // z ties 300 with 400: the raw argmax (7) is not z's first largest (0)
            x[2 * k] = 300f;
            x[(SECOND + 2) * k] = 300f;
        }
        x[3 * k + 1] = Float.POSITIVE_INFINITY;              // capped to +c
        x[4 * k + k - 1] = Float.NEGATIVE_INFINITY;          // capped to −c
        int[] t = new int[N];
        for (int i = 0; i < N; i++) {
            t[i] = (i * 31 + 5) % k;
        }
        t[5] = -100;
        t[SECOND + 5] = -100;
        float[] soft = new float[N * k];
        for (int j = 0; j < soft.length; j++) {
            soft[j] = rnd.nextFloat();
        }
        for (int i = 0; i < N; i++) {
            float sum = 0;
            for (int j = 0; j < k; j++) {
                sum += soft[i * k + j];
            }
            for (int j = 0; j < k; j++) {
                soft[i * k + j] /= sum;
            }
        }
        float[] w = new float[k];
        for (int j = 0; j < k; j++) {
            w[j] = 0.25f + (j % 4);
        }
        float[] rowT = new float[N];
        for (int i = 0; i < N; i++) {
            rowT[i] = 0.5f + 0.25f * (i % 5);
        }
        XentOptions cap = XentOptions.builder().softcap(15f).nonFinite(NonFinitePolicy.PROPAGATE).build();
        return new XentCase[] {
            new XentCase("cap", N, k, x, t, null, cap),
            new XentCase("cap T", N, k, x, t, null, cap.toBuilder().temperature(0.6f).zLoss(1e-3f).build()),
            new XentCase("cap smooth weights", N, k, x, t, null,
                    cap.toBuilder().labelSmoothing(0.1f).classWeights(w).reduction(Reduction.SUM).build()),
            new XentCase("cap row T", N, k, x, t, null, cap.toBuilder().rowTemperatures(rowT).reduction(Reduction.NONE).build()),
            new XentCase("cap soft", N, k, x, null, soft, cap.toBuilder().labelSmoothing(0.05f).build()),
            new XentCase("cap refuse", N, k, x, t, null, cap.toBuilder().nonFinite(NonFinitePolicy.REFUSE).build()),
            new XentCase("cap stats", N, k, x, t, null, cap.toBuilder().rowStats(true).temperature(0.8f).build()),
            new XentCase("cap soft stats", N, k, x, null, soft, cap.toBuilder().rowStats(true).build()),
        };
    }

    /**
     * A batch of soft-capped rows gives the bits of the same rows one call each: a row whose +∞
     * or NaN lies in its tail, at the end of its whole vectors or at its start goes to the scalar
     * kernel either way. (It held a version that read each row's raw max during the row before's
     * tanh, whose max of the overlapping last vector, left out, failed it at every K.)
     */
    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {200, 203, 1000, 1003})
    void aMaxReadDuringTheRowBeforeFindsInfiniteAndNanRows(int k) {
        int n = 7;
        Random rnd = new Random(7L * k);
        float[] x = new float[n * k];
        for (int j = 0; j < x.length; j++) {
            x[j] = (float) (rnd.nextGaussian() * 8);
        }
        int ub = k / LaneTile.L * LaneTile.L;
        x[k + k - 1] = Float.POSITIVE_INFINITY;      // the last element: the tail when L does not divide k
        x[2 * k + ub - 1] = Float.POSITIVE_INFINITY; // the last element of the whole vectors
        x[3 * k] = Float.POSITIVE_INFINITY;          // the first element
        x[4 * k + k - 1] = Float.NaN;
        x[5 * k + k - 2] = Float.POSITIVE_INFINITY;
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = (i * 37 + 3) % k;
        }
        XentOptions o = XentOptions.builder().softcap(15f).nonFinite(NonFinitePolicy.PROPAGATE)
                .reduction(Reduction.NONE).build();
        try (Engine e = Engine.over(new CpuBackend(new VectorKernels(), 1, "test"))) {
            float[] g = new float[n * k];
            float[] losses = e.crossEntropyWithGradient(org.softmaxcl.FloatMatrix.of(x, n, k),
                    org.softmaxcl.Targets.hard(t), o, org.softmaxcl.FloatMatrix.of(g, n, k)).rowLosses();
            for (int i = 0; i < n; i++) {
                float[] row = java.util.Arrays.copyOfRange(x, i * k, (i + 1) * k);
                float[] gi = new float[k];
                float[] li = e.crossEntropyWithGradient(org.softmaxcl.FloatMatrix.of(row, 1, k),
                        org.softmaxcl.Targets.hard(new int[] {t[i]}), o, org.softmaxcl.FloatMatrix.of(gi, 1, k)).rowLosses();
                org.softmaxcl.testing.Compare.assertSameValues("K = " + k + ", row " + i + ": gradient",
                        java.util.Arrays.copyOfRange(g, i * k, (i + 1) * k), gi);
                org.softmaxcl.testing.Compare.assertSameValues("K = " + k + ", row " + i + ": loss",
                        new float[] {losses[i]}, li);
            }
        }
    }

    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {2, 3, 10, 31, 32, 33, 63, 100, 1000, 4111})
    void matchesTheReferenceAndTheScalarKernels(int k) {
        boolean differs = false;
        for (int threads : new int[] {1, 2}) {
            try (Engine vector = Engine.over(new CpuBackend(new VectorKernels(), threads, "test"));
                 Engine scalar = Engine.over(new CpuBackend(new ScalarKernels(), threads, "test"))) {
                for (XentCase c : cases(k)) {
                    if (c.opts.nonFinite() == NonFinitePolicy.REFUSE) {
                        // ±∞ logits are refused under REFUSE: the case runs on finite logits only.
                        float[] finite = c.x.clone();
                        for (int j = 0; j < finite.length; j++) {
                            finite[j] = Float.isFinite(finite[j]) ? finite[j] : 0f;
                        }
                        c = new XentCase(c.name, c.n, c.k, finite, c.hard, c.soft, c.opts);
                    }
                    for (Views layout : new Views[] {Views.DENSE, Views.STRIDED}) {
                        XentCase.Outcome v = c.run(vector, layout, true);
                        c.check("vector " + layout + ", " + threads + " threads", v);
                        XentCase.Outcome s = c.run(scalar, layout, true);
                        c.checkAgreement("vector against scalar, " + layout, v, s);
                        for (int j = 0; j < v.grad().length && !differs; j++) {
                            differs = Float.floatToRawIntBits(v.grad()[j]) != Float.floatToRawIntBits(s.grad()[j]);
                        }
                    }
                    c.check("vector, loss only", c.run(vector, Views.DENSE, false));
                    // In place: the gradient over the logits gives the out-of-place bits.
                    float[] inPlace = c.x.clone();
                    XentCase.Outcome dense = c.run(vector, Views.DENSE, true);
                    vector.crossEntropyWithGradient(org.softmaxcl.FloatMatrix.of(inPlace, N, k), c.targets(Views.DENSE),
                            c.opts, org.softmaxcl.FloatMatrix.of(inPlace, N, k));
                    org.softmaxcl.testing.Compare.assertSameValues(c + ": in place", inPlace, dense.grad());
                    // Asking for row statistics changes no bit of the loss or the gradient (a NaN's
                    // payload aside: the two passes differ, and x86 takes a NaN result's payload
                    // from whichever operand the JIT put first; K = 100 on rows failed 1 run in ~5).
                    XentCase.Outcome other = c.with(c.opts.toBuilder().rowStats(!c.opts.rowStats()).build())
                            .run(vector, Views.DENSE, true);
                    assertThat(Double.doubleToLongBits(other.result().loss())).as(c + ": loss, statistics toggled")
                            .isEqualTo(Double.doubleToLongBits(dense.result().loss()));
                    org.softmaxcl.testing.Compare.assertSameValues(c + ": gradient, statistics toggled", dense.grad(), other.grad());
                }
            }
        }
        assertThat(differs).as("some gradient entry differs from the scalar kernels' (z in float64)").isTrue();
    }
}
