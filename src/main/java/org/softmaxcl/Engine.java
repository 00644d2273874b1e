package org.softmaxcl;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.softmaxcl.backend.Backend;
import org.softmaxcl.backend.BackwardTask;
import org.softmaxcl.backend.Checks;
import org.softmaxcl.backend.DeviceFailureException;
import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.backend.SoftmaxTask;
import org.softmaxcl.backend.XentTask;

/**
 * Row-wise softmax, log-softmax, cross-entropy and its gradient over batches of N rows × K
 * classes of float32 logits, on one backend chosen when the engine is made (an OpenCL device,
 * or the CPU).
 *
 * <pre>{@code
 * try (Engine engine = Engine.auto()) {
 *     System.out.println(engine.report());        // backend=opencl device='...' reason='...'
 *     FloatMatrix x = FloatMatrix.of(logits, n, k);
 *     FloatMatrix dx = FloatMatrix.of(new float[n * k], n, k);
 *     XentResult r = engine.crossEntropyWithGradient(x, Targets.hard(labels), XentOptions.DEFAULTS, dx);
 * }
 * }</pre>
 *
 * <p>Every method checks its arguments first and throws {@link IllegalArgumentException} naming
 * the argument, row and value (shapes, targets, options, NaN/+∞ logits under the default policy)
 * before anything of the caller's is written; {@link NullPointerException} for null arguments;
 * {@link IllegalStateException} after {@link #close()}. Inputs are never modified except where an
 * output is the same view (in place). Results are deterministic: the same call gives the same bits.
 *
 * <p>An engine is thread-safe: any number of threads may call it at once; {@link #close()} waits
 * for calls in flight and releases every native resource. An engine that is never closed releases
 * them when it is garbage-collected (through a {@link Cleaner}; never while a call is in flight,
 * and never twice), but {@code close()} releases them at once and should be preferred. Between
 * calls an engine keeps one set of per-row scratch arrays on the Java heap (8 bytes a row of the
 * largest cross-entropy batch it ran without row statistics); {@code close()} drops it.
 */
