package org.softmaxcl.cpu;

import org.softmaxcl.backend.RowOutputs;

/**
 * Row kernels of the CPU backend. One implementation is the scalar reference ({@link
 * ScalarKernels}); a Vector API one may be chosen at start-up. Every method works on one row of
 * K floats at the given array offsets; an output may be the same array and offset as an input
 * (in place), never a partially overlapping range.
 */
interface CpuKernels {
    /** A short name for logs and reports ("scalar", "vector-256"). */
    String name();

    /** What a log line should add to {@link #name} about how the kernels were chosen ("" when nothing). */
    default String detail() {
        return "";
    }

    /**
     * The default of {@link CpuBackend#PARALLEL_MIN_PROPERTY} on these kernels: below this many
     * elements a call runs on the caller's thread. 2^15 here (the float32 and float64 kernels,
     * which spend 60 µs or more on 2^15 elements: two threads took 0.60–0.80× the time from 41K
     * elements on a 2-vCPU VM); the Vector API kernels, several times faster per element, start
     * later.
     */
    default long parallelMinElements() {
        return 1L << 15;
    }

    /** max of x[xo..xo+k) with NaN propagated (used by the non-finite check). */
    float rowMax(float[] x, int xo, int k);

    /**
     * The largest of {@code floatToRawIntBits(v) & 0x7FFFFFFF} over x[xo..xo+len): below
     * {@code 0x7F800000} exactly when every value is finite (the REFUSE check's first look).
     */
    default int maxAbsBits(float[] x, int xo, int len) {
        int m = 0;
        for (int j = xo; j < xo + len; j++) {
            m = Math.max(m, Float.floatToRawIntBits(x[j]) & 0x7FFFFFFF);
        }
        return m;
    }

    /** min of x[xo..xo+k) with NaN propagated (used by the soft-target check). */
    float rowMin(float[] x, int xo, int k);

    /**
     * Whether every value of x[xo..xo+len) is a valid soft target: not NaN, not below 0 (−0 is
     * 0) and not +∞ (the soft-target check's first look, one pass). The default reads the bits:
     * valid values are +0 to the largest float, and −0.
     */
    default boolean allValidTargets(float[] x, int xo, int len) {
        int hi = Integer.MIN_VALUE;
        int lo = Integer.MAX_VALUE;
        for (int j = xo; j < xo + len; j++) {
            int b = Float.floatToRawIntBits(x[j]);
            hi = Math.max(hi, b);
            lo = Math.min(lo, b - 1);
        }
        return validTargetBits(hi, lo);
    }

    /**
     * From the largest raw bits of some floats and the smallest of their raw bits minus 1 (int
     * arithmetic, wrapping): whether all are valid soft targets. Bits above the largest float's
     * are +∞ and positive NaNs; bits − 1 below −1 are the negative floats and NaNs but −0 (whose
     * bits − 1 wrap to the largest int) and +0 (−1).
     */
    static boolean validTargetBits(int hi, int lo) {
        return hi <= 0x7F7FFFFF && lo >= -1;
    }

    /** out = softmax(x / T) or its log, one row. */
    void softmaxRow(float[] x, int xo, float[] out, int oo, int k, float temperature, boolean log);

    /**
     * {@link #softmaxRow} over rows [r0, r1) of array-backed matrices (row i of x at
     * {@code xo + i·ldx}, of out at {@code oo + i·ldo}); {@code temperatures} gives each row's T;
     * {@code maxima}, when not null, the largest raw logit of every row (already computed by the
     * REFUSE check: kernels may skip their own max pass). Implementations may process several rows
     * together (small K).
     *
     * <p>Without maxima, {@code firstMax} is row r0's largest raw logit when known (NaN when not),
     * and {@code ahead} a row (or −1) whose largest raw logit the kernel may read during its last
     * row and return; it returns NaN when it did not. (See {@link CpuBackend.RowRangeAhead}.)
     */
    default float softmaxRows(int r0, int r1, float[] x, int xo, int ldx, float[] out, int oo, int ldo, int k,
                              java.util.function.IntToDoubleFunction temperatures, boolean log, float[] maxima,
                              float firstMax, int ahead) {
        for (int i = r0; i < r1; i++) {
            softmaxRow(x, xo + i * ldx, out, oo + i * ldo, k, (float) temperatures.applyAsDouble(i), log);
        }
        return Float.NaN;
    }

    /** Softmax (log == false: y = s) or log-softmax (y = log s) backward of one row. */
    void backwardRow(float[] y, int yo, float[] g, int go, float[] dx, int dxo, int k, boolean log);

    /**
     * {@link #backwardRow} over rows [r0, r1) of array-backed matrices (row i of y at
     * {@code yo + i·ldy}, of g at {@code go + i·ldg}, of dx at {@code dxo + i·lddx}).
     * Implementations may process several rows together (small K).
     */
    default void backwardRows(int r0, int r1, float[] y, int yo, int ldy, float[] g, int go, int ldg, float[] dx, int dxo,
                              int lddx, int k, boolean log) {
        for (int i = r0; i < r1; i++) {
            backwardRow(y, yo + i * ldy, g, go + i * ldg, dx, dxo + i * lddx, k, log);
        }
    }

