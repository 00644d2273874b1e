package org.softmaxcl.cpu;

/**
 * The backward passes of {@link Float32Kernels} (the CPU path without the Vector API module):
 * softmax's dx = y·(g − s), s = Σ g_j·y_j, and log-softmax's dx = g − e^y·s, s = Σ g_j, row by
 * row over array-backed matrices, s in float64, e^y on {@link FloatExp} (+∞ from
 * {@value FloatExp#OVERFLOW_ARG} on, NaN for NaN). Stateless.
 */
final class Float32Backward {
    private Float32Backward() {
    }

    /**
     * Rows [r0, r1) of softmax's backward, dx = y·(g − s) with s = Σ g_j·y_j, or log-softmax's,
     * dx = g − e^y·s with s = Σ g_j (s in float64; e^y +∞ from {@value FloatExp#OVERFLOW_ARG} on,
     * {@link FloatExp#expAny}'s bits). Short rows element by element ({@link #backwardShort});
     * log-softmax's from {@value #CHUNKED_LOG_K} elements with its e^y by chunks
     * ({@link #logBackwardChunked}), softmax's from {@value #DOT4_K} with s over four partial sums.
     * JarPair, 2 threads, against element by element for every K: log-softmax 0.99 / 0.81–0.86 /
     * 0.71 / 0.68–0.80 of the time at K = 32 / 64 / 128 / 1000 (1.5 at K = 10); softmax's four sums
     * 0.85–0.94 at K = 1000, 1.02–1.28 at K ≤ 128. dx may be g (each g_j is read before dx_j is
     * written).
     */
    static void rows(int r0, int r1, float[] y, int yo, int ldy, float[] g, int go, int ldg, float[] dx, int dxo,
                     int lddx, int k, boolean log) {
        if (log && k >= CHUNKED_LOG_K) {
            float[][] scratch = Float32Kernels.scratch(k);
            for (int i = r0; i < r1; i++) {
                logBackwardChunked(y, yo + i * ldy, g, go + i * ldg, dx, dxo + i * lddx, k, scratch);
            }
        } else if (!log && k >= DOT4_K) {
            for (int i = r0; i < r1; i++) {
                softmaxBackwardDot4(y, yo + i * ldy, g, go + i * ldg, dx, dxo + i * lddx, k);
            }
        } else {
            backwardShortRows(r0, r1, y, yo, ldy, g, go, ldg, dx, dxo, lddx, k, log);
        }
    }

    /**
     * Rows [r0, r1) by {@link #backwardShort}, in a method of their own (inlined into
     * {@link #rows}, the same loop ran 1.1–1.2× the time at K = 10).
     */
    private static void backwardShortRows(int r0, int r1, float[] y, int yo, int ldy, float[] g, int go, int ldg,
                                          float[] dx, int dxo, int lddx, int k, boolean log) {
        for (int i = r0; i < r1; i++) {
            backwardShort(y, yo + i * ldy, g, go + i * ldg, dx, dxo + i * lddx, k, log);
        }
    }

    /** Log-softmax's backward takes its e^y by chunks from rows of this many elements on. */
    static final int CHUNKED_LOG_K = 32;
    /** Softmax's backward sums s over four partial sums from rows of this many elements on. */
    static final int DOT4_K = 256;

    /** One row of {@link #rows} element by element. */
    private static void backwardShort(float[] y, int yo, float[] g, int go, float[] dx, int dxo, int k, boolean log) {
        double acc = 0;
        for (int j = 0; j < k; j++) {
            acc += log ? g[go + j] : (double) g[go + j] * y[yo + j];
        }
        float s = (float) acc;
        for (int j = 0; j < k; j++) {
            dx[dxo + j] = log ? Math.fma(FloatExp.expAny(y[yo + j]), -s, g[go + j]) : y[yo + j] * (g[go + j] - s);
        }
    }

    /** One row of softmax's backward with s over four float64 partial sums (one chain waits on each addition). */
    private static void softmaxBackwardDot4(float[] y, int yo, float[] g, int go, float[] dx, int dxo, int k) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int j = 0;
        for (; j + 4 <= k; j += 4) {
            a0 += (double) g[go + j] * y[yo + j];
            a1 += (double) g[go + j + 1] * y[yo + j + 1];
            a2 += (double) g[go + j + 2] * y[yo + j + 2];
            a3 += (double) g[go + j + 3] * y[yo + j + 3];
        }
        for (; j < k; j++) {
            a0 += (double) g[go + j] * y[yo + j];
        }
        final float s = (float) ((a0 + a1) + (a2 + a3));
        for (j = 0; j < k; j++) {
            dx[dxo + j] = y[yo + j] * (g[go + j] - s);
        }
    }

    /**
     * One row of log-softmax's backward: s over four float64 partial sums, and e^y as
     * {@code Float32Kernels}' pass 2 takes its exponentials: {@link FloatExp#reducedRun} over a copy of y in the
     * scratch rows ({@link Float32Kernels#scratch}; vectorized), then 2^n one element at a time.
     */
    private static void logBackwardChunked(float[] y, int yo, float[] g, int go, float[] dx, int dxo, int k, float[][] scratch) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int j = 0;
        for (; j + 4 <= k; j += 4) {
            a0 += g[go + j];
            a1 += g[go + j + 1];
            a2 += g[go + j + 2];
            a3 += g[go + j + 3];
        }
        for (; j < k; j++) {
            a0 += g[go + j];
        }
        final float s = (float) ((a0 + a1) + (a2 + a3));
        final float[] zs = scratch[0];
        final float[] p = scratch[1];
        for (int c = 0; c < k; c += zs.length) {
            final int n = Math.min(zs.length, k - c);
            System.arraycopy(y, yo + c, zs, 0, n);
            FloatExp.reducedRun(zs, n, 1f, 0f, p);
            for (int i = 0; i < n; i++) {
                // expAny from the reduced polynomial, written out: through a helper of FloatExp
                // that called fromReduced (the same bits) this loop took 1.10–1.14× the time.
                final float z = zs[i];
                final float e = !(z < FloatExp.OVERFLOW_ARG) ? z + Float.POSITIVE_INFINITY   // +∞, or NaN
                        : z < FloatExp.MIN_ARG ? FloatExp.exp(z) : FloatExp.scaled(p[i], z);
                dx[dxo + c + i] = Math.fma(e, -s, g[go + c + i]);
            }
        }
    }

}
