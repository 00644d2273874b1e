package org.softmaxcl.testing;

import java.util.Locale;

/**
 * Element-wise comparison in the style of llm.c's harness: element i mismatches when
 * {@code |ref_i − got_i| > atol_i + rtol·|ref_i|}. A non-finite reference must be matched exactly
 * (the same infinity, or NaN); a non-finite result against a finite reference mismatches. The
 * first five mismatches are listed in the failure message, with the total count and the largest
 * error.
 */
public final class Compare {
    private static final int SHOW = 5;

    private Compare() {
    }

    /** Compares with one absolute tolerance for every element. Returns the largest |ref − got|. */
    public static double check(String what, double[] ref, double[] got, double atol, double rtol) {
        return check(what, ref, got, i -> atol, rtol);
    }

    /** Compares with a per-element absolute tolerance. Returns the largest |ref − got|. */
    public static double check(String what, double[] ref, double[] got, double[] atol, double rtol) {
        return check(what, ref, got, i -> atol[i], rtol);
    }

    /** A per-element absolute tolerance. */
    public interface Atol {
        double at(int i);
    }

    /** Compares with a per-element absolute tolerance. Returns the largest finite |ref − got|. */
    public static double check(String what, double[] ref, double[] got, Atol atol, double rtol) {
        if (ref.length != got.length) {
            throw new AssertionError(what + ": length " + got.length + ", expected " + ref.length);
        }
        int bad = 0;
        double maxErr = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < ref.length; i++) {
            double r = ref[i];
            double g = got[i];
            double tol = atol.at(i) + rtol * Math.abs(r);
            boolean ok;
            if (!Double.isFinite(r)) {
                ok = Double.isNaN(r) ? Double.isNaN(g) : r == g;
            } else {
                double err = Math.abs(r - g);
                ok = err <= tol;          // false for a NaN result
                if (Double.isFinite(err)) {
                    maxErr = Math.max(maxErr, err);
                }
            }
            if (!ok) {
                if (bad < SHOW) {
                    first.append(String.format(Locale.ROOT, "%n  [%d] ref=%.9g got=%.9g |err|=%.3g tol=%.3g",
                            i, r, g, Math.abs(r - g), tol));
                }
                bad++;
            }
        }
        if (bad > 0) {
            throw new AssertionError(String.format(Locale.ROOT,
                    "%s: %d of %d elements differ (|ref-got| > atol + %.1g*|ref|), max |err| %.3g; first %d:%s",
                    what, bad, ref.length, rtol, maxErr, Math.min(bad, SHOW), first));
        }
        return maxErr;
    }

    /** Largest |a − b| over finite pairs (for reports). */
    public static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            if (Double.isFinite(d)) {
                m = Math.max(m, d);
            }
        }
        return m;
    }

    /** Largest |a_i| over finite values. */
    public static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            if (Double.isFinite(v)) {
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }

    /** float[] widened to double[]. */
    public static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** Both statistics are null, or every array of them holds the same bits. */
    public static void assertSameStats(String what, org.softmaxcl.RowStats a, org.softmaxcl.RowStats b) {
        if (a == null || b == null) {
            if (a != b) {
                throw new AssertionError(what + ": stats " + a + " vs " + b);
            }
            return;
        }
        assertSameBits(what + " stats.loss", a.loss(), b.loss());
        assertSameBits(what + " stats.lse", a.lse(), b.lse());
        assertSameBits(what + " stats.max", a.max(), b.max());
        assertSameBits(what + " stats.targetProb", a.targetProb(), b.targetProb());
        assertSameBits(what + " stats.entropy", a.entropy(), b.entropy());
        if (!java.util.Arrays.equals(a.argmax(), b.argmax()) || !java.util.Arrays.equals(a.hit(), b.hit())) {
            throw new AssertionError(what + ": stats.argmax or stats.hit differ");
        }
    }

    /** The bits of {@code a} and {@code b} are identical (NaN payloads included); names the first difference. */
    public static void assertSameBits(String what, float[] a, float[] b) {
        assertSame(what, a, b, true);
    }

    /**
     * As {@link #assertSameBits}, but any NaN equals any NaN: for results whose NaN comes out of
     * x86 arithmetic on NaN operands, where the payload (and sign) depends on operand order and on
     * how the JIT compiled the code.
     */
    public static void assertSameValues(String what, float[] a, float[] b) {
        assertSame(what, a, b, false);
    }

    private static void assertSame(String what, float[] a, float[] b, boolean raw) {
        if (a == null || b == null) {
            if (a != b) {
                throw new AssertionError(what + ": one of the arrays is null");
            }
            return;
        }
        if (a.length != b.length) {
            throw new AssertionError(what + ": length " + b.length + ", expected " + a.length);
        }
        for (int i = 0; i < a.length; i++) {
            boolean same = raw ? Float.floatToRawIntBits(a[i]) == Float.floatToRawIntBits(b[i])
                    : Float.floatToIntBits(a[i]) == Float.floatToIntBits(b[i]);
            if (!same) {
                throw new AssertionError(what + ": first difference at [" + i + "]: " + a[i] + " vs " + b[i]);
            }
        }
    }
}
