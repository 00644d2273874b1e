package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.OptionSets;
import org.softmaxcl.testing.Shapes;
import org.softmaxcl.testing.SystemProperties;
import org.softmaxcl.testing.Views;
import org.softmaxcl.testing.XentCase;

/**
 * The lean form of V2's cached cross-entropy kernel ({@code LEAN} in {@code xent.cl}; on wherever
 * V2 keeps its row in registers, {@code softmaxcl.opencl.lean=false} turns it off): hard targets
 * without smoothing, soft-cap or statistics, with the row's status taken from its max and sum
 * instead of per-element flags, pairwise sums per work-item and one multiply per gradient entry.
 * It rounds differently from the full form, so it is held against the float64 reference and the
 * full form's tolerance, not its bits; non-finite rows must come out NaN (or zero, ignored) where
 * the full form's do, and be refused where it refuses them. V2 with one row per group and with
 * three (the next row's quads loaded early); rows up to 1024 floats are cached under v2:32.
 */
@Tag("opencl")
class XentLeanOpenClTest {
    private static final List<Backends> V2 = List.of(Backends.OPENCL_V2, Backends.OPENCL_V2_ROWS);

    /** Every option the lean form takes (pairs of them), the shapes, and the extreme rows, without statistics. */
    static List<XentCase> cases() {
        List<XentCase> cases = new ArrayList<>();
        for (XentCase c : OptionSets.pairCases(901, 24, 1024, true)) {
            if (c.soft == null && c.opts.labelSmoothing() == 0 && c.opts.softcap() == 0 && c.opts.reduction() != Reduction.SUM) {
                cases.add(c.with(c.opts.toBuilder().rowStats(false).build()));
            }
        }
        Data d = new Data(902);
        for (int[] shape : new int[][] {{5, 1}, {4, 7}, {3, 100}, {9, 1024}, {2, 1023}, {300, 5}}) {
            Shapes.Shape s = Shapes.random(d, "shape", shape[0], shape[1]);
            cases.add(new XentCase(s.name(), s.n(), s.k(), s.x(), s.hard(), null, XentOptions.DEFAULTS));
        }
        for (Shapes.Shape e : Shapes.extremes()) {
            cases.add(new XentCase(e.name(), e.n(), e.k(), e.x(), e.hard(), null,
                    XentOptions.builder().reduction(Reduction.NONE).build()));
        }
        return cases;
    }

