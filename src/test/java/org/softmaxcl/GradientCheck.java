package org.softmaxcl;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.reference.Reference64;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.OptionSets;
import org.softmaxcl.testing.OptionSets.Feature;
import org.softmaxcl.testing.XentCase;

/**
 * Finite-difference checks of the engine's gradient, one option at a time (hard and soft targets):
 * <ol>
 *   <li>against central differences of the float64 reference loss (the true derivative);</li>
 *   <li>against central differences of the engine's own float32 loss: the engine's gradient is
 *       the derivative of the loss it reports, independent of the reference.</li>
 * </ol>
 * The upstream gradient scale multiplies the gradient only, so the differences are multiplied by
 * it before comparing.
 */
abstract class GradientCheck extends BackendTest {
    private static final List<XentCase> CASES = buildCases();

    /** One case per single option (and none), hard and soft targets, mean reduction, N = 3, K in {5, 17, 65}. */
    static List<XentCase> buildCases() {
        Data d = new Data(31337);
        List<XentCase> cases = new ArrayList<>();
        List<Set<Feature>> sets = new ArrayList<>();
        sets.add(EnumSet.noneOf(Feature.class));
        for (Feature f : Feature.values()) {
            sets.add(EnumSet.of(f));
        }
        for (Set<Feature> fs : sets) {
            for (boolean hard : new boolean[] {true, false}) {
                if (!hard && fs.contains(Feature.IGNORE_INDEX)) {
                    continue;
                }
                // K as the option-pair cases choose it (the same OpenCL program variants), N = 3.
                int k = OptionSets.kRange(fs, hard, 300)[0] + 1;
                XentCase c = OptionSets.randomCase(d, fs, Reduction.MEAN, hard, 3, k, false);
                // Moderate logits, so that every p is well away from 0 and 1 for the differences.
                float[] x = d.logits(3, k, 1.5);
                cases.add(new XentCase(c.name, c.n, c.k, x, c.hard, c.soft, c.opts));
            }
        }
        return cases;
    }

    Stream<Arguments> cases() {
        return cross(CASES);
    }

    /** The upstream scale of each row (1 when none is set). */
    private static double scale(XentCase c, int row) {
        return c.opts.gradScale(row);
    }

    /**
     * Engine gradient against central differences of the float64 loss (h = 1e-5·max(1, |x|)),
     * within the float32 allowance of {@link XentCase} plus 1e-7 of the largest gradient term for
     * the differences' own error.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void engineGradientMatchesFloat64Differences(Backends backend, XentCase c) {
        float[] grad = c.run(backend.engine()).grad();
        double[] x = Data.d(c.x);
        double[] soft = c.soft == null ? null : Data.d(c.soft);
        double[] fd = new double[x.length];
        for (int e = 0; e < x.length; e++) {
            double h = 1e-5 * Math.max(1, Math.abs(x[e]));
            double keep = x[e];
            x[e] = keep + h;
            double up = Reference64.xent(x, c.n, c.k, c.hard, soft, c.opts, false).loss();
            x[e] = keep - h;
            double down = Reference64.xent(x, c.n, c.k, c.hard, soft, c.opts, false).loss();
            x[e] = keep;
            fd[e] = (up - down) / (2 * h) * scale(c, e / c.k);
        }
        XentCase.Allowance al = c.allowance();
        double termMax = Compare.maxAbs(al.grad) / XentCase.GRAD_TOL;
        Compare.check(backend + " " + c + ": grad vs float64 differences", fd, Data.d(grad),
                i -> al.grad[i] + 1e-7 * termMax, 1e-6);
    }

    /**
     * Engine gradient against central differences of the engine's own loss, h = 1e-2·T (so the
     * float32 loss's rounding, ~1e-7·L/h, and the truncation, ~h²·L'''/6, both stay near 1e-5):
     * we allow 1e-3 of the row's largest gradient term. Loose, but independent of the reference.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void engineGradientMatchesItsOwnLoss(Backends backend, XentCase c) {
        Engine engine = backend.engine();
        float[] grad = c.run(engine).grad();
        float[] x = XentCase.copy(c.x);
        FloatMatrix xm = FloatMatrix.of(x, c.n, c.k);
        Targets targets = c.targets(org.softmaxcl.testing.Views.DENSE);
        // The loss comes from the fused call (the kernel variant whose gradient is checked).
        FloatMatrix scratch = FloatMatrix.of(new float[x.length], c.n, c.k);
        double[] fd = new double[x.length];
        for (int e = 0; e < x.length; e++) {
            float keep = x[e];
            double h = 1e-2 * c.opts.temperature(e / c.k);
            float xp = (float) (keep + h);
            float xm2 = (float) (keep - h);
            x[e] = xp;
            double up = engine.crossEntropyWithGradient(xm, targets, c.opts, scratch).loss();
            x[e] = xm2;
            double down = engine.crossEntropyWithGradient(xm, targets, c.opts, scratch).loss();
            x[e] = keep;
            fd[e] = (up - down) / ((double) xp - xm2) * scale(c, e / c.k);
        }
        XentCase.Allowance al = c.allowance();
        double[] rowTerm = new double[c.n];
        for (int i = 0; i < al.grad.length; i++) {
            rowTerm[i / c.k] = Math.max(rowTerm[i / c.k], al.grad[i] / XentCase.GRAD_TOL);
        }
        Compare.check(backend + " " + c + ": grad vs differences of the engine's loss", fd, Data.d(grad),
                i -> 1e-3 * rowTerm[i / c.k], 1e-3);
    }
}
