package org.softmaxcl;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.OptionSets;
import org.softmaxcl.testing.Shapes;
import org.softmaxcl.testing.SoftmaxCase;
import org.softmaxcl.testing.Views;
import org.softmaxcl.testing.XentCase;

/**
 * Backends against each other on the same inputs: each listed backend against the first (the
 * scalar CPU reference shape), within twice the allowance each has against the float64 reference
 * (see {@link XentCase#checkAgreement}). Cases: a sample of the option pairs, shapes from the
 * sweep, and extreme rows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BackendAgreement {
    /** The backend the others are compared with, then the others. */
    protected abstract List<Backends> compared();

    static List<XentCase> cases() {
        List<XentCase> cases = new ArrayList<>();
        List<XentCase> pairs = OptionSets.pairCases(4242, true);
        for (int i = 0; i < pairs.size(); i += 7) {
            cases.add(pairs.get(i));
        }
        for (Shapes.Shape s : Shapes.sweep()) {
            if (s.n() * s.k() <= 200_000) {
                cases.add(new XentCase(s.name(), s.n(), s.k(), s.x(), s.hard(), null,
                        XentOptions.builder().rowStats(true).build()));
            }
        }
        for (Shapes.Shape s : Shapes.extremes()) {
            cases.add(new XentCase(s.name(), s.n(), s.k(), s.x(), null, s.soft(),
                    XentOptions.builder().reduction(Reduction.NONE).rowStats(true).build()));
        }
        return cases;
    }

    Stream<XentCase> xentCases() {
        return cases().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("xentCases")
    void crossEntropyAgrees(XentCase c) {
        List<Backends> b = compared();
        XentCase.Outcome first = c.run(b.get(0).engine());
        for (int i = 1; i < b.size(); i++) {
            c.checkAgreement(b.get(0) + " vs " + b.get(i), first, c.run(b.get(i).engine()));
        }
    }

    Stream<Shapes.Shape> shapes() {
        return Stream.concat(Shapes.sweep().stream().filter(s -> s.n() * s.k() <= 200_000), Shapes.extremes().stream());
    }

    /** Softmax and log-softmax agree within twice the tolerance each has against the reference. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void softmaxAgrees(Shapes.Shape s) {
        List<Backends> b = compared();
        SoftmaxCase c = new SoftmaxCase(s.name(), s.n(), s.k(), s.x(), 1f, null);
        for (boolean log : new boolean[] {false, true}) {
            float[] first = c.run(b.get(0).engine(), Views.DENSE, log);
            for (int i = 1; i < b.size(); i++) {
                float[] other = c.run(b.get(i).engine(), Views.DENSE, log);
                String what = b.get(0) + " vs " + b.get(i) + " " + c + (log ? " log-softmax" : " softmax");
                double[] ref = Data.d(first);
                if (log) {
                    Compare.check(what, ref, Data.d(other), 2e-6, 2e-5);
                } else {
                    Compare.check(what, ref, Data.d(other), Float.MIN_NORMAL, 2e-5);   // denormal p may flush to 0
                }
            }
        }
    }
}
