package org.softmaxcl.backend;

import org.softmaxcl.BackendReport;

/**
 * What the {@link org.softmaxcl.Engine} needs from a backend. Implementations receive tasks that
 * are already checked (shapes, targets, options, policies) and write results only after the whole
 * task succeeded. Internal: not part of the public API.
 *
 * <p>Implementations are thread-safe: several threads may call one backend at once.
 */
public interface Backend extends AutoCloseable {

    /** Which backend this is, on which device, and why it was chosen. */
    BackendReport report();

    /** Row-wise softmax or log-softmax of {@code t.in()} into {@code t.out()}. */
    void softmax(SoftmaxTask t);

    /** Softmax or log-softmax backward (vector-Jacobian product). */
    void backward(BackwardTask t);

    /**
     * The fused cross-entropy pass: fills {@code out} (per-row loss parts, lse and statistics) and,
     * when {@code t.grad()} is not null, writes the gradient.
     */
    void crossEntropy(XentTask t, RowOutputs out);

    /** Kernel-only device time of the last call in nanoseconds, or −1 where there is no such measure. */
    default long lastKernelNanos() {
        return -1;
    }

    /** Releases every resource; later calls throw {@link IllegalStateException}. */
    @Override
    void close();
}
