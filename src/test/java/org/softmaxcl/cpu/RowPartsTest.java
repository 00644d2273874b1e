package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
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
 * Batches of long rows run in parts over the threads ({@link VectorKernels#xentRowParts},
 * {@link VectorKernels#softmaxRowParts}, {@link RowParts}): the same bits as every row whole on
 * one thread (any NaN for any NaN) for the cross-entropy, softmax and log-softmax, under
 * PROPAGATE (rows with NaN, +∞ and all −∞ among them, which run whole), REFUSE, in place, with an
 * ignored row, a temperature, class and sample weights, z-loss, strided matrices, and hazards in
 * different parts (a −∞ mask, an e below the fast exp's range, ties of the max, the target in the
 * tail); parts left to the others by a thread that starts late; and a failure in one thread that
 * ends the call instead of leaving the others waiting.
 */
class RowPartsTest {

    /** The Vector API kernels, counting the threads that ran in parts, the pool's threads held back by {@code lateMillis}. */
    static class Spy extends RowSplitTest.Spy {
        final AtomicInteger partThreads = new AtomicInteger();
        final long lateMillis;

        Spy(long lateMillis) {
            this.lateMillis = lateMillis;
        }

        @Override
        public RowParts rowParts(int k, int rows, int threads) {
            return v.rowParts(k, rows, threads);
        }

        @Override
        public boolean partsRows(XentSpec s) {
            return v.partsRows(s);
        }

        @Override
        public boolean partsRows(int k) {
            return v.partsRows(k);
        }

        @Override
        public void softmaxRowParts(float[] x, int xo, int ldx, float[] out, int oo, int ldo, int k,
                                    java.util.function.IntToDoubleFunction temperatures, boolean log, float[] maxima,
                                    RowParts team) {
            late();
            partThreads.incrementAndGet();
            v.softmaxRowParts(x, xo, ldx, out, oo, ldo, k, temperatures, log, maxima, team);
        }

        private void late() {
            if (lateMillis > 0 && Thread.currentThread().getName().startsWith("softmaxcl-cpu")) {
                try {
                    Thread.sleep(lateMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void xentRowParts(XentSpec s, float[] x, int xo, int ldx, float[] g, int go, int ldg, RowOutputs out,
                                 RowParts team) {
            late();
            partThreads.incrementAndGet();
            v.xentRowParts(s, x, xo, ldx, g, go, ldg, out, team);
        }
    }

    /** Gaussian logits with hazards in row 0 spread over its parts. */
    private static float[] logits(int n, int k) {
        Random rnd = new Random(n * 37L + k);
        float[] x = new float[n * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 3);
        }
        int seg = RowPass.SEGMENT;
        x[seg + 5] = Float.NEGATIVE_INFINITY;
        x[3 * seg + 9] = -100f;
        x[7] = 30f;
        x[2 * seg + 300] = 30f;
        x[k - 1] = 29f;
        return x;
    }

    private static final String[] WHAT = {"grad", "row losses", "REFUSE grad", "REFUSE row losses",
        "in-place grad", "in-place row losses", "mean loss (float64 halves)", "softmax", "log-softmax at T = 0.7",
        "REFUSE softmax at T = 1.5", "in-place log-softmax", "in-place softmax", "loss-only row losses"};

    /** Everything the calls produce, for one engine. */
    private static float[][] run(int n, int k, int threads, float[] x, int[] t, Spy spy) {
        XentOptions propagate = XentOptions.builder().nonFinite(NonFinitePolicy.PROPAGATE).reduction(Reduction.NONE)
                .build();
        XentOptions refuse = XentOptions.builder().reduction(Reduction.NONE).temperature(1.5f).build();
        try (Engine e = Engine.over(new CpuBackend(spy, threads, "test"))) {
            float[] g1 = new float[n * k];
            XentResult r1 = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), propagate,
                    FloatMatrix.of(g1, n, k));
            float[] g2 = new float[n * k];
            float[] finite = x.clone();
            for (int i = 0; i < finite.length; i++) {
                if (Float.isNaN(finite[i]) || finite[i] == Float.POSITIVE_INFINITY) {
                    finite[i] = 1f;
                }
            }
            for (int i = 0; i < n; i++) {
                finite[i * k + 11] = 2f;   // no row all −∞
            }
            XentResult r2 = e.crossEntropyWithGradient(FloatMatrix.of(finite, n, k), Targets.hard(t), refuse,
                    FloatMatrix.of(g2, n, k));
            float[] inPlace = x.clone();
            XentResult r3 = e.crossEntropyWithGradient(FloatMatrix.of(inPlace, n, k), Targets.hard(t), propagate,
                    FloatMatrix.of(inPlace, n, k));
            // The plain mean (block sums filled by the threads), split into two floats to compare its bits.
            double mean = e.crossEntropyWithGradient(FloatMatrix.of(finite, n, k), Targets.hard(t), XentOptions.DEFAULTS,
                    FloatMatrix.of(new float[n * k], n, k)).loss();
            long bits = Double.doubleToRawLongBits(mean);
            float[] halves = {Float.intBitsToFloat((int) (bits >>> 32)), Float.intBitsToFloat((int) bits)};
            SoftmaxOptions propagateS = SoftmaxOptions.DEFAULTS.withNonFinite(NonFinitePolicy.PROPAGATE);
            float[] p = new float[n * k];
            e.softmax(FloatMatrix.of(x, n, k), FloatMatrix.of(p, n, k), propagateS);
            float[] lp = new float[n * k];
            e.logSoftmax(FloatMatrix.of(x, n, k), FloatMatrix.of(lp, n, k), propagateS.withTemperature(0.7f));
            float[] rp = new float[n * k];
            e.softmax(FloatMatrix.of(finite, n, k), FloatMatrix.of(rp, n, k), SoftmaxOptions.DEFAULTS.withTemperature(1.5f));
            float[] ilp = x.clone();
            e.logSoftmax(FloatMatrix.of(ilp, n, k), FloatMatrix.of(ilp, n, k), propagateS);
            float[] ip = x.clone();
            e.softmax(FloatMatrix.of(ip, n, k), FloatMatrix.of(ip, n, k), propagateS);
            float[] lossOnly = e.crossEntropy(FloatMatrix.of(x, n, k), Targets.hard(t), propagate).rowLosses();
            return new float[][] {g1, r1.rowLosses(), g2, r2.rowLosses(), inPlace, r3.rowLosses(), halves, p, lp, rp, ilp, ip,
                lossOnly};
        }
    }

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"2, 196608", "3, 262149", "5, 200003", "4, 524288", "6, 196623", "3, 196607", "1, 262144",
        "1, 600013"})
    void rowsInPartsGiveTheBitsOfWholeRows(int n, int k) {
        float[] x = logits(n, k);
        int[] t = new int[n];
        t[0] = 7;
        if (n > 1) {
            t[1] = -100;     // ignored: a zero gradient row
        }
        for (int i = 2; i < n; i++) {
            t[i] = i == n - 1 ? k - 3 : (i * 104729) % k;   // the last row's target in its tail
        }
        if (n > 3) {
            x[2 * k + 1000] = Float.NaN;                        // run whole, its loss NaN
            java.util.Arrays.fill(x, 3 * k, 4 * k, Float.NEGATIVE_INFINITY);
        }
        if (n > 4) {
            x[4 * k + 200000 % k] = Float.POSITIVE_INFINITY;
        }
        Spy one = new Spy(0);
        float[][] whole = run(n, k, 1, x, t, one);
        assertThat(one.partThreads.get()).as("parts on one thread").isZero();
        for (int threads = 2; threads <= 3; threads++) {
            Spy spy = new Spy(0);
            float[][] parts = run(n, k, threads, x, t, spy);
            for (int a = 0; a < WHAT.length; a++) {
                // NaN rows: any NaN for any NaN (x86 arithmetic on a NaN gives the JIT's payload).
                Compare.assertSameValues(n + "x" + k + " on " + threads + " threads: " + WHAT[a], whole[a], parts[a]);
            }
            // The backend runs parts on no more threads than the machine has cores.
            int partThreads = Math.min(threads, Runtime.getRuntime().availableProcessors());
            if (partThreads >= 2 && k >= VectorKernels.PARTS_MIN_K) {
                assertThat(spy.partThreads.get()).as("threads that ran in parts (9 calls or more)").isGreaterThanOrEqualTo(9);
            } else {
                assertThat(spy.partThreads.get()).as("threads that ran in parts").isZero();
            }
        }
        assertThat(whole[1][0]).as("row 0's loss").isFinite().isPositive();
        if (n > 1) {
            assertThat(whole[1][1]).as("the ignored row's loss").isZero();
        }
        if (n > 3) {
            assertThat(whole[1][2]).as("the NaN row's loss").isNaN();
        }
    }

    /**
     * Random batches: N from 2 to 5, K from the threshold to two segments past it, each row with
     * a few hazards (NaN, ±∞, −100, ties of its max) at random columns, random targets (some
     * ignored): the same values as whole rows on one thread, under PROPAGATE.
     */
    @Test
    void randomBatchesWithHazardsGiveTheValuesOfWholeRows() {
        Random rnd = new Random(20261127);
        XentOptions o = XentOptions.builder().nonFinite(NonFinitePolicy.PROPAGATE).reduction(Reduction.NONE).build();
        float[] hazards = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -100f, 25f};
        Spy spy = new Spy(0);
        for (int c = 0; c < 12; c++) {
            int n = 2 + rnd.nextInt(4);
            int k = VectorKernels.PARTS_MIN_K + rnd.nextInt(2 * RowPass.SEGMENT);
            float[] x = new float[n * k];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * 4);
            }
            int[] t = new int[n];
            for (int i = 0; i < n; i++) {
                t[i] = rnd.nextInt(8) == 0 ? -100 : rnd.nextInt(k);
                for (int h = rnd.nextInt(3); h > 0; h--) {
                    // Rare hazards: most rows stay finite so that the parts run; +∞ and NaN make a row run whole.
                    float v = hazards[rnd.nextInt(hazards.length)];
                    if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
                        if (rnd.nextInt(3) != 0) {
                            continue;
                        }
                    }
                    x[i * k + rnd.nextInt(k)] = v;
                }
            }
            float[][] got = new float[2][];
            for (int threads = 1; threads <= 2; threads++) {
                float[] g = new float[n * k];
                float[] p = new float[n * k];
                try (Engine e = Engine.over(new CpuBackend(threads == 1 ? new Spy(0) : spy, threads, "test"))) {
                    float[] losses = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), o,
                            FloatMatrix.of(g, n, k)).rowLosses();
                    e.softmax(FloatMatrix.of(x, n, k), FloatMatrix.of(p, n, k),
                            SoftmaxOptions.DEFAULTS.withNonFinite(NonFinitePolicy.PROPAGATE));
                    got[threads - 1] = concat(g, p, losses);
                }
            }
            Compare.assertSameValues("case " + c + ": " + n + "x" + k, got[0], got[1]);
        }
        if (Runtime.getRuntime().availableProcessors() >= 2) {
            assertThat(spy.partThreads.get()).as("threads that ran in parts over 24 calls").isGreaterThanOrEqualTo(24);
        }
    }

    @Test
    void theOptionsOfThePlainPassGiveTheBitsOfWholeRows() {
        int n = 4;
        int k = VectorKernels.PARTS_MIN_K + 9;
        float[] x = logits(n, k);
        int[] t = {7, 5, 190000, k - 1};
        float[] w = new float[k];
        for (int j = 0; j < k; j++) {
            w[j] = 0.5f + (j % 7) * 0.25f;
        }
        XentOptions o = XentOptions.builder().classWeights(w).zLoss(1e-3f).sampleWeights(new float[] {1f, 0.5f, 2f, 0f})
                .rowTemperatures(new float[] {1f, 0.8f, 1.7f, 1f}).gradScale(0.25f).reduction(Reduction.NONE).build();
        float[][] got = new float[2][];
        for (int threads = 1; threads <= 2; threads++) {
            Spy spy = new Spy(0);
            float[] g = new float[n * k];
            try (Engine e = Engine.over(new CpuBackend(spy, threads, "test"))) {
                XentResult r = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), o,
                        FloatMatrix.of(g, n, k));
                double sum = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t),
                        o.toBuilder().reduction(Reduction.SUM).build(), FloatMatrix.of(new float[n * k], n, k)).loss();
                long bits = Double.doubleToRawLongBits(sum);
                got[threads - 1] = concat(g, r.rowLosses(),
                        new float[] {Float.intBitsToFloat((int) (bits >>> 32)), Float.intBitsToFloat((int) bits)});
            }
            boolean parts = threads > 1 && Runtime.getRuntime().availableProcessors() >= 2;
            assertThat(spy.partThreads.get() > 0).as("ran in parts on %d threads", threads).isEqualTo(parts);
        }
        Compare.assertSameBits("weights, z-loss, sample weights, row temperatures, grad scale", got[0], got[1]);
        assertThat(got[0][3 * k + 5]).as("a zero sample weight's gradient").isZero();
    }

    @Test
    void stridedMatricesGiveTheBitsOfWholeRows() {
        int n = 3;
        int k = VectorKernels.PARTS_MIN_K + 5;
        int ldx = k + 37;
        int ldg = k + 3;
        float[] dense = logits(n, k);
        float[] x = new float[11 + n * ldx];
        for (int i = 0; i < n; i++) {
            System.arraycopy(dense, i * k, x, 11 + i * ldx, k);
        }
        int[] t = {7, 190000, 1};
        XentOptions o = XentOptions.builder().reduction(Reduction.NONE).build();
        float[][] got = new float[2][];
        for (int threads = 1; threads <= 2; threads++) {
            Spy spy = new Spy(0);
            float[] g = new float[5 + n * ldg];
            float[] p = new float[n * ldg];
            try (Engine e = Engine.over(new CpuBackend(spy, threads, "test"))) {
                float[] losses = e.crossEntropyWithGradient(FloatMatrix.of(x, 11, n, k, ldx), Targets.hard(t), o,
                        FloatMatrix.of(g, 5, n, k, ldg)).rowLosses();
                e.softmax(FloatMatrix.of(x, 11, n, k, ldx), FloatMatrix.of(p, 0, n, k, ldg), SoftmaxOptions.DEFAULTS);
                got[threads - 1] = concat(g, p, losses);
            }
            boolean parts = Math.min(threads, Runtime.getRuntime().availableProcessors()) >= 2;
            assertThat(spy.partThreads.get()).as("threads in parts on %d threads", threads)
                    .isBetween(parts ? 2 : 0, parts ? 4 : 0);
        }
        Compare.assertSameBits("strided, 2 threads against 1", got[0], got[1]);
        for (int i = 0; i < n; i++) {
            for (int j = k; j < ldg && 5 + i * ldg + j < got[1].length; j++) {
                assertThat(got[1][5 + i * ldg + j]).as("gradient padding [%d, %d]", i, j).isZero();
            }
        }
    }

    private static float[] concat(float[]... parts) {
        int len = 0;
        for (float[] a : parts) {
            len += a.length;
        }
        float[] all = new float[len];
        int at = 0;
        for (float[] a : parts) {
            System.arraycopy(a, 0, all, at, a.length);
            at += a.length;
        }
        return all;
    }

    @Test
    void partsOfAThreadThatStartsLateAreRunByTheOthers() {
        int n = 6;
        int k = VectorKernels.PARTS_MIN_K + 21;
        float[] x = logits(n, k);
        int[] t = {7, 3, 5, k - 1, 100000, 2};
        float[][] whole = run(n, k, 1, x, t, new Spy(0));
        Spy late = new Spy(300);
        float[][] parts = run(n, k, 2, x, t, late);
        for (int a = 0; a < WHAT.length; a++) {
            Compare.assertSameValues("a late thread: " + WHAT[a], whole[a], parts[a]);
        }
    }

    @Test
    void aFailingThreadEndsTheCall() {
        int n = 4;
        int k = VectorKernels.PARTS_MIN_K;
        float[] x = logits(n, k);
        Spy failing = new Spy(0) {
            @Override
            public void xentRowParts(XentSpec s, float[] x, int xo, int ldx, float[] g, int go, int ldg,
                                     RowOutputs out, RowParts team) {
                if (Thread.currentThread().getName().startsWith("softmaxcl-cpu")) {
                    int p = team.join();
                    team.claim(0, p);     // holds a part of row 0, then never runs it
                    throw new IllegalStateException("injected");
                }
                super.xentRowParts(s, x, xo, ldx, g, go, ldg, out, team);
            }
        };
        try (Engine e = Engine.over(new CpuBackend(failing, 2, "test"))) {
            float[] g = new float[n * k];
            // The pool thread may start too late to fail (the caller then runs every part): try until it does.
            boolean failed = false;
            for (int attempt = 0; attempt < 50 && !failed; attempt++) {
                try {
                    e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(new int[] {1, 2, 3, 4}),
                            XentOptions.DEFAULTS, FloatMatrix.of(g, n, k));
                } catch (IllegalStateException ex) {
                    failed = true;
                    assertThat(ex).hasMessageContaining("injected");
                }
            }
            assertThat(failed).as("the injected failure reached the caller").isTrue();
        }
    }

    @Test
    void aStateRejectsShapesWithoutParts() {
        assertThatThrownBy(() -> new RowParts(4, 1, 8, 16)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("parts 1");
        assertThatThrownBy(() -> new RowParts(4, 4, 3, 16)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("segments 3");
    }
}
