package org.softmaxcl;

/**
 * The result of a cross-entropy call.
 *
 * @param loss        the reduced loss (mean or sum); under {@link Reduction#NONE} the sum of
 *                    {@code rowLosses}. Accumulated in float64 in a fixed order (deterministic);
 *                    NaN only under {@link EmptyMeanPolicy#NAN} or {@link NonFinitePolicy#PROPAGATE}
 * @param rowLosses   per-row losses (N values, unreduced) under {@link Reduction#NONE} or when
 *                    statistics are requested; otherwise null
 * @param stats       per-row statistics when requested, otherwise null
 * @param countedRows rows that count (not ignored)
 * @param denominator the mean's denominator (PyTorch's weighted count); 1 for sum and none
 */
public record XentResult(double loss, float[] rowLosses, RowStats stats, int countedRows, double denominator) {
}
