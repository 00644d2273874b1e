package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.reference.Reference64;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Views;

/**
 * Softmax and log-softmax backward for small K on lanes ({@link SmallRowsBackward}) against the
 * float64 reference, on whole groups and a tail, dense, strided (arrays, on lanes: the same bits;
 * direct buffers, row by row) and in place (dx over g, dx over y), by gathers and by element moves
 * (the same bits), and on rows whose sum cancels: the
 * tolerance counts one rounding of s, so a sum left uncompensated (its error a few units of
 * Σ|g_j·y_j|, not of s) fails it. A masked class (log y = −∞, y = 0) gets dx = g or 0; a row with a
 * NaN or infinite g gets the scalar kernel's non-finite values and leaves the other rows alone.
 */
class SmallRowsBackwardTest {
    private static final int N = 4 * LaneTile.L + 3;
    private static final double U = 0x1.0p-24;

    /** y (softmax, or its log) of random logits, a masked class in row 1, and g, cancelling in every third row. */
    private static float[][] batch(int k, boolean log, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[N * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 2);
        }
        if (k > 1) {
            x[k + k - 1] = Float.NEGATIVE_INFINITY;
        }
        double[] p = Reference64.softmax(Compare.widen(x), N, k, null, log);
        float[] y = new float[N * k];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) p[i];
        }
        float[] g = new float[N * k];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < k; j++) {
                g[i * k + j] = (float) rnd.nextGaussian();
            }
            if (i % 3 == 0) {
                cancel(i, k, log, p, g, rnd);
            }
        }
        return new float[][] {y, g};
    }

    /**
     * Row i's g of size 1000 whose s nearly cancels: softmax, +1000 on odd classes and on even
     * ones −1000 times their mass ratio (Σ g_j·y_j about 0); log-softmax, ±1000 alternating and
     * the last class the negated sum of the others (Σ g_j about 0).
     */
    private static void cancel(int i, int k, boolean log, double[] p, float[] g, Random rnd) {
        if (log) {
            double sum = 0;
            for (int j = 0; j < k - 1; j++) {
                g[i * k + j] = ((j & 1) == 0 ? 1000f : -1000f) + (float) rnd.nextGaussian();
                sum += g[i * k + j];
            }
            g[i * k + k - 1] = (float) -sum;
            return;
        }
        double odd = 0;
        double even = 0;
        for (int j = 0; j < k; j++) {
            if ((j & 1) == 1) {
                odd += p[i * k + j];
            } else {
                even += p[i * k + j];
            }
        }
        for (int j = 0; j < k; j++) {
            g[i * k + j] = (j & 1) == 1 ? 1000f : (float) (-1000 * odd / even);
        }
    }

    /** Per element: one rounding of s carried through dx, two of dx's own, and k·u² of Σ|terms|. */
    private static double[] tolerance(float[] y, float[] g, int k, boolean log) {
        double[] tol = new double[N * k];
        for (int i = 0; i < N; i++) {
            double s = 0;
            double abs = 0;
            for (int j = 0; j < k; j++) {
                double t = log ? g[i * k + j] : (double) g[i * k + j] * y[i * k + j];
                s += t;
                abs += Math.abs(t);
            }
            for (int j = 0; j < k; j++) {
                int e = i * k + j;
                double w = log ? Math.exp(y[e]) : Math.abs(y[e]);
                tol[e] = 3 * U * (Math.abs(g[e]) + w * Math.abs(s)) + w * 8 * k * U * U * abs + 1e-30;
            }
        }
        return tol;
    }

    private static float[] run(Engine e, float[] y, float[] g, int k, boolean log) {
        float[] dx = new float[N * k];
        if (log) {
            e.logSoftmaxBackward(FloatMatrix.of(y, N, k), FloatMatrix.of(g, N, k), FloatMatrix.of(dx, N, k));
        } else {
            e.softmaxBackward(FloatMatrix.of(y, N, k), FloatMatrix.of(g, N, k), FloatMatrix.of(dx, N, k));
        }
        return dx;
    }

    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {1, 2, 3, 10, 17, 31})
    void matchesTheReferenceDenseStridedInPlaceAndByEitherMove(int k) {
        for (boolean log : new boolean[] {false, true}) {
            float[][] yg = batch(k, log, 17L * k + (log ? 1 : 0));
            float[] y = yg[0];
            float[] g = yg[1];
            String what = (log ? "log-softmax" : "softmax") + " backward, K = " + k;
            float[] first = null;
            for (boolean gather : new boolean[] {true, false}) {
                try (Engine e = Engine.over(new CpuBackend(new VectorKernels(gather), 2, "test"))) {
                    float[] dx = run(e, y, g, k, log);
                    Compare.check(what + " vs float64", Reference64.softmaxBackward(Compare.widen(y), Compare.widen(g), N, k, log),
                            Compare.widen(dx), tolerance(y, g, k, log), 0);
                    if (first == null) {
                        first = dx;
                    } else {
                        Compare.assertSameBits(what + ", gathers vs element moves", first, dx);
                    }
                    for (Views layout : new Views[] {Views.STRIDED, Views.DIRECT_STRIDED}) {
                        FloatMatrix ds = layout.filled(N, k, Float.NaN);
                        if (log) {
                            e.logSoftmaxBackward(layout.of(y, N, k), layout.of(g, N, k), ds);
                        } else {
                            e.softmaxBackward(layout.of(y, N, k), layout.of(g, N, k), ds);
                        }
                        if (layout == Views.STRIDED) {
                            Compare.assertSameBits(what + ", strided vs dense", dx, ds.toArray());
                        } else {   // row by row through a scratch row: the scalar kernel's bits
                            Compare.check(what + ", " + layout + " vs float64", Reference64.softmaxBackward(Compare.widen(y),
                                    Compare.widen(g), N, k, log), Compare.widen(ds.toArray()), tolerance(y, g, k, log), 0);
                        }
                        assertThat(Views.paddingIntact(ds)).as(what + ", " + layout + ": padding").isTrue();
                    }
                    float[] overG = g.clone();
                    float[] overY = y.clone();
                    if (log) {
                        e.logSoftmaxBackward(FloatMatrix.of(y, N, k), FloatMatrix.of(overG, N, k), FloatMatrix.of(overG, N, k));
                        e.logSoftmaxBackward(FloatMatrix.of(overY, N, k), FloatMatrix.of(g, N, k), FloatMatrix.of(overY, N, k));
                    } else {
                        e.softmaxBackward(FloatMatrix.of(y, N, k), FloatMatrix.of(overG, N, k), FloatMatrix.of(overG, N, k));
                        e.softmaxBackward(FloatMatrix.of(overY, N, k), FloatMatrix.of(g, N, k), FloatMatrix.of(overY, N, k));
                    }
                    Compare.assertSameBits(what + ", in place over g", dx, overG);
                    Compare.assertSameBits(what + ", in place over y", dx, overY);
                    if (k > 1) {
                        float masked = dx[k + k - 1];
                        assertThat(masked).as(what + ": the masked class").isEqualTo(log ? g[k + k - 1] : 0f);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {3, 10})
    void aNonFiniteUpstreamGradientStaysInItsRowAsTheScalarKernelHasIt(int k) {
        for (boolean log : new boolean[] {false, true}) {
            float[][] yg = batch(k, log, 5L * k);
            float[] y = yg[0];
            float[] g = yg[1];
            g[4 * k + 1] = Float.NaN;
            g[6 * k] = Float.POSITIVE_INFINITY;
            try (Engine v = Engine.over(new CpuBackend(new VectorKernels(), 1, "test"));
                 Engine sc = Engine.over(new CpuBackend(new ScalarKernels(), 1, "test"))) {
                float[] dv = run(v, y, g, k, log);
                float[] ds = run(sc, y, g, k, log);
                for (int e = 0; e < N * k; e++) {
                    int row = e / k;
                    String at = (log ? "log " : "") + "row " + row + ", col " + e % k;
                    if (row == 4 || row == 6) {
                        assertThat(Float.isNaN(dv[e])).as(at + ": NaN as the scalar kernel").isEqualTo(Float.isNaN(ds[e]));
                        if (!Float.isNaN(ds[e])) {
                            assertThat(dv[e]).as(at).isEqualTo(ds[e]);
                        }
                    } else {
                        assertThat(dv[e]).as(at + ": finite").isFinite();
                    }
                }
            }
        }
    }
}
