package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.softmaxcl.reference.Reference64;
import org.softmaxcl.testing.FuzzCases;
import org.softmaxcl.testing.SoftmaxCase;
import org.softmaxcl.testing.Views;
import org.softmaxcl.testing.XentCase;

/**
 * Seeded fuzzing against {@link Reference64} ({@link FuzzCases}): every case either matches the
 * oracle within the tolerances of {@link XentCase} (cross-entropy) or {@link SoftmaxCase}, or is
 * refused with {@link IllegalArgumentException} exactly when the oracle refuses it;
 * any other exception, a refusal the oracle does not make, or a wrong number is a failure (the
 * first ten are listed with their case numbers, which regenerate the case). Hangs fail through
 * the test classes' timeouts.
 */
final class Fuzz {
    /** What a run found. */
    record Report(int cases, int refused, int xent, int softmax, List<String> failures, double seconds) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d cases (%d cross-entropy, %d softmax; %d refused as the oracle refuses) "
                    + "in %.1f s, %d failures", cases, xent, softmax, refused, seconds, failures.size());
        }
    }

    private Fuzz() {
    }

    /** Runs cases [0, count) of {@code seed} on every engine. */
    static Report run(long seed, int count, boolean palette, List<Engine> engines) {
        return run(count, i -> FuzzCases.make(seed, i, palette), engines);
    }

    /** Runs cases.apply(i) for i in [0, count) on every engine. */
    static Report run(int count, java.util.function.IntFunction<FuzzCases.Case> cases, List<Engine> engines) {
        long t0 = System.nanoTime();
        List<String> failures = new ArrayList<>();
        int refused = 0;
        int xent = 0;
        int ran = 0;
        for (int i = 0; i < count && failures.size() < 10; i++, ran++) {
            FuzzCases.Case c = cases.apply(i);
            if (c.xent() != null) {
                xent++;
            }
            for (Engine e : engines) {
                String problem;
                try {
                    problem = c.xent() != null ? checkXent(c, e) : checkSoftmax(c, e);
                } catch (Throwable t) {
                    problem = t.toString();
                }
                if (problem == null) {
                    continue;
                }
                if (problem.equals(REFUSED)) {
                    refused++;
                } else {
                    failures.add(c + " on " + e.report().device() + ": " + problem);
                }
            }
        }
        return new Report(ran, refused / engines.size(), xent, ran - xent, failures, (System.nanoTime() - t0) / 1e9);
    }

    private static final String REFUSED = "refused";

    /** null when the engine matches the oracle, {@link #REFUSED} when both refuse, else what went wrong. */
    private static String checkXent(FuzzCases.Case c, Engine e) {
        XentCase x = c.xent();
        boolean oracleRefuses = false;
        String oracleWhy = null;
        try {
            x.reference(c.withGrad());
        } catch (IllegalArgumentException r) {
            oracleRefuses = true;
            oracleWhy = r.getMessage();
        }
        XentCase.Outcome out;
        try {
            out = x.run(e, c.layout(), c.withGrad());
        } catch (IllegalArgumentException r) {
            return oracleRefuses ? REFUSED : "refused what the oracle accepts: " + r.getMessage();
        }
        if (oracleRefuses) {
            return "accepted what the oracle refuses (" + oracleWhy + ")";
        }
        x.check("fuzz", out);
        return null;
    }

    /**
     * Softmax and log-softmax against {@link Reference64#softmax} with the tolerances of {@link
     * SoftmaxCase}; refused exactly when a row holds NaN or +∞ or only −∞ (under REFUSE).
     */
    private static String checkSoftmax(FuzzCases.Case c, Engine e) {
        int n = c.n();
        int k = c.k();
        boolean refuse = c.softmaxPolicy() == NonFinitePolicy.REFUSE && hasBadRow(c.x(), n, k);
        SoftmaxCase sc = new SoftmaxCase("fuzz", n, k, c.x(), 1f, c.rowTemperatures());
        SoftmaxOptions o = sc.options().withNonFinite(c.softmaxPolicy());
        Views layout = c.layout();
        FloatMatrix in = layout.of(c.x(), n, k);
        FloatMatrix out = layout.filled(n, k, Float.NaN);
        try {
            if (c.log()) {
                e.logSoftmax(in, out, o);
            } else {
                e.softmax(in, out, o);
            }
        } catch (IllegalArgumentException r) {
            return refuse ? REFUSED : "refused a valid softmax: " + r.getMessage();
        }
        if (refuse) {
            return "accepted a row the policy refuses";
        }
        assertThat(Views.paddingIntact(out) && Views.paddingIntact(in)).as("padding untouched").isTrue();
        assertThat(in.toArray()).as("input unchanged").isEqualTo(c.x());
        sc.check("fuzz", out.toArray(), c.log());
        return null;
    }

    private static boolean hasBadRow(float[] x, int n, int k) {
        for (int i = 0; i < n; i++) {
            boolean alive = false;
            for (int j = 0; j < k; j++) {
                float v = x[i * k + j];
                if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
                    return true;
                }
                alive |= v != Float.NEGATIVE_INFINITY;
            }
            if (!alive) {
                return true;
            }
        }
        return false;
    }
}
