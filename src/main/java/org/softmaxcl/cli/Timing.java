package org.softmaxcl.cli;

import java.util.Arrays;

/**
 * Median, minimum and maximum of a set of timings in nanoseconds (the median of an even count is
 * the mean of the two middle values).
 */
record Timing(double medianNs, double minNs, double maxNs) {

    /** Summarises {@code ns} (at least one value). */
    static Timing of(long[] ns) {
        if (ns.length == 0) {
            throw new IllegalArgumentException("no timings");
        }
        double[] s = new double[ns.length];
        for (int i = 0; i < ns.length; i++) {
            s[i] = ns[i];
        }
        double median = median(s);   // sorts s
        return new Timing(median, s[0], s[s.length - 1]);
    }

    /** The median of {@code v} (at least one value; sorted in place). */
    static double median(double[] v) {
        if (v.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    double medianMs() {
        return medianNs / 1e6;
    }

    double minMs() {
        return minNs / 1e6;
    }

    double maxMs() {
        return maxNs / 1e6;
    }
}
