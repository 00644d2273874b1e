package org.softmaxcl.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.EmptyMeanPolicy;
import org.softmaxcl.Reduction;
import org.softmaxcl.XentOptions;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.Golden;
import org.softmaxcl.testing.OptionSets;
import org.softmaxcl.testing.XentCase;

/**
 * The oracle itself: it agrees with PyTorch's float64 results on the golden cases (to float64
 * rounding), and its gradient is the derivative of its loss (central differences in float64, for
 * every option and pair of options).
 */
class Reference64Test {

    static Stream<Golden> goldenCases() {
        return Golden.all().stream();
    }

    /** PyTorch float64 ("ref64") against this class, to 1e-12 relative to the largest value. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenCases")
    void agreesWithPyTorchFloat64(Golden g) {
        int n = g.rows();
        int k = g.classes();
        double[] x = g.doubles("logits");
        double t = g.number("temperature", 1);
        if (!g.op().equals("xent")) {
            double[] temps = new double[n];
            java.util.Arrays.fill(temps, (float) t);
            double[] out = Reference64.softmax(x, n, k, temps, g.op().equals("log_softmax"));
            double[] ref = g.doubles("out_ref64");
            Compare.check(g.name + " out", ref, out, 1e-12 * Compare.maxAbs(ref), 1e-12);
            return;
        }
        XentOptions.Builder b = XentOptions.builder()
                .reduction(g.string("reduction") == null ? Reduction.MEAN
                        : Reduction.valueOf(g.string("reduction").toUpperCase(Locale.ROOT)))
                .labelSmoothing((float) g.number("label_smoothing", 0))
                .ignoreIndex((int) g.number("ignore_index", XentOptions.DEFAULT_IGNORE_INDEX))
                .temperature((float) t)
                .zLoss((float) g.number("z_loss", 0));
        if (g.has("weights")) {
            b.classWeights(g.npy("weights").floats());
        }
        XentOptions o = b.build();
        boolean hard = g.string("targets").equals("hard");
        Reference64.Result r = Reference64.xent(x, n, k, hard ? g.npy("targets").ints() : null,
                hard ? null : g.doubles("targets"), o, true);
        // The options are float32 by the API: ε = 0.1 or ζ = 1e-4 reach this class rounded to float
        // (relative change up to 3e-8), PyTorch's float64 run used the decimal values.
        boolean rounded = g.number("label_smoothing", 0) != (float) g.number("label_smoothing", 0)
                || g.number("z_loss", 0) != (float) g.number("z_loss", 0);
        double rel = rounded ? 3e-8 : 1e-12;
        double[] lossRef = g.doubles("loss_ref64");
        double[] loss = o.reduction() == Reduction.NONE ? r.rowLoss() : new double[] {r.loss()};
        Compare.check(g.name + " loss", lossRef, loss, rel * Compare.maxAbs(lossRef), rel);
        double[] gradRef = g.doubles("grad_ref64");
        Compare.check(g.name + " grad", gradRef, r.grad(), rel * Compare.maxAbs(gradRef), rel);
    }

    static Stream<XentCase> fdCases() {
        List<XentCase> cases = new ArrayList<>();
        for (XentCase c : OptionSets.pairCases(11, 5, 9, false)) {
            cases.add(c);
        }
        return cases.stream();
    }

    /**
     * Central differences of the float64 loss, (L(x + h) − L(x − h)) / 2h with h = 1e-6·max(1, |x|),
     * against the analytic gradient (divided by the upstream scale, which multiplies the gradient
     * only). Truncation error is O(h²·L'''), rounding O(u·L/h) ≈ 1e-10·L: we allow 1e-6 relative to
     * the gradient's largest element plus 1e-7·|L|.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fdCases")
    void gradientIsTheDerivativeOfTheLoss(XentCase c) {
        double[] x = Data.d(c.x);
        double[] soft = c.soft == null ? null : Data.d(c.soft);
        XentOptions o = c.opts;
        XentOptions noScale = o.toBuilder().gradScale(1f).build();
        Reference64.Result r = Reference64.xent(x, c.n, c.k, c.hard, soft, noScale, true);
        double[] fd = new double[x.length];
        for (int e = 0; e < x.length; e++) {
            double h = 1e-6 * Math.max(1, Math.abs(x[e]));
            double keep = x[e];
            x[e] = keep + h;
            double up = Reference64.xent(x, c.n, c.k, c.hard, soft, noScale, false).loss();
            x[e] = keep - h;
            double down = Reference64.xent(x, c.n, c.k, c.hard, soft, noScale, false).loss();
            x[e] = keep;
            fd[e] = (up - down) / (2 * h);
        }
        double atol = 1e-6 * Compare.maxAbs(r.grad()) + 1e-7 * Math.abs(r.loss()) + 1e-12;
        Compare.check(c + ": analytic vs central differences", fd, r.grad(), atol, 1e-6);
    }

    @Test
    void upstreamScaleMultipliesTheGradientOnly() {
        Data d = new Data(5);
        int n = 4;
        int k = 6;
        double[] x = Data.d(d.logits(n, k, 2));
        int[] t = d.targets(n, k, 0, -100);
        float[] scales = {0.5f, -2f, 0f, 3f};
        Reference64.Result plain = Reference64.xent(x, n, k, t, null, XentOptions.DEFAULTS, true);
        Reference64.Result scaled = Reference64.xent(x, n, k, t, null,
                XentOptions.builder().rowGradScales(scales).build(), true);
        assertThat(scaled.loss()).isEqualTo(plain.loss());
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                assertThat(scaled.grad()[i * k + j]).isEqualTo(scales[i] * plain.grad()[i * k + j]);
            }
        }
    }

    @Test
    void oneHotGradientIsSoftmaxMinusTarget() {
        Data d = new Data(6);
        int n = 3;
        int k = 5;
        double[] x = Data.d(d.logits(n, k, 3));
        int[] t = {4, 0, 2};
        double[] p = Reference64.softmax(x, n, k, null, false);
        Reference64.Result r = Reference64.xent(x, n, k, t, null,
                XentOptions.builder().reduction(Reduction.SUM).build(), true);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                assertThat(r.grad()[i * k + j]).isCloseTo(p[i * k + j] - (j == t[i] ? 1 : 0),
                        org.assertj.core.data.Offset.offset(1e-15));
            }
        }
    }

    @Test
    void maskedLogitsHaveZeroProbabilityAndZeroTimesLogZeroIsZero() {
        double inf = Double.NEGATIVE_INFINITY;
        double[] x = {1, inf, 2, inf, 0, 0};
        Reference64.Result r = Reference64.xent(x, 2, 3, new int[] {0, 1}, null,
                XentOptions.builder().reduction(Reduction.NONE).build(), true);
        assertThat(r.rowLoss()[0]).isCloseTo(-(1 - Math.log(Math.exp(1) + Math.exp(2))),
                org.assertj.core.data.Offset.offset(1e-15));
        assertThat(r.grad()[1]).isEqualTo(0.0);
        assertThat(r.rowLoss()[1]).isEqualTo(Math.log(2));
        // With smoothing a masked class has a non-zero target coefficient: the loss is +inf.
        Reference64.Result s = Reference64.xent(x, 2, 3, new int[] {0, 1}, null,
                XentOptions.builder().reduction(Reduction.NONE).labelSmoothing(0.1f).build(), true);
        assertThat(s.rowLoss()[0]).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(java.util.Arrays.stream(s.grad()).allMatch(Double::isFinite)).isTrue();
    }

    @Test
    void emptyMeanFollowsThePolicy() {
        double[] x = {1, 2, 3, 4};
        int[] ignored = {-100, -100};
        for (EmptyMeanPolicy p : new EmptyMeanPolicy[] {EmptyMeanPolicy.ZERO, EmptyMeanPolicy.NAN}) {
            Reference64.Result r = Reference64.xent(x, 2, 2, ignored, null,
                    XentOptions.builder().emptyMean(p).zLoss(0.1f).build(), true);
            if (p == EmptyMeanPolicy.NAN) {
                assertThat(r.loss()).isNaN();
            } else {
                assertThat(r.loss()).isZero();
            }
            assertThat(r.grad()).containsOnly(0.0);
        }
        assertThatThrownBy(() -> Reference64.xent(x, 2, 2, ignored, null,
                XentOptions.builder().emptyMean(EmptyMeanPolicy.THROW).build(), false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesWhatTheEngineRefuses() {
        XentOptions o = XentOptions.DEFAULTS;
        assertThatThrownBy(() -> Reference64.xent(new double[] {0, Double.NaN}, 1, 2, new int[] {0}, null, o, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
        assertThatThrownBy(() -> Reference64.xent(new double[] {0, 1}, 1, 2, new int[] {2}, null, o, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("targets[0] = 2");
        assertThatThrownBy(() -> Reference64.xent(new double[] {0, 1}, 1, 2, null, new double[] {-1, 1}, o, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("targets[0, 0]");
        double inf = Double.NEGATIVE_INFINITY;
        assertThatThrownBy(() -> Reference64.xent(new double[] {inf, inf}, 1, 2, new int[] {0}, null, o, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 0");
    }
}
