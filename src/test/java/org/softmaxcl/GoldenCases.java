package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.cli.Npy;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Golden;

/**
 * The PyTorch golden cases (src/test/resources/golden) on every backend. The bar, per output
 * (loss, gradient; softmax output): max |engine − ref64| ≤ 2·max |torch32 − ref64| + 1e-6·max |ref64|,
 * i.e. at most twice PyTorch float32's own error plus a small floor relative to the magnitude.
 */
abstract class GoldenCases extends BackendTest {

    Stream<Arguments> cases() {
        return cross(Golden.all());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesPyTorchWithinTwiceItsFloat32Error(Backends backend, Golden g) {
        Engine e = backend.engine();
        int n = g.rows();
        int k = g.classes();
        Npy.Array logits = g.npy("logits");
        assertThat(logits.shape()).containsExactly(n, k);
        float[] x = logits.floats();
        double t = g.number("temperature", 1);
        switch (g.op()) {
            case "softmax", "log_softmax" -> {
                boolean log = g.op().equals("log_softmax");
                float[] out = new float[n * k];
                SoftmaxOptions so = SoftmaxOptions.temperature((float) t);
                if (log) {
                    e.logSoftmax(FloatMatrix.of(x, n, k), FloatMatrix.of(out, n, k), so);
                } else {
                    e.softmax(FloatMatrix.of(x, n, k), FloatMatrix.of(out, n, k), so);
                }
                bar(backend, g, "out", Compare.widen(out));
            }
            case "xent" -> {
                XentOptions.Builder b = XentOptions.builder()
                        .reduction(Reduction.valueOf(g.string("reduction") == null ? "MEAN"
                                : g.string("reduction").toUpperCase(Locale.ROOT)))
                        .labelSmoothing((float) g.number("label_smoothing", 0))
                        .ignoreIndex((int) g.number("ignore_index", XentOptions.DEFAULT_IGNORE_INDEX))
                        .temperature((float) t)
                        .zLoss((float) g.number("z_loss", 0));
                if (g.has("weights")) {
                    b.classWeights(g.npy("weights").floats());
                }
                XentOptions o = b.build();
                Targets targets = g.string("targets").equals("hard")
                        ? Targets.hard(g.npy("targets").ints())
                        : Targets.soft(FloatMatrix.of(g.npy("targets").floats(), n, k));
                float[] grad = new float[n * k];
                XentResult r = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), targets, o, FloatMatrix.of(grad, n, k));
                double[] loss = o.reduction() == Reduction.NONE ? Compare.widen(r.rowLosses()) : new double[] {r.loss()};
                bar(backend, g, "loss", loss);
                bar(backend, g, "grad", Compare.widen(grad));
            }
            default -> throw new AssertionError("unknown op " + g.op() + " in " + g.name);
        }
    }

    /** Checks one output against the bar and prints the errors (for the report). */
    private static void bar(Backends backend, Golden g, String what, double[] got) {
        double[] ref = g.doubles(what + "_ref64");
        double[] torch = g.doubles(what + "_torch32");
        assertThat(got).as("%s %s length", g, what).hasSize(ref.length);
        double torchErr = Compare.maxAbsDiff(torch, ref);
        double err = Compare.maxAbsDiff(got, ref);
        double bound = 2 * torchErr + 1e-6 * Compare.maxAbs(ref);
        System.out.printf(Locale.ROOT, "golden %-22s %-5s %-11s err %.3e  torch32 %.3e  bound %.3e%n",
                g.name, what, backend, err, torchErr, bound);
        for (int i = 0; i < ref.length; i++) {
            if (!Double.isFinite(ref[i])) {
                assertThat(got[i]).as("%s %s[%d] (non-finite reference)", g, what, i).isEqualTo(ref[i]);
            }
        }
        assertThat(err).as("%s %s on %s: max |err| vs ref64 (torch32's is %.3e)", g, what, backend, torchErr)
                .isLessThanOrEqualTo(bound);
    }
}
