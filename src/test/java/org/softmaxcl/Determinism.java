package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.Views;
import org.softmaxcl.testing.XentCase;

/**
 * The same call twice gives the same bits: loss, row losses, statistics, gradient, softmax; and a
 * call on an engine that ran others before (whose per-row arrays it reuses) gives the bits a
 * fresh engine gives.
 */
abstract class Determinism extends BackendTest {

    /** 300 × 200: above the CPU backend's parallel threshold, and long enough rows for V1's trees. */
    static XentCase bigCase(boolean hard) {
        Data d = new Data(2718);
        int n = 300;
        int k = 200;
        XentOptions o = XentOptions.builder().labelSmoothing(0.1f).zLoss(1e-3f).rowStats(true)
                .sampleWeights(d.uniforms(n, 0, 2)).build();
        return new XentCase("big", n, k, d.logits(n, k, 3), hard ? d.targets(n, k, 0.1, -100) : null,
                hard ? null : d.softTargets(n, k), o);
    }

    static void assertSameResult(String what, XentCase.Outcome a, XentCase.Outcome b) {
        assertThat(Double.doubleToRawLongBits(a.result().loss())).as(what + " loss bits")
                .isEqualTo(Double.doubleToRawLongBits(b.result().loss()));
        Compare.assertSameBits(what + " row losses", a.result().rowLosses(), b.result().rowLosses());
        Compare.assertSameBits(what + " grad", a.grad(), b.grad());
        Compare.assertSameStats(what, a.result().stats(), b.result().stats());
    }

    /**
     * An engine reuses the per-row arrays of calls without row statistics: after a longer batch,
     * calls with fewer rows, other ignored rows, z-loss (which reads each row's lse), per-row
     * losses, soft targets, statistics in between, and a refused call, each give what a new
     * engine gives.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aCallAfterOthersGivesTheBitsOfAFreshEngine(Backends backend) {
        Data d = new Data(77);
        int k = 130;
        XentCase big = new XentCase("long", 700, k, d.logits(700, k, 3), d.targets(700, k, 0.0, -100), null,
                XentOptions.DEFAULTS);
        XentCase[] later = {
            new XentCase("ignored rows", 333, k, d.logits(333, k, 3), d.targets(333, k, 0.3, -100), null,
                    XentOptions.builder().ignoreIndex(-100).build()),
            new XentCase("z-loss", 301, k, d.logits(301, k, 5), d.targets(301, k, 0.1, -100), null,
                    XentOptions.builder().zLoss(1e-2f).build()),
            new XentCase("per-row losses", 90, k, d.logits(90, k, 2), d.targets(90, k, 0.2, -100), null,
                    XentOptions.builder().reduction(Reduction.NONE).build()),
            new XentCase("statistics", 450, k, d.logits(450, k, 2), d.targets(450, k, 0.1, -100), null,
                    XentOptions.builder().rowStats(true).build()),
            new XentCase("soft", 64, k, d.logits(64, k, 2), null, d.softTargets(64, k),
                    XentOptions.builder().labelSmoothing(0.1f).build()),
        };
        try (Engine used = Engine.over(backend.newBackend())) {
            big.run(used, Views.DENSE, true);
            float[] bad = big.x.clone();
            bad[5 * k + 7] = Float.NaN;
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new XentCase("refused", 700, k, bad, big.hard, null,
                    XentOptions.DEFAULTS).run(used, Views.DENSE, true)).isInstanceOf(IllegalArgumentException.class);
            for (XentCase c : later) {
                for (boolean withGrad : new boolean[] {true, false}) {
                    XentCase.Outcome again = c.run(used, Views.DENSE, withGrad);
                    try (Engine fresh = Engine.over(backend.newBackend())) {
                        assertSameResult(backend + " " + c.name + (withGrad ? "" : ", loss only"),
                                c.run(fresh, Views.DENSE, withGrad), again);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void sameCallTwiceGivesTheSameBits(Backends backend) {
        for (boolean hard : new boolean[] {true, false}) {
            XentCase c = bigCase(hard);
            assertSameResult(backend + (hard ? " hard" : " soft"), c.run(backend.engine(), Views.DENSE, true),
                    c.run(backend.engine(), Views.DENSE, true));
            float[] p1 = new float[c.n * c.k];
            float[] p2 = new float[c.n * c.k];
            backend.engine().softmax(FloatMatrix.of(c.x, c.n, c.k), FloatMatrix.of(p1, c.n, c.k));
            backend.engine().softmax(FloatMatrix.of(c.x, c.n, c.k), FloatMatrix.of(p2, c.n, c.k));
            Compare.assertSameBits(backend + " softmax", p1, p2);
        }
    }
}
