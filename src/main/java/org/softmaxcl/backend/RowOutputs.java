package org.softmaxcl.backend;

/**
 * Per-row quantities a backend's cross-entropy pass returns to the engine, which reduces them.
 * {@code ce} and {@code lse} are always filled for the call's rows; the statistics arrays only
 * when requested. The arrays may be longer than the call's N ({@link #capacity()}: the engine
 * reuses a set without statistics between calls, {@link #reset()}); entries past N, and those of
 * rows a backend does not fill (not counted), are never read.
 *
 * <p>{@code ce[i]} is the unweighted cross-entropy part −Σ_j a_ij log p_ij (sample weights and
 * z-loss excluded; 0 for ignored rows), {@code lse[i]} = log Σ_j exp z_ij.
 */
public final class RowOutputs {
    public final float[] ce;
    public final float[] lse;
    public final float[] max;
    public final int[] argmax;
    public final float[] targetProb;
    public final float[] entropy;
    public final boolean[] hit;

    public RowOutputs(int rows, boolean stats) {
        ce = new float[rows];
        lse = new float[rows];
        max = stats ? new float[rows] : null;
        argmax = stats ? new int[rows] : null;
        targetProb = stats ? new float[rows] : null;
        entropy = stats ? new float[rows] : null;
        hit = stats ? new boolean[rows] : null;
    }

    /**
     * Set by a device backend that reduced the rows itself (only the totals came back): Σ over
     * counted rows of s_i·ce_i and of s_i·ζ·lse_i². The per-row arrays are then not filled.
     */
    public boolean reduced;
    public double ceSum;
    public double zSum;

    /**
     * The {@link CeBlockSums#sums() sums of the blocks} of ce, when the backend filled them while
     * its threads finished their rows (a plain loss only, {@link XentTask#plainLoss()}); else null,
     * and the engine sums the blocks itself, to the same bits.
     */
    public double[] ceBlockSums;

    public boolean hasStats() {
        return max != null;
    }

    /** The rows these arrays hold: at least the N of the call they are given to. */
    public int capacity() {
        return ce.length;
    }

    /** Clears what a backend reports besides the arrays ({@link #reduced}, its sums and {@link #ceBlockSums}), for another call. */
    public void reset() {
        reduced = false;
        ceBlockSums = null;
        ceSum = 0;
        zSum = 0;
    }
}
