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

/** The same call twice gives the same bits: loss, row losses, statistics, gradient, softmax. */
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
