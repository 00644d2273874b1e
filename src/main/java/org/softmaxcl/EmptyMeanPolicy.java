package org.softmaxcl;

/**
 * What a {@link Reduction#MEAN} cross-entropy returns when its denominator is zero (every target
 * ignored, N = 0, or all counted weights zero). The mean is then empty as a whole: the z-loss term
 * is not added and the gradient is zero.
 *
 * <ul>
 *   <li>{@link #ZERO} (default, as Keras and Liger do): loss 0 and a zero gradient.</li>
 *   <li>{@link #NAN} (PyTorch parity, 0/0): loss NaN; the gradient is zero, as PyTorch's is, since
 *       no row contributes to it.</li>
 *   <li>{@link #THROW}: {@link IllegalArgumentException} before anything is written.</li>
 * </ul>
 */
public enum EmptyMeanPolicy {
    /** Loss 0 and a zero gradient (the default). */
    ZERO,
    /** Loss NaN (0/0, PyTorch's result) and a zero gradient. */
    NAN,
    /** {@link IllegalArgumentException} before anything is written. */
    THROW
}
