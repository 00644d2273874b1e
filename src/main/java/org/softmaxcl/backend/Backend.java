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

    /**
     * A zero-filled N×K matrix that stays with this backend between calls. The CPU backend's lives
     * in a Java array; a device backend's in device memory.
     */
    default DeviceData allocate(int rows, int cols) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no matrices between calls");
    }

    /**
     * The fused cross-entropy pass on device-resident operands ({@code t.logits()} and
     * {@code t.grad()} then only give the shapes): {@code x} is read on the device, the gradient is
     * written into {@code g} (which may be {@code x}) only after every row passed its checks, and
     * without statistics or per-row losses the loss comes back reduced on the device
     * ({@link RowOutputs#reduced}). Only backends whose {@link #allocate} returns non-host data
     * are asked.
     */
    default void crossEntropy(XentTask t, DeviceData x, DeviceData g, RowOutputs out) {
        throw new UnsupportedOperationException("device-resident cross-entropy");
    }

    /** Softmax on device-resident operands (see {@link #crossEntropy(XentTask, DeviceData, DeviceData, RowOutputs)}). */
    default void softmax(SoftmaxTask t, DeviceData in, DeviceData out) {
        throw new UnsupportedOperationException("device-resident softmax");
    }

    /** Kernel-only device time of the last call in nanoseconds, or −1 where there is no such measure. */
    default long lastKernelNanos() {
        return -1;
    }

    /** Releases every resource; later calls throw {@link IllegalStateException}. */
    @Override
    void close();
}
