package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.OptionSets;
import org.softmaxcl.testing.Views;
import org.softmaxcl.testing.XentCase;

/**
 * In place (the output view is the input view) gives the same bits as out of place: the fused
 * gradient over the logits (every option set, every layout), softmax, log-softmax, and the
 * backward passes over the upstream gradient.
 */
abstract class InPlace extends BackendTest {
    /** A sample of the option cases: every eleventh (all features and shapes appear). */
    private static final List<XentCase> CASES = sample();

    static List<XentCase> sample() {
        List<XentCase> all = OptionSets.pairCases(8080, true);
        return java.util.stream.IntStream.range(0, all.size()).filter(i -> i % 11 == 0).mapToObj(all::get).toList();
    }

    Stream<Arguments> cases() {
        return cross(CASES);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void gradientInPlaceIsBitIdentical(Backends backend, XentCase c) {
        Views layout = Views.values()[CASES.indexOf(c) % Views.values().length];
        Engine e = backend.engine();
        XentCase.Outcome out = c.run(e, layout, true);
        FloatMatrix both = layout.of(c.x, c.n, c.k);
        XentResult r = e.crossEntropyWithGradient(both, c.targets(layout), c.opts, both);
        Compare.assertSameBits(backend + " " + c + " in-place grad", out.grad(), both.toArray());
        assertThat(Views.paddingIntact(both)).isTrue();
        assertThat(Double.doubleToRawLongBits(r.loss())).as("loss bits").isEqualTo(Double.doubleToRawLongBits(out.result().loss()));
        Compare.assertSameBits("row losses", out.result().rowLosses(), r.rowLosses());
        Compare.assertSameStats(backend + " " + c, out.result().stats(), r.stats());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void softmaxAndBackwardInPlaceAreBitIdentical(Backends backend, XentCase c) {
        Views layout = Views.values()[CASES.indexOf(c) % Views.values().length];
        Engine e = backend.engine();
        int n = c.n;
        int k = c.k;
        for (boolean log : new boolean[] {false, true}) {
            FloatMatrix out = layout.filled(n, k, 0f);
            FloatMatrix both = layout.of(c.x, n, k);
            if (log) {
                e.logSoftmax(layout.of(c.x, n, k), out);
                e.logSoftmax(both, both);
            } else {
                e.softmax(layout.of(c.x, n, k), out);
                e.softmax(both, both);
            }
            Compare.assertSameBits(backend + " " + c + (log ? " log-softmax" : " softmax") + " in place", out.toArray(),
                    both.toArray());
            // Backward over the upstream gradient in place (gradIn == gradOut); g = the logits with −∞ → 0.
            float[] g = c.x.clone();
            for (int i = 0; i < g.length; i++) {
                g[i] = Float.isFinite(g[i]) ? g[i] / 10 : 0f;
            }
            FloatMatrix dx = layout.filled(n, k, 0f);
            FloatMatrix gBoth = layout.of(g, n, k);
            if (log) {
                e.logSoftmaxBackward(out, layout.of(g, n, k), dx);
                e.logSoftmaxBackward(out, gBoth, gBoth);
            } else {
                e.softmaxBackward(out, layout.of(g, n, k), dx);
                e.softmaxBackward(out, gBoth, gBoth);
            }
            Compare.assertSameBits(backend + " " + c + " backward in place", dx.toArray(), gBoth.toArray());
            assertThat(Views.paddingIntact(both) && Views.paddingIntact(gBoth)).isTrue();
        }
    }
}