public final class Engine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Engine.class.getName());
    /** Releases the backends of engines that were garbage-collected without {@link #close()}. */
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "softmaxcl-cleaner");
        t.setDaemon(true);
        return t;
    });

    /** The backends and the lifecycle lock: everything {@link #close()} and the cleaner touch. */
    private final Resources resources;
    private final Cleaner.Cleanable cleanable;
    /** True when a device failure during a call moves the engine to the CPU (automatic choice). */
    private final boolean fallBackOnFailure;
    /** Why the backend was chosen (the selector's words, or the fallback's). */
    private volatile String reason;

    Engine(Backend backend, String reason, boolean fallBackOnFailure) {
        this.resources = new Resources(Objects.requireNonNull(backend, "backend"));
        this.reason = reason;
        this.fallBackOnFailure = fallBackOnFailure;
        this.cleanable = CLEANER.register(this, resources);
    }

    /**
     * What an engine owns, apart from the engine itself, so that the cleaning action never refers
     * to the engine (which would keep it reachable forever). {@link #run()} is the release: run at
     * most once (by {@link #close()} or by the cleaner, {@link Cleaner.Cleanable} guarantees it), and
     * only after calls in flight have left (it takes the write lock they hold for reading).
     */
    private static final class Resources implements Runnable {
        final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
        volatile Backend backend;
        /** A device backend that failed and was replaced; released with the engine. */
        Backend failed;
        /** Guarded by the write lock; read under the read lock. */
        boolean closed;
        /** Set by {@link Engine#close()} before it runs the release (so the cleaner's runs can be told apart). */
        volatile boolean closeCalled;

        Resources(Backend backend) {
            this.backend = backend;
        }

        @Override
        public void run() {
            lifecycle.writeLock().lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                if (!closeCalled) {
                    LOG.log(System.Logger.Level.DEBUG, "softmax-cl: an engine was garbage-collected without close(); "
                            + "releasing {0}", backend.report());
                }
                try {
                    backend.close();
                } finally {
                    if (failed != null) {
                        failed.close();
                    }
                }
            } finally {
                lifecycle.writeLock().unlock();
            }
        }
    }

    /**
     * The engine of this environment: the backend named by the system property {@value
     * BackendChoice#PROPERTY} or the environment variable {@value BackendChoice#ENV} ({@code auto},
     * {@code cpu}, {@code opencl}), {@code auto} when neither is set. {@code auto} never fails for
     * want of a device: it falls back to the CPU and says why in {@link #report()}.
     *
     * @throws IllegalStateException when OpenCL was asked for explicitly and no device works
     */
    public static Engine auto() {
        return create(BackendChoice.fromEnvironment());
    }

    /**
     * An engine on the chosen backend.
     *
     * @throws IllegalStateException for {@link BackendChoice#OPENCL} when no OpenCL device works
     */
    public static Engine create(BackendChoice choice) {
        return of(BackendSelector.select(Objects.requireNonNull(choice, "choice")), choice);
    }

    /**
     * An engine on the chosen backend whose CPU backend (the engine's, or the one {@code auto}
     * measures the OpenCL device against) runs on {@code cpuThreads} threads instead of the
     * {@code softmaxcl.threads} setting.
     *
     * @throws IllegalArgumentException when {@code cpuThreads < 1}
     * @throws IllegalStateException    for {@link BackendChoice#OPENCL} when no OpenCL device works
     */
    public static Engine create(BackendChoice choice, int cpuThreads) {
        if (cpuThreads < 1) {
            throw new IllegalArgumentException("cpuThreads must be >= 1, got " + cpuThreads);
        }
        return of(BackendSelector.select(Objects.requireNonNull(choice, "choice"), () -> cpuThreads), choice);
    }

    private static Engine of(BackendSelector.Selection s, BackendChoice choice) {
        return new Engine(s.backend(), s.reason(), choice == BackendChoice.AUTO);
    }

    /** An engine on the CPU backend. */
    public static Engine cpu() {
        return create(BackendChoice.CPU);
    }

    /**
     * An engine on an OpenCL device.
     *
     * @throws IllegalStateException when no OpenCL device works, with the reason
     */
    public static Engine openCl() {
        return create(BackendChoice.OPENCL);
    }

    /** An engine over a backend made elsewhere (tests, benchmarks). */
    public static Engine over(Backend backend) {
        return new Engine(backend, backend.report().reason(), false);
    }

    /** The backend, the device and why they were chosen. */
    public BackendReport report() {
        BackendReport r = resources.backend.report();
        return new BackendReport(r.kind(), r.device(), reason);
    }

    /**
     * Device time of the kernels of the last call on this engine in nanoseconds, from OpenCL
     * profiling events; −1 on the CPU backend. A diagnostic: with several threads calling, "last"
     * is whichever call finished last.
     */
    public long lastKernelNanos() {
        return resources.backend.lastKernelNanos();
    }

    /** The backend in use. */
    public BackendKind backendKind() {
        return resources.backend.report().kind();
    }

    // ---------------------------------------------------------------- softmax

    /**
     * Returns softmax of the dense {@code rows × cols} logits in a new array.
     *
     * @param logits exactly {@code rows·cols} values, row-major. Not modified
     * @throws IllegalArgumentException when {@code logits.length != rows·cols}
     */
    public float[] softmax(float[] logits, int rows, int cols) {
        FloatMatrix in = FloatMatrix.of(Objects.requireNonNull(logits, "logits"), rows, cols);
        if (in.size() != logits.length) {
            throw new IllegalArgumentException("logits: " + logits.length + " values, but a dense " + rows + "x" + cols
                    + " matrix has " + in.size());
        }
        float[] out = new float[logits.length];
        softmax(in, FloatMatrix.of(out, rows, cols), SoftmaxOptions.DEFAULTS);
        return out;
    }

    /** {@code out = softmax(in)} row-wise with T = 1. */
    public void softmax(FloatMatrix in, FloatMatrix out) {
        softmax(in, out, SoftmaxOptions.DEFAULTS);
    }

    /**
     * {@code out_ij = exp(z_ij) / Σ_k exp(z_ik)} with {@code z = in / T}, N×K.
     *
     * @param in   logits. Not modified (unless {@code out} is the same view)
     * @param out  probabilities, same shape; may be {@code in} itself. Modified
     * @param opts temperature and non-finite policy
     */
    public void softmax(FloatMatrix in, FloatMatrix out, SoftmaxOptions opts) {
        SoftmaxTask task = Checks.softmax(in, out, false, opts);
        call(b -> {
            b.softmax(task);
            return null;
        });
    }

    /** {@code out = log_softmax(in)} row-wise with T = 1. */
    public void logSoftmax(FloatMatrix in, FloatMatrix out) {
        logSoftmax(in, out, SoftmaxOptions.DEFAULTS);
    }

    /**
     * {@code out_ij = z_ij − log Σ_k exp(z_ik)} with {@code z = in / T}, N×K.
     *
     * @param in   logits. Not modified (unless {@code out} is the same view)
     * @param out  log-probabilities, same shape; may be {@code in} itself. Modified
     */
    public void logSoftmax(FloatMatrix in, FloatMatrix out, SoftmaxOptions opts) {
        SoftmaxTask task = Checks.softmax(in, out, true, opts);
        call(b -> {
            b.softmax(task);
            return null;
        });
    }

    /**
     * Softmax backward (vector-Jacobian product): {@code gradIn = s ⊙ (gradOut − ⟨gradOut, s⟩)}
     * row-wise, the gradient with respect to the softmax's input z (divide by T for x = T·z).
     *
     * @param probs   s = softmax(z), N×K. Not modified
     * @param gradOut upstream gradient ∂L/∂s, N×K. Not modified unless {@code gradIn} is the same view
     * @param gradIn  ∂L/∂z, N×K; may be {@code gradOut} itself. Modified
     */
    public void softmaxBackward(FloatMatrix probs, FloatMatrix gradOut, FloatMatrix gradIn) {
        BackwardTask task = Checks.backward(probs, gradOut, gradIn, false);
        call(b -> {
            b.backward(task);
            return null;
        });
    }

    /**
     * Log-softmax backward: {@code gradIn = gradOut − exp(logProbs) · Σ_j gradOut_j} row-wise.
     *
     * @param logProbs log_softmax(z), N×K. Not modified
     * @param gradOut  upstream gradient, N×K. Not modified unless {@code gradIn} is the same view
     * @param gradIn   ∂L/∂z, N×K; may be {@code gradOut} itself. Modified
     */
    public void logSoftmaxBackward(FloatMatrix logProbs, FloatMatrix gradOut, FloatMatrix gradIn) {
        BackwardTask task = Checks.backward(logProbs, gradOut, gradIn, true);
        call(b -> {
            b.backward(task);
            return null;
        });
    }

    /**
     * The explicit K×K Jacobian of softmax(x/T) for one row, row-major:
     * {@code J[i·K + k] = ∂s_i/∂x_k = s_i (δ_ik − s_k) / T}. For teaching and checks; computed on
     * the CPU in float64 whatever the backend.
     *
     * @param row         K logits (1 ≤ K ≤ 4096), finite. Not modified
     * @param temperature T > 0
     * @return a new float[K·K]
     */
    public float[] jacobian(float[] row, float temperature) {
        return Jacobian.of(row, temperature);
    }

    // ---------------------------------------------------------------- cross-entropy

    /** Cross-entropy with PyTorch's defaults (mean, ignore index −100); no gradient. */
    public XentResult crossEntropy(FloatMatrix logits, Targets targets) {
        return crossEntropy(logits, targets, XentOptions.DEFAULTS);
    }

    /**
     * Cross-entropy loss without the gradient (see {@link XentOptions} for the formulas).
     *
     * @param logits x, N×K. Not modified
     * @param targets N class indices or an N×K distribution. Not modified
     */
    public XentResult crossEntropy(FloatMatrix logits, Targets targets, XentOptions opts) {
        return xent(logits, targets, opts, null);
    }

    /**
     * The fused pass: the cross-entropy loss and its gradient with respect to the logits, one read
     * of the logits and one write of the gradient.
     *
     * @param logits x, N×K. Not modified unless {@code grad} is the same view
     * @param targets N class indices or an N×K distribution. Not modified
     * @param opts   the options
     * @param grad   receives ∂L/∂x (times the upstream scale), N×K; may be {@code logits} itself
     *               (in place, bit-identical to out of place). Modified
     */
    public XentResult crossEntropyWithGradient(FloatMatrix logits, Targets targets, XentOptions opts, FloatMatrix grad) {
        Objects.requireNonNull(grad, "grad");
        return xent(logits, targets, opts, grad);
    }

    /**
     * One spare set of the per-row arrays (loss parts and lse, 8 bytes a row) that a cross-entropy
     * call without row statistics fills and reduces, kept for the next call: those arrays never
     * leave the engine, and allocating and zeroing them on every call cost 5–10% of a call at
     * 262144×10 on two threads (JarPair on a 2-core Xeon: 0.90–0.94× the time with the spare, in
     * both orders; no change at 16384×1000). Calls that ask for
     * statistics get arrays of their own, which their {@link RowStats} keep.
     */
    private final AtomicReference<RowOutputs> spareRows = new AtomicReference<>();

    /** Arrays for a call of {@code rows} rows: the spare when it is free and long enough. */
    private RowOutputs rowOutputs(int rows, boolean stats) {
        if (stats) {
            return new RowOutputs(rows, true);
        }
        RowOutputs r = spareRows.getAndSet(null);
        if (r == null || r.capacity() < rows) {
            return new RowOutputs(rows, false);
        }
        r.reset();
        return r;
    }

    /** Keeps {@code r} as the spare (the longer of it and the one kept, when another call gave one back meanwhile). */
    private void giveBack(RowOutputs r) {
        if (!r.hasStats()) {
            spareRows.accumulateAndGet(r, (kept, back) -> kept == null || kept.capacity() < back.capacity() ? back : kept);
        }
    }

    private XentResult xent(FloatMatrix logits, Targets targets, XentOptions opts, FloatMatrix grad) {
        XentTask task = Checks.xent(logits, targets, opts, grad);
        return call(b -> {
            RowOutputs rows = rowOutputs(task.rows(), opts.rowStats());
            try {
                XentTask pass = withoutEmptyGradient(task);
                b.crossEntropy(pass, rows);
                if (pass != task) {
                    zero(task.grad());
                }
                return LossReduction.reduce(task, rows);
            } finally {
                giveBack(rows);
            }
        });
    }

    /**
     * The pass to run for {@code task}: itself, or for an empty mean with a gradient the pass
     * without it, whose gradient the caller then zeros. An empty mean's gradient is zero whatever
     * the logits ({@link EmptyMeanPolicy}); the kernels would write 0·(p − q), which is NaN for a
     * row with a NaN logit under {@link NonFinitePolicy#PROPAGATE}. Zeroed after the pass, so a
     * refused call has written nothing.
     */
    private static XentTask withoutEmptyGradient(XentTask task) {
        return task.emptyMean() && task.grad() != null ? task.withoutGradient() : task;
    }

    /** Sets every element of {@code g} to +0. */
    private static void zero(FloatMatrix g) {
        int k = g.cols();
        if (g.hasArray()) {
            for (int i = 0; i < g.rows(); i++) {
                java.util.Arrays.fill(g.array(), g.rowStart(i), g.rowStart(i) + k, 0f);
            }
            return;
        }
        float[] zeros = new float[k];
        for (int i = 0; i < g.rows(); i++) {
            g.setRow(i, zeros, 0);
        }
    }

    // ---------------------------------------------------------------- device-resident matrices

    /**
     * A zero-filled N×K matrix that stays with this engine's backend between calls (device memory
     * on OpenCL).
     *
     * @throws IllegalArgumentException for rows &lt; 0, cols &lt; 1, or more than the device can hold
     */
    public DeviceMatrix allocate(int rows, int cols) {
        FloatMatrix.shapeOf(rows, cols);
        return call(b -> new DeviceMatrix(this, b, b.allocate(rows, cols)));
    }

    /** A device matrix holding a copy of {@code src}. */
    public DeviceMatrix upload(FloatMatrix src) {
        Objects.requireNonNull(src, "src");
        DeviceMatrix d = allocate(src.rows(), src.cols());
        try {
            d.upload(src);
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }

    /** Cross-entropy of device-resident logits (see {@link #crossEntropy(FloatMatrix, Targets, XentOptions)}). */
    public XentResult crossEntropy(DeviceMatrix logits, Targets targets, XentOptions opts) {
        return xent(logits, targets, opts, null);
    }

    /**
     * The fused pass on device-resident matrices: the logits are not uploaded again, the gradient
     * stays on the device (it may be {@code logits} itself), and unless per-row losses or
     * statistics are asked for, only the reduced loss comes back. Semantics, checks and results are
     * those of {@link #crossEntropyWithGradient(FloatMatrix, Targets, XentOptions, FloatMatrix)};
     * {@code grad} is written only when every row passed its checks. A device failure is passed on
     * (the matrices live on that device), not rerun on the CPU.
     */
    public XentResult crossEntropyWithGradient(DeviceMatrix logits, Targets targets, XentOptions opts, DeviceMatrix grad) {
        Objects.requireNonNull(grad, "grad");
        return xent(logits, targets, opts, grad);
    }

    /** Softmax of device-resident logits into a device matrix ({@code out} may be {@code in}). */
    public void softmax(DeviceMatrix in, DeviceMatrix out, SoftmaxOptions opts) {
        softmaxResident(in, out, false, opts);
    }

    /** Log-softmax of device-resident logits into a device matrix ({@code out} may be {@code in}). */
    public void logSoftmax(DeviceMatrix in, DeviceMatrix out, SoftmaxOptions opts) {
        softmaxResident(in, out, true, opts);
    }

    private void softmaxResident(DeviceMatrix in, DeviceMatrix out, boolean log, SoftmaxOptions opts) {
        mine("in", in);
        mine("out", out);
        SoftmaxTask task = Checks.softmax(in.shape, out.shape, log, opts);
        onOwner(in, () -> {
            if (!in.onDevice()) {
                in.owner.softmax(task);
            } else {
                in.owner.softmax(task, in.data, out.data);
            }
            return null;
        });
    }

    private XentResult xent(DeviceMatrix logits, Targets targets, XentOptions opts, DeviceMatrix grad) {
        mine("logits", logits);
        if (grad != null) {
            mine("grad", grad);
        }
        XentTask task = Checks.xent(logits.shape, targets, opts, grad == null ? null : grad.shape);
        return onOwner(logits, () -> {
            RowOutputs rows = rowOutputs(task.rows(), opts.rowStats());
            try {
                XentTask pass = withoutEmptyGradient(task);
                if (!logits.onDevice()) {
                    logits.owner.crossEntropy(pass, rows);
                } else {
                    logits.owner.crossEntropy(pass, logits.data, pass.grad() == null ? null : grad.data, rows);
                }
                if (pass != task) {
                    grad.data.zero();
                }
                return LossReduction.reduce(task, rows);
            } finally {
                giveBack(rows);
            }
        });
    }

    private void mine(String name, DeviceMatrix m) {
        Objects.requireNonNull(m, name);
        if (m.engine != this) {
            throw new IllegalArgumentException(name + ": " + m + " belongs to another engine");
        }
    }

    /** Runs an action on a matrix under the engine's lifecycle lock (used by {@link DeviceMatrix}). */
    void withMatrix(DeviceMatrix m, Runnable action) {
        onOwner(m, () -> {
            action.run();
            return null;
        });
    }

    private <T> T onOwner(DeviceMatrix m, java.util.function.Supplier<T> action) {
        return call(b -> {
            if (m.isClosed()) {
                throw new IllegalStateException(m + " is closed");
            }
            if (m.owner != b) {
                throw new IllegalStateException(m + " lives on a backend this engine left after a device failure");
            }
            return action.get();
        }, false);
    }

    // ---------------------------------------------------------------- lifecycle

    /** Releases the backend's resources after calls in flight finish. Idempotent. */
    @Override
    public void close() {
        resources.closeCalled = true;
        cleanable.clean();      // the release, run once and unregistered from the cleaner
        resources.run();        // a no-op, which waits while another thread's close() is releasing
        spareRows.set(null);    // no call is in flight any more
    }

    /**
     * Runs a checked task on the current backend. A device failure on an automatically chosen
     * engine moves it to the CPU backend (once, logged) and runs the task there; the failed call
     * wrote nothing of the caller's, so the rerun starts clean.
     */
    private <T> T call(java.util.function.Function<Backend, T> task) {
        return call(task, fallBackOnFailure);
    }

    private <T> T call(java.util.function.Function<Backend, T> task, boolean fallBackOnFailure) {
        Resources r = resources;
        r.lifecycle.readLock().lock();
        try {
            if (r.closed) {
                throw new IllegalStateException("engine is closed");
            }
            Backend b = r.backend;
            try {
                return task.apply(b);
            } catch (DeviceFailureException e) {
                if (!fallBackOnFailure) {
                    throw e;
                }
                return task.apply(fallBack(b, e));
            }
        } finally {
            r.lifecycle.readLock().unlock();
            // The engine stays reachable until the call is over: the cleaner cannot release its
            // backend under a call in flight (the JIT may otherwise drop 'this' once it is unused).
            Reference.reachabilityFence(this);
        }
    }

    private Backend fallBack(Backend broken, DeviceFailureException e) {
        Resources r = resources;
        synchronized (r) {
            if (r.backend == broken) {
                String why = "auto: " + broken.report().kind().name().toLowerCase(java.util.Locale.ROOT)
                        + " failed during a call (" + e.getMessage() + "); fell back to the CPU";
                LOG.log(System.Logger.Level.WARNING, "softmax-cl: {0}", why);
                r.backend = new org.softmaxcl.cpu.CpuBackend(BackendSelector.threads(), why);
                r.failed = broken;
                reason = why;
            }
            return r.backend;
        }
    }

    @Override
    public String toString() {
        return "Engine[" + report() + "]";
    }
}
