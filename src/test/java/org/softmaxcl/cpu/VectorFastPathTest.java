package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.Reduction;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;
import org.softmaxcl.reference.Reference64;
import org.softmaxcl.testing.Compare;

/**
 * The Vector API kernels' loop for the common case (hard targets, no smoothing, no statistics:
 * {@link VectorExp#expNormal} with the tiny-argument test after each block of
 * {@value RowPass#BLOCK} elements, and a rerun of that block with the exact exp) against
 * their general loop (asking for row statistics takes it) and the float64 reference, on rows of
 * several blocks where arguments below the fast exp's range (subnormal and zero probabilities,
 * −∞ masks) sit in one block only, ties of the max span blocks, and the row ends in a tail.
 */
class VectorFastPathTest {
    private static final int N = 12;

    /** Row i of the batch: Gaussian logits with one kind of hazard in one block. */
    private static float[] batch(int k, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[N * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 3);
        }
        int block = RowPass.BLOCK;
        for (int i = 0; i < N; i++) {
            int o = i * k;
            int inSecond = Math.min(k - 1, block + 17);
            switch (i % 6) {
                case 1 -> {                                              // e is subnormal
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < k; j++) {
                        max = Math.max(max, x[o + j]);
                    }
                    x[o + inSecond] = max - 92f;
                }
                case 2 -> x[o + inSecond] = Float.NEGATIVE_INFINITY;     // a mask: e = 0
                case 3 -> x[o + k - 1] = -120f;                          // in the tail: e = 0
                case 4 -> {                                              // ties of the max in two blocks
                    x[o + 3] = 40f;
                    x[o + inSecond] = 40f;
                }
                case 5 -> {                                              // one dominant logit: tiny loss
                    x[o + 5] = 30f;
                    x[o + inSecond] = -200f;
                }
                default -> { }
            }
        }
        return x;
    }

    private static int[] targets(int k) {
        int[] t = new int[N];
        for (int i = 0; i < N; i++) {
            t[i] = i % 6 == 5 ? 5 : (i * 131) % k;
        }
        return t;
    }

    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {2 * RowPass.BLOCK + 13, RowPass.BLOCK + 8, 300})
    void fastLoopGivesTheGeneralLoopsBitsAndTheReferenceValues(int k) {
        float[] x = batch(k, k);
        int[] t = targets(k);
        XentOptions plain = XentOptions.builder().reduction(Reduction.NONE).nonFinite(NonFinitePolicy.PROPAGATE).build();
        XentOptions general = XentOptions.builder().reduction(Reduction.NONE).nonFinite(NonFinitePolicy.PROPAGATE)
                .rowStats(true).build();
        try (Engine e = Engine.over(CpuBackend.vector(1, "test"))) {
            float[] g1 = new float[N * k];
            float[] g2 = new float[N * k];
            XentResult r1 = e.crossEntropyWithGradient(FloatMatrix.of(x, N, k), Targets.hard(t), plain, FloatMatrix.of(g1, N, k));
            XentResult r2 = e.crossEntropyWithGradient(FloatMatrix.of(x, N, k), Targets.hard(t), general, FloatMatrix.of(g2, N, k));
            Compare.assertSameBits("gradient, fast loop vs general loop", g2, g1);
            Compare.assertSameBits("row losses, fast loop vs general loop", r2.rowLosses(), r1.rowLosses());
            // In place: the same bits (blocks with tiny arguments are scanned before any write).
            float[] inPlace = x.clone();
            XentResult r4 = e.crossEntropyWithGradient(FloatMatrix.of(inPlace, N, k), Targets.hard(t), plain,
                    FloatMatrix.of(inPlace, N, k));
            Compare.assertSameBits("gradient, in place vs not", g1, inPlace);
            Compare.assertSameBits("row losses, in place vs not", r1.rowLosses(), r4.rowLosses());
            // Loss only (no gradient to store) takes the fast loop's other branch.
            XentResult r3 = e.crossEntropy(FloatMatrix.of(x, N, k), Targets.hard(t), plain);
            Compare.assertSameBits("row losses, loss only vs with gradient", r1.rowLosses(), r3.rowLosses());

            Reference64.Result ref = Reference64.xent(Compare.widen(x), N, k, t, null, plain, true);
            Compare.check("row losses vs float64", ref.rowLoss(), Compare.widen(r1.rowLosses()), 2e-7, 2e-6);
            Compare.check("gradient vs float64", ref.grad(), Compare.widen(g1), 1e-9, 2e-6);
            // The subnormal probability survives (the fast exp would have flushed it wrongly).
            int sub = 1 * k + Math.min(k - 1, RowPass.BLOCK + 17);
            assertThat(g1[sub]).as("subnormal probability").isPositive().isLessThan(Float.MIN_NORMAL);
        }
    }

    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {2 * RowPass.BLOCK + 13, 300})
    void softmaxFastLoopMatchesTheReference(int k) {
        float[] x = batch(k, 7 * k);
        try (Engine e = Engine.over(CpuBackend.vector(1, "test"))) {
            float[] p = new float[N * k];
            e.softmax(FloatMatrix.of(x, N, k), FloatMatrix.of(p, N, k),
                    SoftmaxOptions.DEFAULTS.withNonFinite(NonFinitePolicy.PROPAGATE));
            double[] ref = Reference64.softmax(Compare.widen(x), N, k, null, false);
            Compare.check("softmax vs float64", ref, Compare.widen(p), 1e-44, 2e-6);
            float[] inPlace = x.clone();
            e.softmax(FloatMatrix.of(inPlace, N, k), FloatMatrix.of(inPlace, N, k),
                    SoftmaxOptions.DEFAULTS.withNonFinite(NonFinitePolicy.PROPAGATE));
            Compare.assertSameBits("softmax in place vs not", p, inPlace);
        }
    }

    /**
     * A row's max is read during the previous row's pass (the common case and softmax, under
     * PROPAGATE): a batch gives, row by row, the bits of each row computed alone, whatever the row
     * before or after it holds (NaN, +∞, all −∞, a max of −0 beside +0, a subnormal, an ignored
     * target, a −∞ mask, a +0 max after a −0 in the same vector lane, where a max taken by
     * a float compare and blend would keep the −0 (the keys of {@code RowPass.maxKey} order
     * them), in place or
     * not, and split over threads (NaN payloads aside: see {@link Compare#assertSameValues}). At
     * {@link RowPass#BACKWARD_K} and above every other row of a batch runs its passes in
     * the other direction than a row alone (the same bits).
     */
    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {RowPass.BLOCK + 8, 165, RowPass.BACKWARD_K + 40})
    void aRowInABatchGivesTheBitsOfTheRowAlone(int k) {
        assertThat(k).as("K of rows, not lanes").isGreaterThanOrEqualTo(Math.max(VectorKernels.XENT_LANES_K, VectorKernels.SOFTMAX_LANES_K));
        int n = 20;
        Random rnd = new Random(k);
        float[] x = new float[n * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 3);
        }
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            int o = i * k;
            t[i] = (i * 37) % k;
            switch (i % 10) {
                case 1 -> x[o + k / 2] = Float.NaN;
                case 2 -> x[o + k - 1] = Float.POSITIVE_INFINITY;                 // in the tail
                case 3 -> java.util.Arrays.fill(x, o, o + k, Float.NEGATIVE_INFINITY);
                case 4 -> {
                    java.util.Arrays.fill(x, o, o + k, -1f);
                    x[o + 3] = -0f;
                    x[o + k - 2] = 0f;
                }
                case 5 -> x[o + 1] = -150f;
                case 6 -> t[i] = -100;                                            // ignored
                case 7 -> x[o + 2] = Float.NaN;
                case 8 -> x[o + k - 5] = Float.NEGATIVE_INFINITY;
                case 9 -> {
                    // e^−20 terms sum to far below 1 in each lane: a 1 from the −0 added into
                    // lane 3 (a max of −0 makes it a tie, one of +0 a term) rounds them away.
                    java.util.Arrays.fill(x, o, o + k, -20f);
                    x[o + 3] = -0f;
                    x[o + 3 + VectorKernels.L] = 0f;
                }
                default -> { }
            }
        }
        XentOptions plain = XentOptions.builder().reduction(Reduction.NONE).nonFinite(NonFinitePolicy.PROPAGATE).build();
        SoftmaxOptions soft = SoftmaxOptions.DEFAULTS.withNonFinite(NonFinitePolicy.PROPAGATE);
        for (int threads : new int[] {1, 3}) {
            try (Engine e = Engine.over(CpuBackend.vector(threads, "test"))) {
                float[] g = new float[n * k];
                float[] p = new float[n * k];
                XentResult all = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), plain, FloatMatrix.of(g, n, k));
                e.softmax(FloatMatrix.of(x, n, k), FloatMatrix.of(p, n, k), soft);
                float[] inPlace = x.clone();
                XentResult allInPlace = e.crossEntropyWithGradient(FloatMatrix.of(inPlace, n, k), Targets.hard(t), plain,
                        FloatMatrix.of(inPlace, n, k));
                Compare.assertSameValues("gradient in place vs not, " + threads + " threads", g, inPlace);
                Compare.assertSameValues("row losses in place vs not", all.rowLosses(), allInPlace.rowLosses());
                for (int i = 0; i < n; i++) {
                    float[] row = java.util.Arrays.copyOfRange(x, i * k, (i + 1) * k);
                    float[] gi = new float[k];
                    float[] pi = new float[k];
                    XentResult one = e.crossEntropyWithGradient(FloatMatrix.of(row, 1, k), Targets.hard(new int[] {t[i]}),
                            plain, FloatMatrix.of(gi, 1, k));
                    e.softmax(FloatMatrix.of(row, 1, k), FloatMatrix.of(pi, 1, k), soft);
                    String what = "row " + i + " of " + n + ", " + threads + " threads";
                    Compare.assertSameValues("gradient, " + what, gi, java.util.Arrays.copyOfRange(g, i * k, (i + 1) * k));
                    Compare.assertSameValues("loss, " + what, one.rowLosses(), new float[] {all.rowLosses()[i]});
                    Compare.assertSameValues("softmax, " + what, pi, java.util.Arrays.copyOfRange(p, i * k, (i + 1) * k));
                }
            }
        }
    }
}
