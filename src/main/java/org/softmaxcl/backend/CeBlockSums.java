package org.softmaxcl.backend;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The plain loss sum (no sample weights, no z-loss) in blocks: Σ ce_i over the counted rows, in
 * float64, as the sum over blocks of {@value #ROWS} rows, in block order, of each block's sum
 * ({@link #of}). The order is fixed by N alone, never by threads or devices, so any backend may
 * fill the blocks' sums while its threads finish their rows ({@link #rowsDone}), and the engine
 * adds them up in the same bits as if it had summed the blocks itself.
 *
 * <p>A backend's workers call {@link #rowsDone} for each range of rows whose {@code ce} entries
 * are final; the thread whose range completes a block sums that block (its entries still in
 * that core's cache) instead of the caller's thread summing all N after the pass, alone, while
 * the other threads wait for the next call (5 % of the caller's samples at 262144×10 on two
 * threads). Thread-safe: a block's count is an atomic add, whose ordering makes every entry of
 * the block visible to the thread that completes it.
 */
public final class CeBlockSums {
    /** Rows per block. */
    public static final int ROWS = 4096;

    private final XentTask task;
    private final float[] ce;
    private final double[] sums;
    private final AtomicIntegerArray done;

    /**
     * Sums to be filled for {@code task}'s rows from {@code ce} (indexed by row).
     *
     * @throws IllegalArgumentException when ce holds fewer than the task's rows
     */
    public CeBlockSums(XentTask task, float[] ce) {
        if (ce.length < task.rows()) {
            throw new IllegalArgumentException("ce holds " + ce.length + " rows, the task " + task.rows());
        }
        this.task = task;
        this.ce = ce;
        int blocks = blocks(task.rows());
        this.sums = new double[blocks];
        this.done = new AtomicIntegerArray(blocks);
    }

    /** The number of blocks of N rows (the last one may be shorter). */
    public static int blocks(int n) {
        return (n + ROWS - 1) / ROWS;
    }

    /**
     * Records that the ce entries of rows [r0, r1) are final, and sums each block this completes.
     * Every row must be reported exactly once, from any thread.
     */
    public void rowsDone(int r0, int r1) {
        int n = task.rows();
        for (int b = r0 / ROWS; b * ROWS < r1; b++) {
            int start = b * ROWS;
            int end = Math.min(n, start + ROWS);
            int covered = Math.min(r1, end) - Math.max(r0, start);
            if (covered > 0 && done.addAndGet(b, covered) == end - start) {
                sums[b] = of(task, ce, n, b);
            }
        }
    }

    /**
     * The blocks' sums, once every row has been reported and the reporting threads have been
     * joined (block b is {@link #of}{@code (task, ce, n, b)}).
     *
     * @throws IllegalStateException when some row was not reported
     */
    public double[] sums() {
        int n = task.rows();
        for (int b = 0; b < sums.length; b++) {
            if (done.get(b) != Math.min(n, (b + 1) * ROWS) - b * ROWS) {
                throw new IllegalStateException("block " + b + " has " + done.get(b) + " rows reported");
            }
        }
        return sums;
    }

    /**
     * Block b's sum: Σ ce_i over its counted rows, in float64, in eight interleaved partial sums
     * (row i into part i mod 8) added pairwise at the end, eight chains of dependent additions
     * instead of one. When every row counts (known from the task) the rows are not tested one by
     * one.
     */
    public static double of(XentTask t, float[] ce, int n, int b) {
        boolean all = t.countedRows() == n;
        int start = b * ROWS;
        int end = Math.min(n, start + ROWS);
        double p0 = 0;
        double p1 = 0;
        double p2 = 0;
        double p3 = 0;
        double p4 = 0;
        double p5 = 0;
        double p6 = 0;
        double p7 = 0;
        int i = start;
        // Whole groups of eight first, without a test per row when every row counts.
        for (; i + 8 <= end && all; i += 8) {
            p0 += ce[i];
            p1 += ce[i + 1];
            p2 += ce[i + 2];
            p3 += ce[i + 3];
            p4 += ce[i + 4];
            p5 += ce[i + 5];
            p6 += ce[i + 6];
            p7 += ce[i + 7];
        }
        for (; i < end; i += 8) {
            // Rows past the block's end read as counted-out (adding +0 changes no partial sum).
            p0 += term(t, ce, end, all, i);
            p1 += term(t, ce, end, all, i + 1);
            p2 += term(t, ce, end, all, i + 2);
            p3 += term(t, ce, end, all, i + 3);
            p4 += term(t, ce, end, all, i + 4);
            p5 += term(t, ce, end, all, i + 5);
            p6 += term(t, ce, end, all, i + 6);
            p7 += term(t, ce, end, all, i + 7);
        }
        return ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7));
    }

    /** Row i's term: its ce when it lies before {@code end} and counts, else 0. */
    private static double term(XentTask t, float[] ce, int end, boolean all, int i) {
        return i < end && (all || t.counted(i)) ? ce[i] : 0.0;
    }
}
