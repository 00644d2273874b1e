package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.Reduction;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;
import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.testing.Compare;

/**
 * Rows split over threads in segments when there are fewer rows than threads
 * ({@link VectorKernels#softmaxRowSplit}, {@link VectorKernels#xentRowSplit}): the same bits as the
 * row whole on one thread, for softmax, log-softmax and the fused cross-entropy (PROPAGATE,
 * REFUSE's known maxima, in place, loss only, an ignored row), with hazards in different segments
 * (a −∞ mask, an e below the fast exp's range, ties of the max) and rows ending in a tail. The
 * segments' tasks run in reverse order, and the test fails if no row was split.
 */
class RowSplitTest {

    /** The Vector API kernels, with the split calls counted and each split's tasks run in reverse order. */
    static class Spy implements CpuKernels {
        final VectorKernels v = new VectorKernels();
        final AtomicInteger splits = new AtomicInteger();

        private Parallel reversed(Parallel par) {
            return (n, task) -> par.run(n, j -> task.accept(n - 1 - j));
        }

        @Override
        public String name() {
            return "spy";
        }

        @Override
        public float rowMax(float[] x, int xo, int k) {
            return v.rowMax(x, xo, k);
        }

        @Override
        public float rowMin(float[] x, int xo, int k) {
            return v.rowMin(x, xo, k);
        }

        @Override
        public void softmaxRow(float[] x, int xo, float[] out, int oo, int k, float temperature, boolean log) {
            v.softmaxRow(x, xo, out, oo, k, temperature, log);
        }

        @Override
        public float softmaxRows(int r0, int r1, float[] x, int xo, int ldx, float[] out, int oo, int ldo, int k,
                                 java.util.function.IntToDoubleFunction temperatures, boolean log, float[] maxima,
                                 float firstMax, int ahead) {
            return v.softmaxRows(r0, r1, x, xo, ldx, out, oo, ldo, k, temperatures, log, maxima, firstMax, ahead);
        }

        @Override
        public void backwardRow(float[] y, int yo, float[] g, int go, float[] dx, int dxo, int k, boolean log) {
            v.backwardRow(y, yo, g, go, dx, dxo, k, log);
        }

        @Override
        public void xentRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go, RowOutputs out) {
            v.xentRow(s, i, x, xo, y, yo, g, go, out);
        }

        @Override
        public float xentRows(XentSpec s, int r0, int r1, float[] x, int xo, int ldx, float[] y, int yo, int ldy,
                              float[] g, int go, int ldg, RowOutputs out, float firstMax, int ahead) {
            return v.xentRows(s, r0, r1, x, xo, ldx, y, yo, ldy, g, go, ldg, out, firstMax, ahead);
        }

        @Override
        public boolean splitsRows(int k) {
            return v.splitsRows(k);
        }

        @Override
        public boolean splitsRows(XentSpec s) {
            return v.splitsRows(s);
        }

        @Override
        public void softmaxRowSplit(float[] x, int xo, float[] out, int oo, int k, float temperature, boolean log,
                                    float xmax, Parallel par) {
            splits.incrementAndGet();
            v.softmaxRowSplit(x, xo, out, oo, k, temperature, log, xmax, reversed(par));
        }

