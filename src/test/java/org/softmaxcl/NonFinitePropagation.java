package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
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
 * {@link NonFinitePolicy#PROPAGATE}: a row holding NaN, +∞ or only −∞ comes out NaN (loss, every
 * gradient element, every softmax value, its statistics' lse, entropy and p of the target), with a
 * soft-cap too, and every other row is bit for bit what it is when the bad row is replaced by a
 * finite one. An ignored row with bad logits gives loss 0 and a zero gradient, as any ignored row,
 * and NaN statistics. (A counted row whose target coefficients are all 0, such as a
 * soft target row of zeros, has loss 0 whatever its logits, since 0·log p counts 0; its gradient
 * is NaN.) The default policy refuses these rows: {@link Validation}.
 */
abstract class NonFinitePropagation extends BackendTest {
    private static final int N = 7;
    private static final int BAD = 4;

    enum Bad {
        NAN, NAN_FIRST, PLUS_INF, ALL_MINUS_INF;

        void plant(float[] x, int k) {
            switch (this) {
                case NAN -> x[BAD * k + k / 2] = Float.NaN;
                case NAN_FIRST -> x[BAD * k] = Float.NaN;
                case PLUS_INF -> x[BAD * k + k - 1] = Float.POSITIVE_INFINITY;
                default -> Arrays.fill(x, BAD * k, (BAD + 1) * k, Float.NEGATIVE_INFINITY);
            }
        }
    }

    /**
     * The options around the bad row. The soft-capped kinds hold it to the same rule: c·tanh maps
     * −∞ to a finite −c, but a row of only −∞ still has no class (the bug this guards: a uniform
     * loss of log K and finite statistics came out for it). SOFTCAP_NONE has no statistics, so that
     * kernels that send only soft-capped rows with statistics to the reference are tested too.
     */
    enum Kind {
        HARD_MEAN, HARD_NONE_SMOOTHED, SOFT_SUM_STATS, IGNORED_ROW, SOFTCAP_NONE, SOFTCAP_IGNORED_ROW;

        boolean ignored() {
            return this == IGNORED_ROW || this == SOFTCAP_IGNORED_ROW;
        }

        boolean stats() {
            return this != SOFTCAP_NONE;
        }
    }

    Stream<Arguments> cases() {
        return cases(backends(), List.of(1, 3, 17, 70, 300), List.of(Kind.values()));
    }

    /** Every backend × K × {@link Bad} × kind. */
    static Stream<Arguments> cases(List<Backends> backends, List<Integer> ks, List<Kind> kinds) {
        return backends.stream().flatMap(b -> ks.stream().flatMap(k ->
                Arrays.stream(Bad.values()).flatMap(bad -> kinds.stream().map(kind -> Arguments.of(b, k, bad, kind)))));
    }

    private static XentOptions options(Kind kind) {
        XentOptions.Builder b = XentOptions.builder().nonFinite(NonFinitePolicy.PROPAGATE).rowStats(kind.stats());
        return switch (kind) {
            case HARD_NONE_SMOOTHED -> b.reduction(Reduction.NONE).labelSmoothing(0.1f).zLoss(0.01f).build();
            case SOFT_SUM_STATS -> b.reduction(Reduction.SUM).temperature(0.7f).build();
            case SOFTCAP_NONE -> b.reduction(Reduction.NONE).softcap(4f).temperature(0.9f).build();
            case SOFTCAP_IGNORED_ROW -> b.softcap(4f).temperature(0.9f).build();
            default -> b.build();
        };
    }

    @ParameterizedTest(name = "{0} K={1} {2} {3}")
    @MethodSource("cases")
    void crossEntropyGivesNaNForTheBadRowOnly(Backends backend, int k, Bad bad, Kind kind) {
        Data d = new Data(31L * k + bad.ordinal());
        float[] clean = d.logits(N, k, 2);
        float[] dirty = clean.clone();
        bad.plant(dirty, k);
        Targets t;
        if (kind == Kind.SOFT_SUM_STATS) {
            float[] y = d.softTargets(N, k);
            // A target row of zeros has loss 0 whatever the logits (0·log p counts 0): give the
            // bad row some mass, so that its loss depends on its logits.
            y[BAD * k] += 0.5f;
            t = Targets.soft(FloatMatrix.of(y, N, k));
        } else {
            int[] hard = d.targets(N, k, 0, -100);
            if (kind.ignored()) {
                hard[BAD] = XentOptions.DEFAULT_IGNORE_INDEX;
            }
            t = Targets.hard(hard);
        }
        XentOptions o = options(kind);
        Engine e = backend.engine();
        float[] gClean = new float[N * k];
        float[] gDirty = new float[N * k];
        XentResult rc = e.crossEntropyWithGradient(FloatMatrix.of(clean, N, k), t, o, FloatMatrix.of(gClean, N, k));
        XentResult rd = e.crossEntropyWithGradient(FloatMatrix.of(dirty, N, k), t, o, FloatMatrix.of(gDirty, N, k));
        for (int i = 0; i < N; i++) {
            float[] rowClean = Arrays.copyOfRange(gClean, i * k, (i + 1) * k);
            float[] rowDirty = Arrays.copyOfRange(gDirty, i * k, (i + 1) * k);
            if (i != BAD) {
                Compare.assertSameBits("grad row " + i, rowClean, rowDirty);
                assertThat(Float.floatToRawIntBits(rd.rowLosses()[i])).as("row loss %d", i)
                        .isEqualTo(Float.floatToRawIntBits(rc.rowLosses()[i]));
                if (kind.stats()) {
                    assertThat(rd.stats().argmax()[i]).isEqualTo(rc.stats().argmax()[i]);
                    assertThat(Float.floatToRawIntBits(rd.stats().lse()[i]))
                            .isEqualTo(Float.floatToRawIntBits(rc.stats().lse()[i]));
                }
                continue;
            }
            if (kind.ignored()) {
                assertThat(rd.rowLosses()[i]).as("an ignored row's loss").isZero();
                assertThat(rowDirty).as("an ignored row's gradient").containsOnly(0f);
            } else {
                assertThat(rd.rowLosses()[i]).as("the bad row's loss").isNaN();
                for (float v : rowDirty) {
                    assertThat(v).as("the bad row's gradient").isNaN();
                }
            }
            if (kind.stats()) {   // counted or not, the bad row has no lse, entropy or p of a target
                // max and argmax: the first column above every one before it, on every backend (a
                // NaN in column 0 is the max, which a running max from −∞ would skip).
                int arg = 0;
                for (int j = 1; j < k; j++) {
                    if (dirty[BAD * k + j] > dirty[BAD * k + arg]) {
                        arg = j;
                    }
                }
                assertThat(rd.stats().argmax()[i]).as("the bad row's argmax").isEqualTo(arg);
                assertThat(Float.floatToRawIntBits(rd.stats().max()[i])).as("the bad row's max")
                        .isEqualTo(Float.floatToRawIntBits(dirty[BAD * k + arg]));
                assertThat(rd.stats().lse()[i]).as("the bad row's lse").isNaN();
                assertThat(rd.stats().entropy()[i]).as("the bad row's entropy").isNaN();
                assertThat(rd.stats().targetProb()[i]).as("the bad row's p of its target").isNaN();
            }
        }
        if (kind.ignored()) {
            assertThat(Double.doubleToLongBits(rd.loss())).isEqualTo(Double.doubleToLongBits(rc.loss()));
        } else {
            assertThat(rd.loss()).isNaN();
        }
    }

    /**
     * The statistics of a row with a NaN in column 0 when the gradient goes over device-resident
     * logits in place: max NaN and argmax 0, as into a separate gradient (the kernels read column 0
     * before they write it).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendList")
    void deviceResidentInPlaceStatisticsOfANaNInColumn0(Backends backend) {
        int k = 300;
        float[] x = new Data(9).logits(N, k, 2);
        x[BAD * k] = Float.NaN;
        Targets t = Targets.hard(new Data(10).targets(N, k, 0, -100));
        XentOptions o = XentOptions.builder().nonFinite(NonFinitePolicy.PROPAGATE).rowStats(true).build();
        Engine e = backend.engine();
        try (DeviceMatrix dx = e.upload(FloatMatrix.of(x, N, k))) {
            XentResult r = e.crossEntropyWithGradient(dx, t, o, dx);
            assertThat(r.stats().argmax()[BAD]).as("%s argmax", backend).isZero();
            assertThat(r.stats().max()[BAD]).as("%s max", backend).isNaN();
        }
    }

    Stream<Arguments> softmaxCases() {
        return backends().stream().flatMap(b -> Stream.of(1, 3, 17, 70, 300).flatMap(k ->
                Arrays.stream(Bad.values()).flatMap(bad -> Stream.of(false, true).map(log -> Arguments.of(b, k, bad, log)))));
    }

    @ParameterizedTest(name = "{0} K={1} {2} log={3}")
    @MethodSource("softmaxCases")
    void softmaxGivesNaNForTheBadRowOnly(Backends backend, int k, Bad bad, boolean log) {
        Data d = new Data(17L * k + bad.ordinal());
        float[] clean = d.logits(N, k, 2);
        float[] dirty = clean.clone();
        bad.plant(dirty, k);
        SoftmaxOptions o = SoftmaxOptions.temperature(1.5f).withNonFinite(NonFinitePolicy.PROPAGATE);
        Engine e = backend.engine();
        float[] pClean = new float[N * k];
        float[] pDirty = new float[N * k];
        if (log) {
            e.logSoftmax(FloatMatrix.of(clean, N, k), FloatMatrix.of(pClean, N, k), o);
            e.logSoftmax(FloatMatrix.of(dirty, N, k), FloatMatrix.of(pDirty, N, k), o);
        } else {
            e.softmax(FloatMatrix.of(clean, N, k), FloatMatrix.of(pClean, N, k), o);
            e.softmax(FloatMatrix.of(dirty, N, k), FloatMatrix.of(pDirty, N, k), o);
        }
        for (int i = 0; i < N; i++) {
            float[] rowDirty = Arrays.copyOfRange(pDirty, i * k, (i + 1) * k);
            if (i == BAD) {
                for (float v : rowDirty) {
                    assertThat(v).as("the bad row").isNaN();
                }
            } else {
                Compare.assertSameBits("row " + i, Arrays.copyOfRange(pClean, i * k, (i + 1) * k), rowDirty);
            }
        }
    }

    /** Soft targets and weights are still checked under PROPAGATE. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendList")
    void softTargetsAreStillCheckedUnderPropagate(Backends backend) {
        float[] y = new Data(3).softTargets(N, 3);
        y[5] = Float.NaN;
        XentOptions o = XentOptions.builder().nonFinite(NonFinitePolicy.PROPAGATE).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> backend.engine().crossEntropy(
                FloatMatrix.of(new float[N * 3], N, 3), Targets.soft(FloatMatrix.of(y, N, 3)), o))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("targets[1, 2] = NaN");
    }

    List<Backends> backendList() {
        return backends();
    }
}
