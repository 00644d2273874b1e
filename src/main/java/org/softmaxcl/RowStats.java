package org.softmaxcl;

/**
 * Per-row statistics of a cross-entropy call, computed in the same pass (request them with
 * {@link XentOptions.Builder#rowStats(boolean)}). Every array has N entries.
 *
 * @param loss       loss of row i before reduction: s_i·(−Σ a_ij log p_ij + ζ·lse_i²); 0 for ignored rows
 * @param lse        log Σ_j exp(z_ij), with z the temperature-scaled (and soft-capped) logits
 * @param max        the largest raw logit x_ij of the row
 * @param argmax     the first column holding that largest logit
 * @param hit        argmax equals the target (hard), or the first column of the largest target value (soft); false for ignored rows
 * @param targetProb p of the target column used by {@code hit}; NaN for ignored rows
 * @param entropy    entropy of p in nats, −Σ_j p_ij log p_ij
 */
public record RowStats(float[] loss, float[] lse, float[] max, int[] argmax, boolean[] hit, float[] targetProb,
                       float[] entropy) {

    /** Number of rows described. */
    public int rows() {
        return loss.length;
    }

    /** The fraction of counted rows whose argmax hits the target (accuracy), NaN when none counted. */
    public double accuracy(int countedRows) {
        int hits = 0;
        for (boolean h : hit) {
            if (h) {
                hits++;
            }
        }
        return countedRows == 0 ? Double.NaN : (double) hits / countedRows;
    }
}