        @Override
        public void xentRowSplit(XentSpec s, int i, float[] x, int xo, float[] g, int go, RowOutputs out, float xmax,
                                 Parallel par) {
            splits.incrementAndGet();
            v.xentRowSplit(s, i, x, xo, g, go, out, xmax, reversed(par));
        }
    }

    /** Gaussian logits; row 0 holds a −∞ mask, an e below the fast exp's range and ties of its max in other segments. */
    private static float[] logits(int n, int k) {
        Random rnd = new Random(n * 31L + k);
        float[] x = new float[n * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 3);
        }
        int seg = RowPass.SEGMENT;
        x[Math.min(k - 1, seg + 5)] = Float.NEGATIVE_INFINITY;
        x[Math.min(k - 1, 2 * seg + 9)] = -100f;
        x[7] = 30f;
        x[Math.min(k - 2, seg + 300)] = 30f;
        x[k - 1] = 29f;
        return x;
    }

    /** Everything the calls produce, as float arrays, for one engine. */
    private static float[][] run(int n, int k, int threads, float[] x, int[] t, Spy spy) {
        XentOptions propagate = XentOptions.builder().nonFinite(NonFinitePolicy.PROPAGATE).reduction(Reduction.NONE)
                .build();
        XentOptions refuse = XentOptions.builder().reduction(Reduction.NONE).temperature(1.5f).build();
        try (Engine e = Engine.over(new CpuBackend(spy, threads, "test"))) {
            float[] g1 = new float[n * k];
            XentResult r1 = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), propagate,
                    FloatMatrix.of(g1, n, k));
            float[] g2 = new float[n * k];
            XentResult r2 = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), refuse,
                    FloatMatrix.of(g2, n, k));
            float[] inPlace = x.clone();
            XentResult r3 = e.crossEntropyWithGradient(FloatMatrix.of(inPlace, n, k), Targets.hard(t), propagate,
                    FloatMatrix.of(inPlace, n, k));
            XentResult r4 = e.crossEntropy(FloatMatrix.of(x, n, k), Targets.hard(t), propagate);
            float[] p = new float[n * k];
            e.softmax(FloatMatrix.of(x, n, k), FloatMatrix.of(p, n, k), SoftmaxOptions.DEFAULTS);
            float[] lp = new float[n * k];
            e.logSoftmax(FloatMatrix.of(x, n, k), FloatMatrix.of(lp, n, k),
                    SoftmaxOptions.DEFAULTS.withTemperature(0.7f).withNonFinite(NonFinitePolicy.PROPAGATE));
            return new float[][] {g1, r1.rowLosses(), g2, r2.rowLosses(), inPlace, r3.rowLosses(), r4.rowLosses(), p, lp};
        }
    }

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"1, 600000", "2, 530001", "1, 524288", "1, 524287", "2, 100003"})
    void aRowSplitOverThreadsGivesTheBitsOfTheWholeRow(int n, int k) {
        float[] x = logits(n, k);
        int[] t = new int[n];
        t[0] = 7;
        if (n > 1) {
            t[1] = -100;     // ignored: a zero gradient row
        }
        String[] what = {"grad", "row losses", "REFUSE grad", "REFUSE row losses", "in-place grad",
                "in-place row losses", "loss-only row losses", "softmax", "log-softmax"};
        Spy one = new Spy();
        float[][] whole = run(n, k, 1, x, t, one);
        assertThat(one.splits.get()).as("splits on one thread").isZero();
        for (int threads = 2; threads <= 3; threads++) {
            Spy spy = new Spy();
            float[][] split = run(n, k, threads, x, t, spy);
            for (int a = 0; a < what.length; a++) {
                Compare.assertSameBits(n + "x" + k + " on " + threads + " threads: " + what[a], whole[a], split[a]);
            }
            if (n < threads && k >= VectorKernels.SPLIT_MIN_K) {
                assertThat(spy.splits.get()).as("rows split on %d threads", threads).isGreaterThanOrEqualTo(5 * n);
            }
        }
        assertThat(whole[1][0]).as("row 0's loss").isFinite().isPositive();
    }

    @ParameterizedTest(name = "{0} at {1}")
    @CsvSource({"NaN, 570000", "Infinity, 40000", "NaN, 5"})
    void refuseChecksASplitRowAndWritesNothing(float bad, int at) {
        int k = VectorKernels.SPLIT_MIN_K + 70001;
        float[] x = logits(1, k);
        x[at] = bad;
        float[] g = new float[k];
        java.util.Arrays.fill(g, 4f);
        float[] p = g.clone();
        Spy spy = new Spy();
        try (Engine e = Engine.over(new CpuBackend(spy, 2, "test"))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> e.crossEntropyWithGradient(FloatMatrix.of(x, 1, k),
                    Targets.hard(new int[] {7}), XentOptions.DEFAULTS, FloatMatrix.of(g, 1, k)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits[0, " + at + "]");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> e.softmax(FloatMatrix.of(x, 1, k),
                    FloatMatrix.of(p, 1, k), SoftmaxOptions.DEFAULTS))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits[0, " + at + "]");
        }
        assertThat(g).containsOnly(4f);
        assertThat(p).containsOnly(4f);
        assertThat(spy.splits.get()).as("no pass ran").isZero();
    }
}
