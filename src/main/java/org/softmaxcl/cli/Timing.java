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
        long[] s = ns.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        double median = s.length % 2 == 1 ? s[m] : (s[m - 1] + (double) s[m]) / 2;
        return new Timing(median, s[0], s[s.length - 1]);
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
