package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.OptionSets;
import org.softmaxcl.testing.Shapes;
import org.softmaxcl.testing.SystemProperties;
import org.softmaxcl.testing.Views;
import org.softmaxcl.testing.XentCase;

/**
 * A compact set of checks on the OpenCL layouts beyond V0 and V1: the device's default (V0v,
 * vector registers, on PoCL) and V3 (a row split over work-groups, two kernels). Each case is
 * held against the float64 reference and against the scalar CPU backend, and run in place (bit
 * identical); bad input leaves the output untouched. (The golden cases run on these layouts in
 * {@link GoldenCasesOpenClLayoutsTest}.)
 */
@Tag("opencl")
class OpenClLayoutsTest extends BackendTest {
    private static final List<XentCase> CASES = compactCases();

    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL_MORE;
    }

    /** Option cases covering every kernel flag, shapes from K = 1 to 131072, and extreme rows. */
    static List<XentCase> compactCases() {
        List<XentCase> cases = new ArrayList<>();
        List<XentCase> pairs = OptionSets.pairCases(777, true);
        for (String name : List.of("plain", "[SMOOTHING, CLASS_WEIGHTS]", "[ROW_TEMPERATURES, SOFTCAP]",
                "[Z_LOSS, SAMPLE_WEIGHTS]", "[IGNORE_INDEX, ROW_GRAD_SCALES]")) {
            pairs.stream().filter(c -> c.name.equals(name) && c.opts.reduction() == Reduction.MEAN).forEach(cases::add);
        }
        Data d = new Data(778);
        for (int[] shape : new int[][] {{5, 1}, {4, 7}, {3, 100}, {3, 4099}, {2, 131072}, {20000, 3}}) {
            Shapes.Shape s = Shapes.random(d, "shape", shape[0], shape[1]);
            cases.add(new XentCase(s.name(), s.n(), s.k(), s.x(), s.hard(), null, XentOptions.DEFAULTS));
        }
        Shapes.Shape e = Shapes.extremes().get(3);
        cases.add(new XentCase(e.name(), e.n(), e.k(), e.x(), null, e.soft(),
                XentOptions.builder().reduction(Reduction.NONE).rowStats(true).build()));
        return cases;
    }

    static List<XentCase> caseList() {
        return CASES;
    }

    Stream<org.junit.jupiter.params.provider.Arguments> cases() {
        return cross(CASES);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesTheReferenceAndTheCpu(Backends backend, XentCase c) {
        Views layout = Views.values()[CASES.indexOf(c) % Views.values().length];
        XentCase.Outcome out = c.run(backend.engine(), layout, true);
        c.check(backend + " " + layout, out);
        c.checkAgreement(Backends.CPU_SCALAR + " vs " + backend, c.run(Backends.CPU_SCALAR.engine()), out);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void inPlaceIsBitIdentical(Backends backend, XentCase c) {
        Views layout = Views.values()[CASES.indexOf(c) % Views.values().length];
        XentCase.Outcome out = c.run(backend.engine(), layout, true);
        FloatMatrix both = layout.of(c.x, c.n, c.k);
        XentResult r = backend.engine().crossEntropyWithGradient(both, c.targets(layout), c.opts, both);
        String what = backend + " " + c + " in place";
        Compare.assertSameBits(what + " grad", out.grad(), both.toArray());
        assertThat(Double.doubleToRawLongBits(r.loss())).as(what + " loss bits")
                .isEqualTo(Double.doubleToRawLongBits(out.result().loss()));
        Compare.assertSameBits(what + " row losses", out.result().rowLosses(), r.rowLosses());
        Compare.assertSameStats(what, out.result().stats(), r.stats());
    }

    /**
     * V1 and V2 can keep rows in registers between their passes (ROW_CACHE: V2's on by default,
     * V1's by softmaxcl.opencl.rowCache=true, both off by =false; V2 then takes p_j from the
     * exp(z_j - m) of pass 2): the cached kernels must give the uncached kernels' bits (rows above 2048 floats
     * run uncached under v1:64, above 1024 under v2:32, either way). V2's cached kernel is built with
     * the row length as a constant (FIXED_K) by default; it is also run without it here. Its lean
     * form (on by default, rounding differently) is off here: {@link XentLeanOpenClTest}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("caseList")
    void rowCacheGivesTheUncachedBits(XentCase c) {
        Views layout = Views.values()[CASES.indexOf(c) % Views.values().length];
        for (Backends b : List.of(Backends.OPENCL_V1, Backends.OPENCL_V2)) {
            XentCase.Outcome uncached = SystemProperties.with("softmaxcl.opencl.rowCache", "false",
                    () -> c.run(b.engine(), layout, true));
            for (String fixedK : b == Backends.OPENCL_V2 ? List.of("", "false") : List.of("")) {
                XentCase.Outcome cached = SystemProperties.with("softmaxcl.opencl.fixedK", fixedK,
                        () -> SystemProperties.with("softmaxcl.opencl.lean", "false",
                                () -> SystemProperties.with("softmaxcl.opencl.rowCache", "true", () -> c.run(b.engine(), layout, true))));
                assertSameOutcome(b + " cached" + (fixedK.isEmpty() ? "" : " (fixedK=" + fixedK + ")") + " vs uncached " + c,
                        uncached, cached);
            }
        }
    }

    /**
     * V1 and V2 can walk several consecutive rows per work-group (RPG; V2 with its row in
     * registers then loads the next row while it reduces the current one): the same arithmetic
     * per row, so the bits of one row per group, cross-entropy and softmax alike: V1 without the
     * row cache, V2 with it (rows up to 1024 floats prefetched, longer ones uncached). N = 20000
     * and 5 leave a last group with fewer rows.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("caseList")
    void rowsPerGroupGiveTheBitsOfOneRowPerGroup(XentCase c) {
        Views layout = Views.values()[CASES.indexOf(c) % Views.values().length];
        for (Backends[] pair : new Backends[][] {{Backends.OPENCL_V1, Backends.OPENCL_V1_ROWS},
                {Backends.OPENCL_V2, Backends.OPENCL_V2_ROWS}}) {
            String cache = pair[0] == Backends.OPENCL_V1 ? "false" : "true";
            XentCase.Outcome one = SystemProperties.with("softmaxcl.opencl.rowCache", cache,
                    () -> c.run(pair[0].engine(), layout, true));
            XentCase.Outcome rows = SystemProperties.with("softmaxcl.opencl.rowCache", cache,
                    () -> c.run(pair[1].engine(), layout, true));
            assertSameOutcome(pair[1] + " vs " + pair[0] + " rowCache=" + cache + " " + c, one, rows);
        }
        if (c.soft == null && c.opts.equals(XentOptions.DEFAULTS)) {
            for (Backends[] pair : new Backends[][] {{Backends.OPENCL_V1, Backends.OPENCL_V1_ROWS},
                    {Backends.OPENCL_V2, Backends.OPENCL_V2_ROWS}}) {
                FloatMatrix x = layout.of(c.x, c.n, c.k);
                FloatMatrix g = Views.DENSE.of(new Data(779).logits(c.n, c.k, 1.0), c.n, c.k);
                for (boolean log : new boolean[] {false, true}) {
                    float[] one = softmaxAndBack(pair[0].engine(), x, g, log);
                    float[] rows = softmaxAndBack(pair[1].engine(), x, g, log);
                    Compare.assertSameBits(pair[1] + " vs " + pair[0] + (log ? " log-softmax" : " softmax") + " " + c, one, rows);
                }
            }
        }
    }

    /** The same bits in the gradient, the loss, the row losses and the statistics. */
    private static void assertSameOutcome(String what, XentCase.Outcome expected, XentCase.Outcome actual) {
        Compare.assertSameBits(what + " grad", expected.grad(), actual.grad());
        assertThat(Double.doubleToRawLongBits(actual.result().loss())).as(what + " loss bits")
                .isEqualTo(Double.doubleToRawLongBits(expected.result().loss()));
        Compare.assertSameBits(what + " row losses", expected.result().rowLosses(), actual.result().rowLosses());
        Compare.assertSameStats(what, expected.result().stats(), actual.result().stats());
    }

    /** The (log-)softmax of x, then its backward pass for upstream gradient g: both results, concatenated. */
    private static float[] softmaxAndBack(Engine e, FloatMatrix x, FloatMatrix g, boolean log) {
        FloatMatrix y = FloatMatrix.of(new float[x.rows() * x.cols()], x.rows(), x.cols());
        FloatMatrix dx = FloatMatrix.of(new float[x.rows() * x.cols()], x.rows(), x.cols());
        if (log) {
            e.logSoftmax(x, y);
            e.logSoftmaxBackward(y, g, dx);
        } else {
            e.softmax(x, y);
            e.softmaxBackward(y, g, dx);
        }
        float[] both = new float[2 * x.rows() * x.cols()];
        System.arraycopy(y.toArray(), 0, both, 0, x.rows() * x.cols());
        System.arraycopy(dx.toArray(), 0, both, x.rows() * x.cols(), x.rows() * x.cols());
        return both;
    }

    /**
     * The row kernels gather the max and d − 1 in one pass, online, for long rows (two passes below
     * 16384 floats; softmaxcl.opencl.onePass forces either): both forms, forced on every case, must
     * meet the float64 reference and agree with each other.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("caseList")
    void theOnePassAndTwoPassForwardsMeetTheReferenceAndAgree(XentCase c) {
        String property = "softmaxcl.opencl.onePass";
        Views layout = Views.values()[CASES.indexOf(c) % Views.values().length];
        XentCase.Outcome onePass = SystemProperties.with(property, "true", () -> c.run(Backends.OPENCL_V2.engine(), layout, true));
        XentCase.Outcome twoPass = SystemProperties.with(property, "false", () -> c.run(Backends.OPENCL_V2.engine(), layout, true));
        c.check("V2 two-pass " + layout, twoPass);
        c.check("V2 one-pass " + layout, onePass);
        c.checkAgreement("V2 one-pass vs two-pass " + c, twoPass, onePass);
    }

    /**
     * In place, every work-group's gradient write may land before another group reads the logits:
     * a race shows only in some runs (about 1 in 100 for V3 on PoCL), so the in-place call is
     * repeated 500 times and every run's statistics and gradient must equal the out-of-place ones.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void inPlaceIsBitIdenticalOnEveryRepetition(Backends backend) {
        Data d = new Data(5);
        int n = 7;
        int k = 191;
        float[] x = d.logits(n, k, 3);
        int[] t = d.targets(n, k, 0, -100);
        XentOptions o = XentOptions.builder().rowStats(true).build();
        float[] g = new float[n * k];
        XentResult out = backend.engine().crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), o,
                FloatMatrix.of(g, n, k));
        for (int rep = 0; rep < 500; rep++) {
            float[] y = x.clone();
            XentResult r = backend.engine().crossEntropyWithGradient(FloatMatrix.of(y, n, k), Targets.hard(t), o,
                    FloatMatrix.of(y, n, k));
            String what = backend + " in place, run " + rep;
            Compare.assertSameStats(what, out.stats(), r.stats());
            Compare.assertSameBits(what + " grad", g, y);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void badInputWritesNothing(Backends backend) {
        int n = 6;
        int k = 300;
        Data d = new Data(779);
        float[] x = d.logits(n, k, 2);
        x[(n - 1) * k + 250] = Float.NaN;
        float[] y = d.softTargets(n, k);
        float[] pattern = BadInput.sentinel(n * k);
        for (Views layout : new Views[] {Views.STRIDED, Views.DIRECT}) {
            FloatMatrix g = layout.of(pattern, n, k);
            Throwable t = catchThrowable(() -> backend.engine().crossEntropyWithGradient(layout.of(x, n, k),
                    Targets.hard(d.targets(n, k, 0, -100)), XentOptions.DEFAULTS, g));
            assertThat(t).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[5, 250]");
            Compare.assertSameBits(backend + " grad untouched", pattern, g.toArray());
            float[] ybad = y.clone();
            ybad[3 * k + 7] = -1f;
            float[] finite = d.logits(n, k, 2);
            Throwable t2 = catchThrowable(() -> backend.engine().crossEntropyWithGradient(layout.of(finite, n, k),
                    Targets.soft(layout.of(ybad, n, k)), XentOptions.DEFAULTS, g));
            assertThat(t2).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("targets[3, 7] = -1.0");
            Compare.assertSameBits(backend + " grad untouched (soft)", pattern, g.toArray());
            assertThat(Views.paddingIntact(g)).isTrue();
        }
    }
}
