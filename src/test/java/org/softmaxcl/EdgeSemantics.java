package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.Views;
import org.softmaxcl.testing.XentCase;

/**
 * Edge cases with a definite answer, each on every backend: masked classes under label smoothing
 * (+∞, not NaN), statistics under a saturating soft-cap (raw logits decide), the empty-mean
 * policies (all ignored, N = 0, all counted class weights 0), PyTorch's NaN propagation.
 */
abstract class EdgeSemantics extends BackendTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    /**
     * A masked class (−∞) has p = 0; with label smoothing its target coefficient ε/K·w is not 0, so
     * the row's loss is +∞ (PyTorch gives +∞ too), while the gradient stays finite.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void maskedClassUnderLabelSmoothingGivesInfiniteLossAndFiniteGradient(Backends backend) {
        float[] x = {1f, NEG_INF, 2f, 0.5f, 0f, NEG_INF, 3f, 1f, 2f};
        float[] y = {0.5f, 0f, 0.5f, 0f, 1f, 0f, 0.2f, 0.3f, 0.5f};
        for (Reduction red : Reduction.values()) {
            XentOptions o = XentOptions.builder().reduction(red).labelSmoothing(0.1f).rowStats(true).build();
            XentCase hard = new XentCase("masked+smoothing", 3, 3, x, new int[] {0, 1, 2}, null, o);
            XentCase soft = new XentCase("masked+smoothing", 3, 3, x, null, y, o);
            for (XentCase c : new XentCase[] {hard, soft}) {
                XentCase.Outcome out = c.run(backend.engine());
                float[] rows = out.result().rowLosses();
                assertThat(new float[] {rows[0], rows[1]}).as("%s %s losses of the masked rows", backend, c)
                        .containsExactly(Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY);
                assertThat(out.result().loss()).as("%s %s loss", backend, c).isEqualTo(Double.POSITIVE_INFINITY);
                c.check(backend.toString(), out);
            }
        }
    }

    /**
     * With a soft-cap, z = c·tanh(x/(T·c)) rounds to ±c for large |x| (in float32 from |x/c| ≈ 9,
     * in float64 from ≈ 19), so distinct logits tie in z. {@link RowStats} documents max and argmax
     * of the raw logits: the largest raw logit and its first column decide, and so does hit.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void statisticsUnderASaturatingSoftcapFollowTheRawLogits(Backends backend) {
        // Row 0 saturates in float64 too; row 1 only in float32.
        float[] x = {20f, 30f, -5f, 10f, 12f, 0f};
        XentOptions o = XentOptions.builder().softcap(1f).rowStats(true).reduction(Reduction.NONE).build();
        XentResult r = backend.engine().crossEntropy(FloatMatrix.of(x, 2, 3), Targets.hard(new int[] {1, 1}), o);
        assertThat(r.stats().max()).as("%s stats.max", backend).containsExactly(30f, 12f);
        assertThat(r.stats().argmax()).as("%s stats.argmax", backend).containsExactly(1, 1);
        assertThat(r.stats().hit()).as("%s stats.hit", backend).containsExactly(true, true);
    }

    /** Every target ignored: ZERO gives 0 and a zero gradient, NAN gives NaN and a zero gradient, THROW throws. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void meanOverNoCountedRowFollowsThePolicy(Backends backend) {
        Data d = new Data(1);
        int n = 3;
        int k = 4;
        float[] x = d.logits(n, k, 2);
        int[] ignored = {-100, -100, -100};
        for (EmptyMeanPolicy p : EmptyMeanPolicy.values()) {
            XentOptions o = XentOptions.builder().emptyMean(p).zLoss(0.01f).build();
            float[] grad = new float[n * k];
            Arrays.fill(grad, 42f);
            if (p == EmptyMeanPolicy.THROW) {
                assertThatThrownBy(() -> backend.engine().crossEntropyWithGradient(FloatMatrix.of(x, n, k),
                        Targets.hard(ignored), o, FloatMatrix.of(grad, n, k)))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("emptyMean");
                assertThat(grad).containsOnly(42f);
                continue;
            }
            XentResult r = backend.engine().crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(ignored), o,
                    FloatMatrix.of(grad, n, k));
            assertThat(r.countedRows()).isZero();
            if (p == EmptyMeanPolicy.NAN) {
                assertThat(r.loss()).as("%s NAN policy", backend).isNaN();
            } else {
                assertThat(r.loss()).as("%s ZERO policy", backend).isZero();
            }
            Compare.check(backend + " " + p + " gradient", new double[n * k], Data.d(grad), 0, 0);
        }
    }

    /** N = 0 rows: the mean is empty too (and nothing is read or written). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void noRowsAtAll(Backends backend) {
        FloatMatrix x = FloatMatrix.of(new float[0], 0, 5);
        FloatMatrix g = FloatMatrix.of(new float[0], 0, 5);
        assertThat(backend.engine().crossEntropyWithGradient(x, Targets.hard(new int[0]), XentOptions.DEFAULTS, g).loss())
                .isZero();
        assertThat(backend.engine().crossEntropy(x, Targets.hard(new int[0]),
                XentOptions.builder().emptyMean(EmptyMeanPolicy.NAN).build()).loss()).isNaN();
        assertThat(backend.engine().crossEntropy(x, Targets.soft(FloatMatrix.of(new float[0], 0, 5)),
                XentOptions.builder().reduction(Reduction.SUM).build()).loss()).isZero();
        assertThatThrownBy(() -> backend.engine().crossEntropy(x, Targets.hard(new int[0]),
                XentOptions.builder().emptyMean(EmptyMeanPolicy.THROW).build()))
                .isInstanceOf(IllegalArgumentException.class);
        backend.engine().softmax(x, g);
    }

    /**
     * Counted rows whose targets all have class weight 0: the mean's denominator Σ s·w[t] is 0,
     * which {@link EmptyMeanPolicy} lists as an empty mean ("loss 0 and a zero gradient" under
     * ZERO), also when a z-loss is set.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void meanWithZeroTotalClassWeightIsEmptyEvenWithZLoss(Backends backend) {
        Data d = new Data(2);
        int n = 3;
        int k = 4;
        float[] x = d.logits(n, k, 2);
        float[] w = {0f, 1f, 1f, 1f};
        XentOptions o = XentOptions.builder().classWeights(w).zLoss(0.01f).build();
        XentCase c = new XentCase("zero weights", n, k, x, new int[] {0, 0, 0}, null, o);
        XentCase.Outcome out = c.run(backend.engine());
        assertThat(out.result().denominator()).isZero();
        assertThat(out.result().loss()).as("%s loss of an empty mean (ZERO)", backend).isZero();
        Compare.check(backend + " gradient of an empty mean (ZERO)", new double[n * k], Data.d(out.grad()), 0, 0);
    }

    /**
     * A counted row's loss times its sample weight, as IEEE arithmetic has it: with a masked class
     * and ε = 1 the row's loss is +∞ (its target coefficient is 0, the smoothing's are not), and a
     * sample weight of 0 makes it NaN, as 0·∞ is; the row still counts (the vector kernels' small
     * rows once took such a row, h = 0 and row scale 0, for an ignored one and gave 0). 20 rows,
     * so that small-K kernels work on full groups of lanes.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aZeroSampleWeightTimesAnInfiniteLossIsNaN(Backends backend) {
        int n = 20;
        int k = 5;
        float[] x = new Data(5).logits(n, k, 2);
        x[3 * k + 1] = NEG_INF;
        float[] s = new float[n];
        Arrays.fill(s, 1f);
        s[3] = 0f;
        int[] t = new int[n];
        t[7] = -100;
        XentOptions o = XentOptions.builder().labelSmoothing(1f).sampleWeights(s).reduction(Reduction.NONE).build();
        XentResult r = backend.engine().crossEntropy(FloatMatrix.of(x, n, k), Targets.hard(t), o);
        assertThat(r.rowLosses()[3]).as("%s: 0 times the +inf loss of a masked class", backend).isNaN();
        assertThat(r.rowLosses()[7]).as("%s: an ignored row", backend).isZero();
        for (int i = 0; i < n; i++) {
            if (i != 3 && i != 7) {
                assertThat(r.rowLosses()[i]).as("%s row %d", backend, i).isFinite().isPositive();
            }
        }
        assertThat(r.countedRows()).isEqualTo(n - 1);
        assertThat(r.loss()).as("%s: the sum", backend).isNaN();
    }

    /**
     * An empty mean's gradient is zero whatever the logits: every sample weight 0 (the
     * denominator Σ s·w[t] is 0) and, under {@link NonFinitePolicy#PROPAGATE}, rows holding NaN, +∞
     * and only −∞, whose 0·(p − q) would be NaN. Into a separate gradient, in place, and between
     * device-resident matrices; under both policies that give a result.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void anEmptyMeanHasAZeroGradientEvenForNaNRows(Backends backend) {
        int n = 4;
        int k = 5;
        float[] x = new Data(4).logits(n, k, 2);
        x[k + 2] = Float.NaN;
        x[2 * k + 4] = Float.POSITIVE_INFINITY;
        Arrays.fill(x, 3 * k, 4 * k, NEG_INF);
        Targets t = Targets.hard(new int[] {0, 1, 2, 3});
        Engine e = backend.engine();
        for (EmptyMeanPolicy p : new EmptyMeanPolicy[] {EmptyMeanPolicy.ZERO, EmptyMeanPolicy.NAN}) {
            XentOptions o = XentOptions.builder().sampleWeights(new float[n]).emptyMean(p)
                    .nonFinite(NonFinitePolicy.PROPAGATE).rowStats(true).build();
            String what = backend + " " + p;
            float[] g = new float[n * k];
            Arrays.fill(g, 42f);
            XentResult r = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), t, o, FloatMatrix.of(g, n, k));
            assertThat(r.denominator()).isZero();
            if (p == EmptyMeanPolicy.NAN) {
                assertThat(r.loss()).as(what).isNaN();
            } else {
                assertThat(r.loss()).as(what).isZero();
            }
            assertThat(r.stats().lse()[1]).as("%s: the NaN row's statistics still come out", what).isNaN();
            assertThat(r.stats().lse()[0]).as("%s: and the others'", what).isFinite();
            Compare.assertSameBits(what + " gradient", new float[n * k], g);

            float[] inPlace = x.clone();
            e.crossEntropyWithGradient(FloatMatrix.of(inPlace, n, k), t, o, FloatMatrix.of(inPlace, n, k));
            Compare.assertSameBits(what + " gradient in place", new float[n * k], inPlace);

            try (DeviceMatrix dx = e.upload(FloatMatrix.of(x, n, k)); DeviceMatrix dg = e.allocate(n, k)) {
                float[] fill = new float[n * k];
                Arrays.fill(fill, 42f);
                dg.upload(FloatMatrix.of(fill, n, k));
                e.crossEntropyWithGradient(dx, t, o, dg);
                float[] back = new float[n * k];
                dg.download(FloatMatrix.of(back, n, k));
                Compare.assertSameBits(what + " device-resident gradient", new float[n * k], back);
            }
        }
    }

    /**
     * Under {@link NonFinitePolicy#PROPAGATE} (PyTorch's behaviour) a row holding NaN or +∞, and a
     * counted row of only −∞, give NaN loss and gradient; every other row is as usual, and an
     * ignored row is 0 whatever it holds.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void propagateGivesNaNRowsAndLeavesTheOthers(Backends backend) {
        Data d = new Data(3);
        int n = 6;
        int k = 5;
        float[] x = d.logits(n, k, 2);
        x[k + 2] = Float.NaN;
        x[2 * k + 4] = Float.POSITIVE_INFINITY;
        Arrays.fill(x, 3 * k, 4 * k, NEG_INF);
        x[4 * k + 1] = Float.NaN;          // row 4 is ignored
        int[] t = {0, 1, 2, 3, -100, 4};
        XentOptions o = XentOptions.builder().nonFinite(NonFinitePolicy.PROPAGATE).reduction(Reduction.NONE).build();
        XentCase c = new XentCase("propagate", n, k, x, t, null, o);
        XentCase.Outcome out = c.run(backend.engine(), Views.STRIDED, true);
        float[] rows = out.result().rowLosses();
        assertThat(rows[1]).isNaN();
        assertThat(rows[2]).isNaN();
        assertThat(rows[3]).isNaN();
        assertThat(rows[4]).isZero();
        assertThat(out.result().loss()).isNaN();
        c.check(backend.toString(), out);
    }
}
