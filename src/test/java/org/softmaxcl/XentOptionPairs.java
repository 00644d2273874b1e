package org.softmaxcl;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.OptionSets;
import org.softmaxcl.testing.Views;
import org.softmaxcl.testing.XentCase;

/**
 * Every option alone and every pair of options, for each reduction and for hard and soft targets,
 * on random shapes with −∞ masks: loss, per-row losses, gradient and row statistics against
 * {@link org.softmaxcl.reference.Reference64} (tolerances: see {@link XentCase}). The storage
 * layout rotates over dense, strided and direct-buffer views.
 */
abstract class XentOptionPairs extends BackendTest {
    private static final List<XentCase> CASES = OptionSets.pairCases(20240601L, true);

    Stream<Arguments> cases() {
        return cross(CASES);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void lossGradientAndStatsMatchTheReference(Backends backend, XentCase c) {
        Views layout = Views.values()[CASES.indexOf(c) % Views.values().length];
        c.check(backend + " " + layout, c.run(backend.engine(), layout, true));
    }

    /**
     * The loss-only call (no gradient: another kernel variant on OpenCL) with no option and with
     * label smoothing (the other loss formula): same loss, rows and statistics.
     */
    Stream<Arguments> lossOnlyCases() {
        return cross(CASES.stream().filter(c -> c.name.equals("plain") || c.name.equals("[SMOOTHING]")).toList());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("lossOnlyCases")
    void lossWithoutGradientMatchesTheReference(Backends backend, XentCase c) {
        c.check(backend + " loss only", c.run(backend.engine(), Views.DENSE, false));
    }
}
