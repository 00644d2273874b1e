package org.softmaxcl.cpu;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.softmaxcl.BackendKind;
import org.softmaxcl.BackendReport;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.backend.Backend;
import org.softmaxcl.backend.BackwardTask;
import org.softmaxcl.backend.CeBlockSums;
import org.softmaxcl.backend.Checks;
import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.backend.SoftmaxTask;
import org.softmaxcl.backend.XentTask;

/**
 * The pure-Java backend: row kernels ({@link CpuKernels}) applied to chunks of contiguous rows,
 * which the caller's thread and a small pool take in turn as they finish theirs (a core slowed by
 * another tenant of the machine takes fewer); a thread reserves its next chunk before it runs the
 * current one, so that the kernels read the next chunk's first row max during the current one's
 * last row, as they do between the rows of a chunk. A row's result depends on the row alone, never
 * on which thread took it or when (chunks of small K start on a multiple of {@value #ROW_ALIGN}
 * rows, where the lane kernels' groups of rows start), so the results do not depend on the thread
 * count (NaN payloads aside: x86 arithmetic on NaN operands picks one by operand order).
 * Matrices backed by direct buffers are processed a row at a time through a per-range scratch row.
 * Under {@link NonFinitePolicy#REFUSE} a first read-only pass checks every row before anything
 * is written.
 */
public final class CpuBackend implements Backend {
    /**
     * From this K on, the REFUSE check's row maxima are kept for a pass that would otherwise read
     * each row once more for its max (see {@link #keepMaxima}).
     */
    static final int KEEP_MAXIMA_FROM_K = 64;
    /**
     * System property: below this many elements (N·K) a call runs on the caller's thread alone
     * (default {@link CpuKernels#parallelMinElements}: 2^17 on the Vector API kernels, 2^15 on
     * the others; the test suite sets 32768 so that its mid-size batches run on several threads
     * whichever kernels run).
     */
    public static final String PARALLEL_MIN_PROPERTY = "softmaxcl.cpu.parallelMinElements";

