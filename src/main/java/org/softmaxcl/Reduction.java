package org.softmaxcl;

/**
 * How per-row cross-entropy losses are combined, as in PyTorch's {@code reduction} argument.
 *
 * <ul>
 *   <li>{@link #NONE}: one loss per row ({@link XentResult#rowLosses()}); the gradient is that of
 *       the sum.</li>
 *   <li>{@link #SUM}: the sum over rows.</li>
 *   <li>{@link #MEAN}: the sum divided by PyTorch's denominator: Σ over counted rows of
 *       sampleWeight·w[t] for hard targets (the counted-row count without weights), Σ of the sample
 *       weights (else N) for soft targets. The z-loss term is divided by the sum of the
 *       counted rows' sample weights (their count without sample weights). A zero denominator is an
 *       empty mean: see {@link EmptyMeanPolicy}.</li>
 * </ul>
 */
public enum Reduction {
    NONE, SUM, MEAN
}