    /**
     * Runs with V2's row cache on (PoCL runs it only when asked) and the lean form on or off,
     * without the compile-time row length: with it, each K is a program of its own (1-2 s each on
     * PoCL); {@link #theRowLengthAsAConstantGivesTheSameBits} checks that it changes no bit.
     */
    private static <T> T lean(boolean on, Supplier<T> run) {
        return SystemProperties.with("softmaxcl.opencl.fixedK", "false", () -> SystemProperties.with("softmaxcl.opencl.rowCache", "true",
                () -> SystemProperties.with("softmaxcl.opencl.lean", Boolean.toString(on), run)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void meetsTheReferenceAndAgreesWithTheFullForm(XentCase c) {
        Views layout = Views.values()[Math.floorMod(c.toString().hashCode(), Views.values().length)];
        for (Backends b : V2) {
            XentCase.Outcome full = lean(false, () -> c.run(b.engine(), layout, true));
            XentCase.Outcome lean = lean(true, () -> c.run(b.engine(), layout, true));
            c.check(b + " lean " + layout, lean);
            c.checkAgreement(b + " lean vs full " + layout, full, lean);
            // In place the target logit is read before the gradient is written over it.
            FloatMatrix both = layout.of(c.x, c.n, c.k);
            XentResult r = lean(true, () -> b.engine().crossEntropyWithGradient(both, c.targets(layout), c.opts, both));
            Compare.assertSameBits(b + " lean in place " + c, lean.grad(), both.toArray());
            assertThat(Double.doubleToRawLongBits(r.loss())).as("%s lean in place loss bits %s", b, c)
                    .isEqualTo(Double.doubleToRawLongBits(lean.result().loss()));
        }
    }

    /** The lean form built with the row length as a constant (as GPUs run it) gives the bits it gives without. */
    @ParameterizedTest(name = "K={0}")
    @MethodSource("org.softmaxcl.XentLeanOpenClTest#constantRowLengths")
    void theRowLengthAsAConstantGivesTheSameBits(int k) {
        Data d = new Data(903 + k);
        int n = 13;
        XentCase c = new XentCase("K=" + k, n, k, d.logits(n, k, 3), d.targets(n, k, 0, -100), null, XentOptions.DEFAULTS);
        for (Backends b : V2) {
            XentCase.Outcome plain = lean(true, () -> c.run(b.engine(), Views.DENSE, true));
            XentCase.Outcome fixed = SystemProperties.with("softmaxcl.opencl.rowCache", "true",
                    () -> SystemProperties.with("softmaxcl.opencl.lean", "true", () -> c.run(b.engine(), Views.DENSE, true)));
            Compare.assertSameBits(b + " lean, FIXED_K vs not, K=" + k, plain.grad(), fixed.grad());
            assertThat(Double.doubleToRawLongBits(fixed.result().loss())).isEqualTo(Double.doubleToRawLongBits(plain.result().loss()));
        }
    }

    static Stream<Integer> constantRowLengths() {
        return Stream.of(1, 6, 128, 1000);
    }

    /** A row made bad: NaN in the middle, +inf last, only -inf, or NaN and +inf together. */
    enum Bad {
        NAN, PLUS_INF, ALL_MINUS_INF, NAN_AND_PLUS_INF;

        void plant(float[] x, int row, int k) {
            switch (this) {
                case NAN -> x[row * k + k / 2] = Float.NaN;
                case PLUS_INF -> x[row * k + k - 1] = Float.POSITIVE_INFINITY;
                case ALL_MINUS_INF -> Arrays.fill(x, row * k, (row + 1) * k, Float.NEGATIVE_INFINITY);
                default -> {
                    x[row * k] = Float.POSITIVE_INFINITY;
                    x[row * k + k - 1] = Float.NaN;
                }
            }
        }
    }

    static Stream<Arguments> nonFinite() {
        return Stream.of(1, 3, 17, 70, 300, 1000).flatMap(k -> Arrays.stream(Bad.values())
                .flatMap(bad -> Stream.of(false, true).map(ignored -> Arguments.of(k, bad, ignored))));
    }

    /**
     * Rows 2 and 5 of 7 are bad (row 5 also holds a -inf mask and ties at the max). Under
     * PROPAGATE the lean form's NaNs, zeros and row losses must sit where the full form's do
     * (row 2 ignored in half the cases), and the good rows agree within the tolerance; under
     * REFUSE both forms refuse with the same message and leave the caller's gradient untouched.
     */
    @ParameterizedTest(name = "K={0} {1} ignored={2}")
    @MethodSource("nonFinite")
    void nonFiniteRowsComeOutAsInTheFullForm(int k, Bad bad, boolean ignored) {
        int n = 7;
        Data d = new Data(41L * k + bad.ordinal());
        float[] x = d.logits(n, k, 2);
        bad.plant(x, 2, k);
        bad.plant(x, 5, k);
        if (k > 3 && bad != Bad.ALL_MINUS_INF) {
            x[5 * k + 1] = Float.NEGATIVE_INFINITY;
            x[6 * k + 1] = 9f;
            x[6 * k + 2] = 9f;
        }
        int[] t = d.targets(n, k, 0, -100);
        if (ignored) {
            t[2] = XentOptions.DEFAULT_IGNORE_INDEX;
        }
        XentOptions propagate = XentOptions.builder().reduction(Reduction.NONE).nonFinite(NonFinitePolicy.PROPAGATE).build();
        for (Backends b : V2) {
            String what = b + " K=" + k + " " + bad + (ignored ? " (row 2 ignored)" : "");
            float[] gFull = new float[n * k];
            float[] gLean = new float[n * k];
            XentResult full = lean(false, () -> b.engine().crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t),
                    propagate, FloatMatrix.of(gFull, n, k)));
            XentResult lean = lean(true, () -> b.engine().crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t),
                    propagate, FloatMatrix.of(gLean, n, k)));
            for (int i = 0; i < n; i++) {
                float lf = full.rowLosses()[i];
                float ll = lean.rowLosses()[i];
                assertThat(Float.isNaN(ll)).as("%s row %d loss %s vs full %s", what, i, ll, lf).isEqualTo(Float.isNaN(lf));
                for (int j = i * k; j < (i + 1) * k; j++) {
                    assertThat(Float.isNaN(gLean[j])).as("%s grad[%d][%d] %s vs full %s", what, i, j - i * k, gLean[j], gFull[j])
                            .isEqualTo(Float.isNaN(gFull[j]));
                }
                if (i == 2 && ignored) {
                    assertThat(ll).as("%s ignored row loss", what).isZero();
                    assertThat(Arrays.copyOfRange(gLean, i * k, (i + 1) * k)).as("%s ignored row grad", what).containsOnly(0f);
                }
                if (i != 2 && i != 5) {
                    Compare.check(what + " row " + i + " loss", new double[] {lf}, new double[] {ll}, 1e-6, 1e-5);
                    Compare.check(what + " row " + i + " grad", Data.d(Arrays.copyOfRange(gFull, i * k, (i + 1) * k)),
                            Data.d(Arrays.copyOfRange(gLean, i * k, (i + 1) * k)), 1e-7, 2e-6);
                }
            }
            XentOptions refuse = propagate.toBuilder().nonFinite(NonFinitePolicy.REFUSE).build();
            float[] kept = new float[n * k];
            Arrays.fill(kept, 3f);
            Throwable fullError = lean(false, () -> catchThrowable(() -> b.engine().crossEntropyWithGradient(
                    FloatMatrix.of(x, n, k), Targets.hard(t), refuse, FloatMatrix.of(new float[n * k], n, k))));
            Throwable leanError = lean(true, () -> catchThrowable(() -> b.engine().crossEntropyWithGradient(
                    FloatMatrix.of(x, n, k), Targets.hard(t), refuse, FloatMatrix.of(kept, n, k))));
            assertThat(fullError).as(what + " full form refuses").isNotNull();
            assertThat(leanError).as(what + " lean form refuses").isNotNull().hasMessage(fullError.getMessage())
                    .isExactlyInstanceOf(fullError.getClass());
            assertThat(kept).as(what + " gradient untouched when refused").containsOnly(3f);
        }
    }
}
