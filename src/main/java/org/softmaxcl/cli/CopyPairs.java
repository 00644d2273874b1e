package org.softmaxcl.cli;

/**
 * The host copies paired with a benchmark's timed calls: their timing, the threads that ran them,
 * and the median over the pairs of copy time / call time, which is the call's Gelem/s as a
 * fraction of the copy's at 8 bytes per element (both move the same N·K floats).
 */
record CopyPairs(Timing timing, int threads, double ofCopy) {

    /**
     * @param copyNs  the copies' times in nanoseconds
     * @param callNs  the paired calls' times, same length
     * @param threads the threads of each copy
     */
    static CopyPairs of(long[] copyNs, long[] callNs, int threads) {
        if (copyNs.length != callNs.length) {
            throw new IllegalArgumentException(copyNs.length + " copies for " + callNs.length + " calls");
        }
        double[] ratio = new double[copyNs.length];
        for (int i = 0; i < ratio.length; i++) {
            ratio[i] = copyNs[i] / (double) Math.max(1, callNs[i]);
        }
        return new CopyPairs(Timing.of(copyNs), threads, Timing.median(ratio));
    }
}