    /**
     * The fused cross-entropy pass over row i: fills out.ce[i], out.lse[i] (and the statistics) and,
     * when g is not null, writes the gradient row g[go..go+k).
     *
     * @param y  soft target row (or null for hard targets)
     */
    void xentRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go, RowOutputs out);

    /**
     * {@link #xentRow} over rows [r0, r1) of array-backed matrices: row i of x starts at
     * {@code xo + i·ldx} (likewise y and g; y or g may be null). Implementations may process
     * several rows together (small K); the results are those of {@link #xentRow} row by row.
     * {@code firstMax}, {@code ahead} and the result: as in {@link #softmaxRows}.
     */
    default float xentRows(XentSpec s, int r0, int r1, float[] x, int xo, int ldx, float[] y, int yo, int ldy,
                           float[] g, int go, int ldg, RowOutputs out, float firstMax, int ahead) {
        for (int i = r0; i < r1; i++) {
            xentRow(s, i, x, xo + i * ldx, y, y == null ? 0 : yo + i * ldy, g, g == null ? 0 : go + i * ldg, out);
        }
        return Float.NaN;
    }

    /** Runs task(0) … task(n − 1), each once, on the backend's threads; returns when all are done. */
    interface Parallel {
        void run(int n, java.util.function.IntConsumer task);
    }

    /**
     * Whether {@link #softmaxRows} without maxima reads each row's largest value during the row
     * before (so maxima known beforehand would spare it no pass) for rows of {@code k}.
     */
    default boolean readsMaximaAhead(int k) {
        return false;
    }

    /**
     * Whether {@link #xentRows} without maxima reads each row's largest value during the row
     * before for the rows of {@code s} (a spec without maxima), or otherwise has no use for
     * maxima known beforehand.
     */
    default boolean readsMaximaAhead(XentSpec s) {
        return false;
    }

    /**
     * The shared state for running a batch of {@code rows} rows of {@code k} in parts over
     * {@code threads} threads ({@link #xentRowParts}); null where these kernels run such rows
     * whole.
     */
    default RowParts rowParts(int k, int rows, int threads) {
        return null;
    }

    /** Whether {@link #xentRowParts} takes the rows of {@code s} (when {@link #rowParts} gives a state). */
    default boolean partsRows(XentSpec s) {
        return false;
    }

    /** Whether {@link #softmaxRowParts} takes rows of {@code k} (when {@link #rowParts} gives a state). */
    default boolean partsRows(int k) {
        return false;
    }

    /**
     * One thread's share of {@link #softmaxRows} over all the rows of a batch of array-backed
     * matrices, every row in parts as {@code team} deals them ({@code maxima} as there): each
     * thread of the call runs this once, and the results are those of {@link #softmaxRow} row by
     * row.
     *
     * @throws UnsupportedOperationException where {@link #rowParts} gives no state
     * @throws RowParts.Abandoned when another thread of the call failed (which reports its own failure)
     */
    default void softmaxRowParts(float[] x, int xo, int ldx, float[] out, int oo, int ldo, int k,
                                 java.util.function.IntToDoubleFunction temperatures, boolean log, float[] maxima,
                                 RowParts team) {
        throw new UnsupportedOperationException("rows in parts");
    }

    /**
     * One thread's share of {@link #xentRows} over all the rows of a batch of array-backed
     * matrices (hard targets; g may be null: the loss alone), every row in parts as {@code team}
     * deals them: each thread of the call runs this once, and the results are those of
     * {@link #xentRow} row by row.
     *
     * @throws UnsupportedOperationException where {@link #rowParts} gives no state
     * @throws RowParts.Abandoned when another thread of the call failed (which reports its own failure)
     */
    default void xentRowParts(XentSpec s, float[] x, int xo, int ldx, float[] g, int go, int ldg, RowOutputs out,
                              RowParts team) {
        throw new UnsupportedOperationException("rows in parts");
    }

    /** Whether {@link #softmaxRowSplit} splits rows of {@code k} over threads (else it runs them whole). */
    default boolean splitsRows(int k) {
        return false;
    }

    /** Whether {@link #xentRowSplit} splits the rows of {@code s} over threads (else it runs them whole). */
    default boolean splitsRows(XentSpec s) {
        return false;
    }

    /**
     * {@link #softmaxRow} with the row's work split over {@code par}'s threads where the kernel
     * can (few rows of large K), with the same results; {@code xmax} is the row's largest raw
     * logit (as {@link #rowMax} gives it).
     */
    default void softmaxRowSplit(float[] x, int xo, float[] out, int oo, int k, float temperature, boolean log,
                                 float xmax, Parallel par) {
        softmaxRow(x, xo, out, oo, k, temperature, log);
    }

    /**
     * {@link #xentRow} (hard targets) with the row's work split over {@code par}'s threads where
     * the kernel can; {@code xmax} is the row's largest raw logit (as {@link #rowMax} gives it).
     */
    default void xentRowSplit(XentSpec s, int i, float[] x, int xo, float[] g, int go, RowOutputs out, float xmax,
                              Parallel par) {
        xentRow(s, i, x, xo, null, 0, g, go, out);
    }
}