    /**
     * {@link #PARALLEL_MIN_PROPERTY}'s value: {@code byDefault} when unset, else a whole number ≥ 0.
     *
     * @throws IllegalArgumentException naming the property and its value when it is not
     */
    static long parallelMinElements(String value, long byDefault) {
        if (value == null) {
            return byDefault;
        }
        try {
            long v = Long.parseLong(value.trim());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(PARALLEL_MIN_PROPERTY + " must be an integer >= 0, got '" + value + "'");
    }

    private final CpuKernels kernels;
    private final int threads;
    private final String reason;
    /** Calls of fewer elements run on the caller's thread ({@link #PARALLEL_MIN_PROPERTY}). */
    private final long parallelMinElements;
    private final ExecutorService pool;
    private volatile boolean closed;

    /**
     * @param threads number of threads (≥ 1) a call may use
     * @param reason  why the engine runs on the CPU (for the report)
     * @throws IllegalArgumentException when threads &lt; 1, or {@link #PARALLEL_MIN_PROPERTY} is
     *                                  set to anything but a whole number ≥ 0
     */
    public CpuBackend(int threads, String reason) {
        this(CpuKernelsProvider.kernels(), threads, reason);
    }

    CpuBackend(CpuKernels kernels, int threads, String reason) {
        this(kernels, threads, reason,
                parallelMinElements(System.getProperty(PARALLEL_MIN_PROPERTY), kernels.parallelMinElements()));
    }

    /** With calls of fewer than {@code parallelMinElements} elements on the caller's thread. */
    CpuBackend(CpuKernels kernels, int threads, String reason, long parallelMinElements) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.kernels = kernels;
        this.threads = threads;
        this.reason = reason;
        this.parallelMinElements = parallelMinElements;
        this.pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, new DaemonThreads()) : null;
    }

    /** A backend on the scalar reference kernels (for tests and comparisons). */
    public static CpuBackend scalar(int threads, String reason) {
        return new CpuBackend(new ScalarKernels(), threads, reason);
    }

    /**
     * A backend on the plain-Java float32 kernels, the path of a JVM without the Vector API module
     * (for tests and comparisons).
     */
    public static CpuBackend float32(int threads, String reason) {
        return new CpuBackend(new Float32Kernels(), threads, reason);
    }

    /**
     * A backend on the Vector API kernels.
     *
     * @throws IllegalStateException when jdk.incubator.vector is not readable
     */
    public static CpuBackend vector(int threads, String reason) {
        return new CpuBackend(CpuKernelsProvider.vector(), threads, reason);
    }

    /** Name of the kernel path in use ("scalar", "scalar-float32", "vector-256", …). */
    public String kernelPath() {
        return kernels.name();
    }

    @Override
    public BackendReport report() {
        return new BackendReport(BackendKind.CPU, "Java " + Runtime.version().feature() + " " + kernels.name()
                + " kernels, " + threads + " thread" + (threads == 1 ? "" : "s"), reason);
    }

    @Override
    public org.softmaxcl.backend.DeviceData allocate(int rows, int cols) {
        ensureOpen();
        return new HostData(rows, cols);
    }

    @Override
    public void softmax(SoftmaxTask t) {
        ensureOpen();
        int k = t.cols();
        FloatMatrix in = t.in();
        FloatMatrix out = t.out();
        boolean arrays = in.hasArray() && out.hasArray();
        // As in crossEntropy: the check's row maxima are kept for the pass where they are small.
        float[] maxima = null;
        if (t.opts().nonFinite() == NonFinitePolicy.REFUSE) {
            maxima = arrays && keepMaxima(k, t.rows(), kernels.readsMaximaAhead(k)) ? new float[t.rows()] : null;
            checkLogits(in, null, "logits", i -> t.opts().temperature(i),
                    t.opts().hasRowTemperatures() ? Float.NaN : Checks.invT(t.opts().temperature()), maxima);
        }
        if (arrays && inParts() && kernels.partsRows(k)) {
            // Long rows: every row in parts over the threads, in step (RowParts).
            RowParts team = kernels.rowParts(k, t.rows(), partThreads());
            if (team != null) {
                float[] mx = maxima;
                runInParts(team, () -> kernels.softmaxRowParts(in.array(), in.offset(), in.stride(), out.array(),
                        out.offset(), out.stride(), k, i -> t.opts().temperature(i), t.log(), mx, team));
                return;
            }
        }
        if (arrays && t.rows() < threads && kernels.splitsRows(k)) {
            // Fewer rows than threads: each row split over the threads in segments.
            for (int i = 0; i < t.rows(); i++) {
                float xmax = maxima != null ? maxima[i] : splitRowMax(in.array(), in.rowStart(i), k);
                kernels.softmaxRowSplit(in.array(), in.rowStart(i), out.array(), out.rowStart(i), k,
                        t.opts().temperature(i), t.log(), xmax, this::parallel);
            }
            return;
        }
        if (arrays) {
            float[] mx = maxima;
            forRows(t.rows(), k, (r0, r1, firstMax, ahead) -> kernels.softmaxRows(r0, r1, in.array(), in.offset(),
                    in.stride(), out.array(), out.offset(), out.stride(), k, i -> t.opts().temperature(i), t.log(), mx,
                    firstMax, ahead));
            return;
        }
        forRows(t.rows(), k, (r0, r1) -> {
            float[] xs = in.hasArray() ? null : new float[k];
            float[] os = out.hasArray() ? null : new float[k];
            for (int i = r0; i < r1; i++) {
                float[] xa = in.hasArray() ? in.array() : xs;
                int xo = in.hasArray() ? in.rowStart(i) : 0;
                if (!in.hasArray()) {
                    in.getRow(i, xs, 0);
                }
                float[] oa = out.hasArray() ? out.array() : os;
                int oo = out.hasArray() ? out.rowStart(i) : 0;
                kernels.softmaxRow(xa, xo, oa, oo, k, t.opts().temperature(i), t.log());
                if (!out.hasArray()) {
                    out.setRow(i, os, 0);
                }
            }
        });
    }

    @Override
    public void backward(BackwardTask t) {
        ensureOpen();
        int k = t.cols();
        FloatMatrix y = t.y();
        FloatMatrix g = t.g();
        FloatMatrix dx = t.dx();
        if (y.hasArray() && g.hasArray() && dx.hasArray()) {
            forRows(t.rows(), k, (r0, r1) -> kernels.backwardRows(r0, r1, y.array(), y.offset(), y.stride(), g.array(),
                    g.offset(), g.stride(), dx.array(), dx.offset(), dx.stride(), k, t.log()));
            return;
        }
        forRows(t.rows(), k, (r0, r1) -> {
            float[] ys = y.hasArray() ? null : new float[k];
            float[] gs = g.hasArray() ? null : new float[k];
            float[] ds = dx.hasArray() ? null : new float[k];
            for (int i = r0; i < r1; i++) {
                if (!y.hasArray()) {
                    y.getRow(i, ys, 0);
                }
                if (!g.hasArray()) {
                    g.getRow(i, gs, 0);
                }
                float[] da = dx.hasArray() ? dx.array() : ds;
                int dOff = dx.hasArray() ? dx.rowStart(i) : 0;
                kernels.backwardRow(y.hasArray() ? y.array() : ys, y.hasArray() ? y.rowStart(i) : 0,
                        g.hasArray() ? g.array() : gs, g.hasArray() ? g.rowStart(i) : 0, da, dOff, k, t.log());
                if (!dx.hasArray()) {
                    dx.setRow(i, ds, 0);
                }
            }
        });
    }

    @Override
    public void crossEntropy(XentTask t, RowOutputs out) {
        ensureOpen();
        int k = t.cols();
        // With a gradient to write, every row is checked before any is written (one extra read of
        // the logits). A loss-only call writes nothing of the caller's, so it checks afterwards, and
        // only the rows whose lse came out non-finite: every refused row does, and no other, except
        // under a soft-cap, which maps +inf and -inf to finite z (±c): then it checks beforehand.
        boolean refuse = t.opts().nonFinite() == NonFinitePolicy.REFUSE;
        boolean checkAfter = t.grad() == null && t.opts().softcap() == 0;
        // The check's row maxima are kept (N floats, where K is large enough for that to be small
        // beside N·K) when the pass would otherwise read each row once more for its max.
        float[] maxima = null;
        if (refuse && !checkAfter) {
            boolean readsAhead = k >= KEEP_MAXIMA_FROM_K && allArrays(t) && kernels.readsMaximaAhead(new XentSpec(t, null));
            maxima = keepMaxima(k, t.rows(), readsAhead) ? new float[t.rows()] : null;
            checkLogits(t.logits(), t, "logits", i -> t.opts().temperature(i),
                    t.opts().hasRowTemperatures() ? Float.NaN : Checks.invT(t.opts().temperature()), maxima);
        }
        if (!t.hard()) {
            checkSoftTargets(t.targets().distribution());
        }
        compute(t, out, maxima);
        if (refuse && checkAfter) {
            refuseAfterwards(t, out);
        }
    }

    /**
     * Whether the REFUSE check keeps each row's max for the pass: from {@value #KEEP_MAXIMA_FROM_K}
     * floats a row, unless the pass reads every row's max during the row before anyway
     * ({@code readsAhead}, on array-backed matrices of at least one row per thread). Then the check
     * keeps nothing and, in the common case, is only its first read-only look over the matrix
     * ({@link #checkLogits}): paired on a 2-core Xeon (JarPair, 2 threads), 16384×1000 REFUSE took
     * 0.8 of the time it took with the maxima kept and the pass not pipelined (bench/RESULTS.md).
     */
    private boolean keepMaxima(int k, int rows, boolean readsAhead) {
        return k >= KEEP_MAXIMA_FROM_K && !(readsAhead && rows >= threads);
    }

    /** Whether the logits, soft targets (if any) and gradient (if any) are all backed by arrays (the row-range kernels' case). */
    private static boolean allArrays(XentTask t) {
        return t.logits().hasArray() && (t.hard() || t.targets().distribution().hasArray())
                && (t.grad() == null || t.grad().hasArray());
    }

    private void refuseAfterwards(XentTask t, RowOutputs out) {
        FloatMatrix x = t.logits();
        int k = x.cols();
        float[] row = new float[k];
        boolean softcap = t.opts().softcap() != 0;
        for (int i = 0; i < t.rows(); i++) {
            if (Float.isFinite(out.lse[i])) {
                continue;
            }
            x.getRow(i, row, 0);
            float temperature = t.opts().temperature(i);
            if (Checks.refusedRow(kernels.rowMax(row, 0, k), temperature, softcap, t.counted(i))) {
                String msg = Checks.badLogitRow("logits", x, i, t.counted(i), temperature, softcap);
                throw new IllegalArgumentException(msg != null ? msg : "logits row " + i + " is refused");
            }
        }
    }

    private void compute(XentTask t, RowOutputs out, float[] maxima) {
        int k = t.cols();
        XentSpec spec = new XentSpec(t, maxima);
        FloatMatrix x = t.logits();
        FloatMatrix grad = t.grad();
        FloatMatrix y = t.hard() ? null : t.targets().distribution();
        boolean inPlace = t.inPlace();
        boolean allArrays = allArrays(t);
        if (allArrays && y == null && inParts() && (grad != null || t.rows() < partThreads())
                && kernels.partsRows(spec)) {
            // Long rows: every row in parts over the threads, in step (RowParts); the loss alone,
            // with no scaling pass to keep in cache, only where there are fewer rows than threads.
            RowParts team = kernels.rowParts(k, t.rows(), partThreads());
            if (team != null) {
                runInParts(team, () -> kernels.xentRowParts(spec, x.array(), x.offset(), x.stride(),
                        grad == null ? null : grad.array(), grad == null ? 0 : grad.offset(),
                        grad == null ? 0 : grad.stride(), out, team));
                return;     // the engine sums the plain loss's blocks itself (out.ceBlockSums null)
            }
        }
        if (allArrays && y == null && t.rows() < threads && kernels.splitsRows(spec)) {
            // Fewer rows than threads: each row split over the threads in segments.
            for (int i = 0; i < t.rows(); i++) {
                float xmax = maxima != null ? maxima[i] : splitRowMax(x.array(), x.rowStart(i), k);
                kernels.xentRowSplit(spec, i, x.array(), x.rowStart(i), grad == null ? null : grad.array(),
                        grad == null ? 0 : grad.rowStart(i), out, xmax, this::parallel);
            }
            return;
        }
        if (allArrays) {
            // The plain loss's block sums are taken by the thread that finishes a block's rows.
            CeBlockSums sums = t.plainLoss() ? new CeBlockSums(t, out.ce) : null;
            forRows(t.rows(), k, (r0, r1, firstMax, ahead) -> {
                float next = kernels.xentRows(spec, r0, r1, x.array(), x.offset(),
                        x.stride(), y == null ? null : y.array(), y == null ? 0 : y.offset(), y == null ? 0 : y.stride(),
                        grad == null ? null : grad.array(), grad == null ? 0 : grad.offset(), grad == null ? 0 : grad.stride(),
                        out, firstMax, ahead);
                if (sums != null) {
                    sums.rowsDone(r0, r1);
                }
                return next;
            });
            out.ceBlockSums = sums == null ? null : sums.sums();
            return;
        }
        forRows(t.rows(), k, (r0, r1) -> {
            float[] xs = x.hasArray() ? null : new float[k];
            float[] ys = y == null || y.hasArray() ? null : new float[k];
            float[] gs = grad == null || grad.hasArray() || inPlace ? null : new float[k];
            for (int i = r0; i < r1; i++) {
                float[] xa = x.hasArray() ? x.array() : xs;
                int xo = x.hasArray() ? x.rowStart(i) : 0;
                if (!x.hasArray()) {
                    x.getRow(i, xs, 0);
                }
                float[] ya = null;
                int yo = 0;
                if (y != null) {
                    ya = y.hasArray() ? y.array() : ys;
                    yo = y.hasArray() ? y.rowStart(i) : 0;
                    if (!y.hasArray()) {
                        y.getRow(i, ys, 0);
                    }
                }
                float[] ga = null;
                int go = 0;
                if (grad != null) {
                    if (grad.hasArray()) {
                        ga = grad.array();
                        go = grad.rowStart(i);
                    } else {
                        ga = inPlace ? xs : gs;
                    }
                }
                kernels.xentRow(spec, i, xa, xo, ya, yo, ga, go, out);
                if (grad != null && !grad.hasArray()) {
                    grad.setRow(i, ga, 0);
                }
            }
        });
    }

    /**
     * Refuses the rows {@link Checks#refusedRow} refuses (NaN/+∞ anywhere, all −∞ on counted rows,
     * a scaled logit that overflows float32); reports the first bad row.
     *
     * <p>Without row maxima to keep, a first read-only look over the whole matrix (lanes, no per-row
     * work) settles the common case: every value finite and, with one temperature, no scaled value
     * able to overflow, so no row can be refused. Otherwise (a NaN, ±∞, −∞ masks, row temperatures)
     * every row's max is checked as below, which also finds the first refused row.
     *
     * @param t       the cross-entropy task, or null for softmax (every row counts, no soft-cap)
     * @param temperatures the temperature of each row
     * @param invT    1/T as the kernels use it when every row has the same T, else NaN
     * @param maxima  receives the largest raw logit of each row (checked rows), or null
     */
    private void checkLogits(FloatMatrix x, XentTask t, String name, java.util.function.IntToDoubleFunction temperatures,
                             float invT, float[] maxima) {
        int k = x.cols();
        boolean softcap = t != null && t.opts().softcap() != 0;
        if (maxima == null && !Float.isNaN(invT) && x.hasArray() && allFiniteAndInRange(x, invT, softcap)) {
            return;
        }
        AtomicInteger firstBad = new AtomicInteger(Integer.MAX_VALUE);
        // Records row i's max m; false when the row is refused (the first such row is kept).
        RowCheck check = (i, m) -> {
            if (maxima != null) {
                maxima[i] = m;
            }
            boolean counted = t == null || t.counted(i);
            if (Checks.refusedRow(m, (float) temperatures.applyAsDouble(i), softcap, counted)) {
                firstBad.accumulateAndGet(i, Math::min);
                return false;
            }
            return true;
        };
        if (x.hasArray() && x.rows() < threads && kernels.splitsRows(k)) {
            // Fewer rows than threads: each row's max in segments on every thread, as the pass splits it.
            for (int i = 0; i < x.rows(); i++) {
                if (!check.test(i, splitRowMax(x.array(), x.rowStart(i), k))) {
                    break;
                }
            }
        } else {
            forRows(x.rows(), k, (r0, r1) -> {
                float[] xs = x.hasArray() ? null : new float[k];
                for (int i = r0; i < r1; i++) {
                    float m;
                    if (x.hasArray()) {
                        m = kernels.rowMax(x.array(), x.rowStart(i), k);
                    } else {
                        x.getRow(i, xs, 0);
                        m = kernels.rowMax(xs, 0, k);
                    }
                    if (!check.test(i, m)) {
                        return;
                    }
                }
            });
        }
        int row = firstBad.get();
        if (row != Integer.MAX_VALUE) {
            String msg = Checks.badLogitRow(name, x, row, t == null || t.counted(row),
                    (float) temperatures.applyAsDouble(row), softcap);
            throw new IllegalArgumentException(msg != null ? msg : name + " row " + row + " is refused");
        }
    }

    /**
     * True when every value of x is finite and, without a soft-cap, |x|·invT cannot overflow for
     * any of them (the largest |x| times invT, rounded as the kernels round x·(1/T), is finite):
     * then {@link Checks#refusedRow} refuses no row. Reads x once, in parallel, writes nothing.
     */
    private boolean allFiniteAndInRange(FloatMatrix x, float invT, boolean softcap) {
        int k = x.cols();
        AtomicInteger largest = new AtomicInteger(0);
        forRows(x.rows(), k, (r0, r1) -> {
            int m = 0;
            if (r1 <= r0) {
                return;
            }
            if (x.stride() == k) {
                m = kernels.maxAbsBits(x.array(), x.rowStart(r0), (r1 - r0) * k);
            } else {
                for (int i = r0; i < r1; i++) {
                    m = Math.max(m, kernels.maxAbsBits(x.array(), x.rowStart(i), k));
                }
            }
            largest.accumulateAndGet(m, Math::max);
        });
        float maxAbs = Float.intBitsToFloat(largest.get());
        return Float.isFinite(maxAbs) && (softcap || Float.isFinite(maxAbs * invT));
    }

    private void checkSoftTargets(FloatMatrix y) {
        int k = y.cols();
        AtomicInteger firstBad = new AtomicInteger(Integer.MAX_VALUE);
        forRows(y.rows(), k, (r0, r1) -> {
            if (y.hasArray() && y.stride() == k) {
                // Dense rows: the whole range in one sweep of integer min and max (a row's own min
                // and max at K = 10 are scalar loops: three fifths of the time of soft targets at
                // 262144×10; at 2048×32000 the range's min and max, two sweeps, a third); the rows
                // one by one only to name the first bad one.
                if (kernels.allValidTargets(y.array(), y.rowStart(r0), (r1 - r0) * k)) {
                    return;
                }
            }
            float[] ys = y.hasArray() ? null : new float[k];
            for (int i = r0; i < r1; i++) {
                float[] a = y.hasArray() ? y.array() : ys;
                int o = y.hasArray() ? y.rowStart(i) : 0;
                if (!y.hasArray()) {
                    y.getRow(i, ys, 0);
                }
                float lo = kernels.rowMin(a, o, k);
                float hi = kernels.rowMax(a, o, k);
                if (!(lo >= 0f) || hi == Float.POSITIVE_INFINITY) {
                    firstBad.accumulateAndGet(i, Math::min);
                    return;
                }
            }
        });
        int row = firstBad.get();
        if (row != Integer.MAX_VALUE) {
            throw new IllegalArgumentException(Checks.badSoftTargetRow(y, row));
        }
    }

    /** Takes row i's largest logit m; false when the row is refused (no boxing on the check's path). */
    private interface RowCheck {
        boolean test(int i, float m);
    }

    /** Work on the rows [r0, r1). */
    interface RowRange {
        void run(int r0, int r1);
    }

    /**
     * Work on the rows [r0, r1) that may also read one row ahead: {@code ahead} is the first row
     * of the chunk this thread means to run next (−1 when none), whose largest logit the job may
     * read during its last row and return (NaN when it did not); that value comes back as
     * {@code firstMax} of the next chunk when the thread does run it (NaN otherwise: the job then
     * finds its first row's max itself).
     */
    interface RowRangeAhead {
        float run(int r0, int r1, float firstMax, int ahead);
    }

    /** Chunks per thread: enough for a fast core to take over a slow one's share. */
    static final int CHUNKS_PER_THREAD = 8;
    /** At least this many elements per chunk (the cost of taking one is a few atomic operations). */
    static final int MIN_CHUNK_ELEMENTS = 1 << 14;
    /** Chunks of rows shorter than {@code SMALL_K} start on multiples of this many rows. */
    static final int ROW_ALIGN = 16;
    /**
     * Below this K the lane kernels may put rows on vector lanes in groups (at most 16 lanes) that
     * start with the range they are given (at least the vector kernels' XENT_LANES_K, tested).
     */
    static final int SMALL_K = 128;

    /**
     * Rows per chunk for {@code threads} threads over rows of k: about CHUNKS_PER_THREAD chunks per
     * thread, none under MIN_CHUNK_ELEMENTS elements, and a multiple of ROW_ALIGN for k below
     * SMALL_K (groups of vector lanes over rows then start at the same rows as on one thread).
     */
    static int chunkRows(int rows, int k, int threads) {
        long chunks = (long) threads * CHUNKS_PER_THREAD;
        long r = Math.max((rows + chunks - 1) / chunks, (MIN_CHUNK_ELEMENTS + k - 1) / Math.max(k, 1));
        if (k < SMALL_K) {
            r = (r + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN;
        }
        return (int) Math.min(r, rows);
    }

    /**
     * Runs {@code job} over [0, rows) in chunks of {@link #chunkRows} rows, which the caller's
     * thread and the pool's take in turn until none is left; after a chunk fails, the others stop
     * when their current chunk is done, and the first failure is thrown.
     */
    void forRows(int rows, int k, RowRange job) {
        forRows(rows, k, (r0, r1, firstMax, ahead) -> {
            job.run(r0, r1);
            return Float.NaN;
        });
    }

    /**
     * {@link #forRows(int, int, RowRange)} for jobs that read a row ahead. Each thread reserves
     * the chunk it will run next before it runs the current one (so that the current one's last
     * row can read the next one's first row, as rows within a chunk do), and claims it afterwards;
     * a thread that finds no chunk left to reserve takes over chunks reserved by others and not
     * yet started, so a slow core never holds back a reserved chunk. Every chunk runs exactly
     * once (a compare-and-set claims it).
     */
    void forRows(int rows, int k, RowRangeAhead job) {
        int parts = (int) Math.min(threads, rows);
        if (parts <= 1 || (long) rows * k < parallelMinElements) {
            job.run(0, rows, Float.NaN, -1);
            return;
        }
        int chunk = chunkRows(rows, k, parts);
        int chunks = (rows + chunk - 1) / chunk;
        parts = Math.min(parts, chunks);
        AtomicInteger next = new AtomicInteger();
        AtomicIntegerArray claimed = new AtomicIntegerArray(chunks);
        AtomicBoolean stop = new AtomicBoolean();
        Runnable worker = () -> {
            try {
                float max = Float.NaN;
                for (int c = claim(next, claimed, chunks); c >= 0 && !stop.get(); ) {
                    int ahead = next.getAndIncrement();
                    if (ahead >= chunks) {
                        ahead = -1;
                    }
                    int r0 = c * chunk;
                    max = job.run(r0, Math.min(rows, r0 + chunk), max, ahead < 0 ? -1 : ahead * chunk);
                    if (ahead >= 0 && claimed.compareAndSet(ahead, 0, 1)) {
                        c = ahead;
                    } else {
                        max = Float.NaN;
                        c = claim(next, claimed, chunks);
                    }
                }
            } catch (RuntimeException | Error e) {
                stop.set(true);   // the others stop after their current chunk
                throw e;
            }
        };
        Workers.run(pool, parts, worker);
    }

    /**
     * The threads that run a batch in parts: no more than the cores, since the threads meet once
     * a row, and a thread waiting for one that is not running waits a whole time slice.
     */
    private int partThreads() {
        return Math.min(threads, Runtime.getRuntime().availableProcessors());
    }

    /** Whether batches may run in parts: two threads or more. */
    private boolean inParts() {
        return partThreads() >= 2;
    }

    /**
     * Runs {@code share} on {@code team.parts} threads (see {@link RowParts}): a thread that
     * fails marks the call failed, so that the others stop instead of waiting for its parts, and
     * its failure is the one thrown.
     */
    private void runInParts(RowParts team, Runnable share) {
        Workers.run(pool, team.parts, () -> {
            try {
                share.run();
            } catch (RowParts.Abandoned e) {
                // The thread that failed reports its own failure.
            } catch (RuntimeException | Error e) {
                team.fail();
                throw e;
            }
        });
    }

    /** The largest of a[o, o + k) (NaN when one is), from segments of TASK_ELEMENTS floats on every thread. */
    private float splitRowMax(float[] a, int o, int k) {
        int segments = (k + TASK_ELEMENTS - 1) / TASK_ELEMENTS;
        float[] mx = new float[segments];
        parallel(segments, j -> mx[j] = kernels.rowMax(a, o + j * TASK_ELEMENTS, Math.min(k - j * TASK_ELEMENTS, TASK_ELEMENTS)));
        float m = Float.NEGATIVE_INFINITY;
        for (float v : mx) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** Weight of one task of {@link #parallel}: enough that forRows deals tasks one at a time. */
    private static final int TASK_ELEMENTS = 1 << 15;

    /** {@link CpuKernels.Parallel} on this backend's threads: tasks dealt one at a time as rows are. */
    private void parallel(int n, java.util.function.IntConsumer task) {
        forRows(n, TASK_ELEMENTS, (a, b) -> {
            for (int j = a; j < b; j++) {
                task.accept(j);
            }
        });
    }

    /**
     * A chunk for a thread with none reserved: the next unreserved one, else one that another
     * thread reserved and has not started; −1 when every chunk is claimed.
     */
    private static int claim(AtomicInteger next, AtomicIntegerArray claimed, int chunks) {
        for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
            if (claimed.compareAndSet(c, 0, 1)) {
                return c;
            }
        }
        for (int c = 0; c < chunks; c++) {
            if (claimed.get(c) == 0 && claimed.compareAndSet(c, 0, 1)) {
                return c;
            }
        }
        return -1;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the CPU backend is closed");
        }
    }

    @Override
    public void close() {
        closed = true;
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    private static final class DaemonThreads implements java.util.concurrent.ThreadFactory {
        private static final AtomicInteger COUNT = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread th = new Thread(r, "softmaxcl-cpu-" + COUNT.incrementAndGet());
            th.setDaemon(true);
            return th;
        }
    }
}
