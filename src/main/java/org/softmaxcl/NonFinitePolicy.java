package org.softmaxcl;

/**
 * What a call does with NaN or +∞ logits and with rows whose logits are all −∞.
 *
 * <ul>
 *   <li>{@link #REFUSE} (default): {@link IllegalArgumentException} naming the argument, row,
 *       column and value, before anything of the caller's is written. On the CPU backend this
 *       costs one extra read of the logits (and of soft targets) before the fused pass; on OpenCL
 *       the kernel flags bad rows and nothing is copied back.</li>
 *   <li>{@link #PROPAGATE} (PyTorch's behaviour): no check; a row holding NaN gives NaN loss and
 *       gradient, +∞ or all −∞ gives NaN, and other rows are unaffected. Soft targets and weights
 *       are still checked.</li>
 * </ul>
 */
public enum NonFinitePolicy {
    REFUSE, PROPAGATE
}
